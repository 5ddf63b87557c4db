import { Anchor, Badge, Group, Text } from '@mantine/core';
import { Link } from 'react-router';
import { kindOf, pathOf } from '../lib/names';
import { useMe } from '../lib/session';
import { activeAdmin } from '../nav';

/**
 * A user or group by name, linked to its page when the signed-in user may open it (user pages
 * are for administrators), with its uuid underneath.
 */
export function PrincipalName({
  uuid,
  name,
  withKind = false,
}: {
  uuid: string;
  name: string | null | undefined;
  withKind?: boolean;
}) {
  const me = useMe();
  const kind = kindOf(uuid);
  const path = kind === 'user' && !activeAdmin(me) ? null : pathOf(uuid);
  const label = name ?? uuid;
  return (
    <div>
      <Group gap={6} wrap="nowrap">
        {path ? (
          <Anchor component={Link} to={path} size="sm" fw={600}>
            {label}
          </Anchor>
        ) : (
          <Text size="sm" fw={name ? 600 : 400}>
            {label}
          </Text>
        )}
        {withKind && kind ? (
          <Badge size="xs" variant="outline" color={kind === 'group' ? 'grape' : 'blue'}>
            {kind}
          </Badge>
        ) : null}
      </Group>
      {name ? (
        <Text size="xs" c="dimmed">
          {uuid}
        </Text>
      ) : null}
    </div>
  );
}

const LEVEL_COLORS = { can_read: 'gray', can_write: 'blue', can_manage: 'violet' } as const;

/** A permission level as a badge ("can write"). */
export function LevelBadge({ level }: { level: string }) {
  const color = LEVEL_COLORS[level as keyof typeof LEVEL_COLORS] ?? 'gray';
  return (
    <Badge variant="light" color={color}>
      {level.replace('_', ' ')}
    </Badge>
  );
}
