import { zodResolver } from '@hookform/resolvers/zod';
import { Button, Group, SimpleGrid, Stack, TextInput } from '@mantine/core';
import { UserUpdatePatch, type UserView } from '@roster/contracts';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useForm } from 'react-hook-form';
import { z } from 'zod';
import { api } from '../../lib/api';
import { applyServerErrors, blankAsNull } from '../../lib/forms';
import { notifySuccess } from '../../lib/notify';
import { useSetMe } from '../../lib/session';

const patch = UserUpdatePatch.shape;
const ProfileSchema = z.object({
  firstName: blankAsNull(patch.firstName.unwrap().unwrap()),
  lastName: blankAsNull(patch.lastName.unwrap().unwrap()),
  email: patch.email.unwrap(),
});
type ProfileValues = z.input<typeof ProfileSchema>;
type ProfilePatch = z.output<typeof ProfileSchema>;

/** Names and email of the signed-in user (users.update on themself). */
export function ProfileForm({ user }: { user: UserView }) {
  const qc = useQueryClient();
  const setMe = useSetMe();
  const form = useForm<ProfileValues, unknown, ProfilePatch>({
    resolver: zodResolver(ProfileSchema),
    values: { firstName: user.firstName ?? '', lastName: user.lastName ?? '', email: user.email ?? '' },
  });
  const save = useMutation({
    mutationFn: (patch: ProfilePatch) =>
      api.users.update.mutate({ uuid: user.uuid, patch, ifMatch: user.etag }),
    onSuccess: (updated) => {
      notifySuccess('Your profile was saved');
      setMe(updated);
      qc.setQueryData(['users.current'], updated);
    },
    onError: (err) => {
      applyServerErrors(form, err, ['firstName', 'lastName', 'email'], 'Could not save your profile');
      return qc.invalidateQueries({ queryKey: ['users.current'] });
    },
  });
  const { errors, isDirty } = form.formState;
  return (
    <form onSubmit={form.handleSubmit((patch) => save.mutate(patch))} noValidate>
      <Stack>
        <SimpleGrid cols={{ base: 1, sm: 2 }}>
          <TextInput
            label="First name"
            autoComplete="given-name"
            {...form.register('firstName')}
            error={errors.firstName?.message}
          />
          <TextInput
            label="Last name"
            autoComplete="family-name"
            {...form.register('lastName')}
            error={errors.lastName?.message}
          />
        </SimpleGrid>
        <TextInput
          label="Email"
          type="email"
          autoComplete="email"
          {...form.register('email')}
          error={errors.email?.message}
        />
        <Group justify="flex-end">
          <Button type="submit" loading={save.isPending} disabled={!isDirty}>
            Save profile
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
