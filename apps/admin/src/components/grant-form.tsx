import { zodResolver } from '@hookform/resolvers/zod';
import { Button, Group, NativeSelect } from '@mantine/core';
import { GrantInput, PermissionLevel } from '@roster/contracts';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Controller, useForm } from 'react-hook-form';
import { z } from 'zod';
import { api, invalidate, PERMISSION_PROCEDURES } from '../lib/api';
import { applyServerErrors } from '../lib/forms';
import type { PrincipalKind } from '../lib/names';
import { notifySuccess } from '../lib/notify';
import { PrincipalPicker } from './principal-picker';

export const LEVEL_OPTIONS = PermissionLevel.options.map((level) => ({
  value: level,
  label: level.replace('_', ' '),
}));

const GrantSchema = GrantInput.extend({
  tailUuid: z.string().min(1, 'choose one'),
  headUuid: z.string().min(1, 'choose one'),
});
type GrantValues = z.infer<typeof GrantSchema>;

interface GrantFormProps {
  /** The side of the permission link that is fixed: the member (tail) or the target (head). */
  fixed: { side: 'tailUuid' | 'headUuid'; uuid: string };
  pickLabel: string;
  kinds: readonly PrincipalKind[];
  submitLabel: string;
  /** The success message, given the picked name. */
  done: (name: string) => string;
  defaultLevel?: PermissionLevel;
}

/**
 * Grants a permission level between a fixed user or group and one picked by search: adding a
 * member to a group (the group is the head) or the user or group to another group (the tail).
 * Granting a pair that already has a link changes its level.
 */
export function GrantForm({ fixed, pickLabel, kinds, submitLabel, done, defaultLevel }: GrantFormProps) {
  const qc = useQueryClient();
  const picked = fixed.side === 'tailUuid' ? 'headUuid' : 'tailUuid';
  const empty: GrantValues = {
    tailUuid: '',
    headUuid: '',
    [fixed.side]: fixed.uuid,
    level: defaultLevel ?? 'can_read',
  };
  const form = useForm<GrantValues>({ resolver: zodResolver(GrantSchema), defaultValues: empty });
  const grant = useMutation({
    mutationFn: (input: GrantValues & { name: string }) =>
      api.permissions.grant.mutate({
        tailUuid: input.tailUuid,
        headUuid: input.headUuid,
        level: input.level,
      }),
    onSuccess: (_link, input) => {
      notifySuccess(done(input.name));
      form.reset(empty);
      setRound((n) => n + 1);
      return invalidate(qc, ...PERMISSION_PROCEDURES);
    },
    onError: (err) => applyServerErrors(form, err, ['tailUuid', 'headUuid', 'level'], 'Could not grant'),
  });
  // The picked name, for the success message.
  const [pickedName, setPickedName] = useState('');
  // A new key gives a fresh picker (empty search) after each grant.
  const [round, setRound] = useState(0);
  return (
    <form
      onSubmit={form.handleSubmit((v) => grant.mutate({ ...v, name: pickedName || v[picked] }))}
      noValidate
    >
      <Group align="flex-start" gap="sm" wrap="wrap">
        <Controller
          control={form.control}
          name={picked}
          render={({ field, fieldState }) => (
            <div style={{ flex: '1 1 260px' }}>
              <PrincipalPicker
                key={round}
                label={pickLabel}
                kinds={kinds}
                exclude={[fixed.uuid]}
                value={field.value || null}
                onChange={(uuid, name) => {
                  field.onChange(uuid ?? '');
                  setPickedName(name ?? '');
                }}
                error={fieldState.error?.message}
              />
            </div>
          )}
        />
        <NativeSelect label="Level" data={LEVEL_OPTIONS} {...form.register('level')} w={150} />
        <Button type="submit" loading={grant.isPending} mt={25}>
          {submitLabel}
        </Button>
      </Group>
    </form>
  );
}
