import { zodResolver } from '@hookform/resolvers/zod';
import { Button, Group, SimpleGrid, Stack, TextInput } from '@mantine/core';
import { UserUpdatePatch, type UserView } from '@roster/contracts';
import { useForm } from 'react-hook-form';
import { z } from 'zod';
import { applyServerErrors, blankAsNull } from '../../lib/forms';
import { notifySuccess } from '../../lib/notify';
import { useUpdateUser } from './user-page';

const field = UserUpdatePatch.shape;
const UserFormSchema = z.object({
  username: field.username.unwrap(),
  email: field.email.unwrap(),
  firstName: blankAsNull(field.firstName.unwrap().unwrap()),
  lastName: blankAsNull(field.lastName.unwrap().unwrap()),
  identityUrl: blankAsNull(field.identityUrl.unwrap().unwrap()),
});
type UserFormValues = z.input<typeof UserFormSchema>;
type UserFormPatch = z.output<typeof UserFormSchema>;
const FIELDS = ['username', 'email', 'firstName', 'lastName', 'identityUrl'] as const;

/** The admin's edit form for a user's names, email and identity URL. */
export function UserForm({ user }: { user: UserView }) {
  const update = useUpdateUser(user);
  const form = useForm<UserFormValues, unknown, UserFormPatch>({
    resolver: zodResolver(UserFormSchema),
    values: {
      username: user.username ?? '',
      email: user.email ?? '',
      firstName: user.firstName ?? '',
      lastName: user.lastName ?? '',
      identityUrl: user.identityUrl ?? '',
    },
  });
  const submit = form.handleSubmit((values) => {
    // Only what changed: a username-less system account keeps its null username.
    const dirty = form.formState.dirtyFields;
    const patch = Object.fromEntries(FIELDS.filter((f) => dirty[f]).map((f) => [f, values[f]]));
    update.mutate(patch, {
      onSuccess: () => notifySuccess(`${values.username} was saved`),
      onError: (err) => applyServerErrors(form, err, FIELDS, 'The changes were not saved'),
    });
  });
  const { errors, isDirty } = form.formState;
  return (
    <form onSubmit={submit} noValidate>
      <Stack>
        <SimpleGrid cols={{ base: 1, sm: 2 }}>
          <TextInput label="Username" {...form.register('username')} error={errors.username?.message} />
          <TextInput label="Email" type="email" {...form.register('email')} error={errors.email?.message} />
          <TextInput label="First name" {...form.register('firstName')} error={errors.firstName?.message} />
          <TextInput label="Last name" {...form.register('lastName')} error={errors.lastName?.message} />
        </SimpleGrid>
        <TextInput
          label="Identity URL"
          description="The external identity this account is linked to, if any"
          {...form.register('identityUrl')}
          error={errors.identityUrl?.message}
        />
        <Group justify="flex-end">
          <Button variant="default" onClick={() => form.reset()} disabled={!isDirty}>
            Undo changes
          </Button>
          <Button type="submit" loading={update.isPending} disabled={!isDirty}>
            Save changes
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
