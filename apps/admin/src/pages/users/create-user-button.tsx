import { zodResolver } from '@hookform/resolvers/zod';
import { Button, Group, Modal, SimpleGrid, Stack, Switch, TextInput } from '@mantine/core';
import { UserCreateInput } from '@roster/contracts';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Controller, useForm } from 'react-hook-form';
import { z } from 'zod';
import { PasswordField } from '../../components/password-field';
import { api } from '../../lib/api';
import { applyServerErrors, blankAsUndefined } from '../../lib/forms';
import { notifySuccess } from '../../lib/notify';

const field = UserCreateInput.shape;
const CreateUserSchema = z.object({
  username: blankAsUndefined(field.username.unwrap()),
  email: field.email,
  password: blankAsUndefined(field.password.unwrap()),
  firstName: blankAsUndefined(field.firstName.unwrap()),
  lastName: blankAsUndefined(field.lastName.unwrap()),
  isAdmin: z.boolean(),
  isActive: z.boolean(),
});
type CreateUserValues = z.input<typeof CreateUserSchema>;
type CreateUser = z.output<typeof CreateUserSchema>;
const FIELDS = ['username', 'email', 'password', 'firstName', 'lastName', 'isAdmin', 'isActive'] as const;
const EMPTY: CreateUserValues = {
  username: '',
  email: '',
  password: '',
  firstName: '',
  lastName: '',
  isAdmin: false,
  isActive: true,
};

export function CreateUserButton() {
  const [open, setOpen] = useState(false);
  const qc = useQueryClient();
  const form = useForm<CreateUserValues, unknown, CreateUser>({
    resolver: zodResolver(CreateUserSchema),
    defaultValues: EMPTY,
  });
  const create = useMutation({
    mutationFn: (input: CreateUser) => api.users.create.mutate(input),
    onSuccess: (user) => {
      notifySuccess(`User ${user.username} created`);
      setOpen(false);
      form.reset(EMPTY);
      return qc.invalidateQueries({ queryKey: ['users.list'] });
    },
    onError: (err) => applyServerErrors(form, err, FIELDS, 'Could not create the user'),
  });
  const { errors } = form.formState;
  const close = () => {
    setOpen(false);
    form.reset(EMPTY);
  };
  return (
    <>
      <Button onClick={() => setOpen(true)}>New user</Button>
      <Modal opened={open} onClose={close} title="New user" size="lg">
        <form onSubmit={form.handleSubmit((v) => create.mutate(v))} noValidate>
          <Stack>
            <SimpleGrid cols={{ base: 1, sm: 2 }}>
              <TextInput
                label="Username"
                description="Left blank, one is made from the email"
                {...form.register('username')}
                error={errors.username?.message}
                data-autofocus
              />
              <TextInput
                label="Email"
                type="email"
                withAsterisk
                {...form.register('email')}
                error={errors.email?.message}
              />
              <TextInput
                label="First name"
                {...form.register('firstName')}
                error={errors.firstName?.message}
              />
              <TextInput label="Last name" {...form.register('lastName')} error={errors.lastName?.message} />
            </SimpleGrid>
            <PasswordField
              label="Password"
              description="Left blank, the user cannot sign in with a password"
              autoComplete="new-password"
              {...form.register('password')}
              error={errors.password?.message}
            />
            <Group>
              {(['isAdmin', 'isActive'] as const).map((name) => (
                // Mantine's Switch keeps its own checked state, so it is bound as a controlled input.
                <Controller
                  key={name}
                  control={form.control}
                  name={name}
                  render={({ field: { value, onChange, ...field } }) => (
                    <Switch
                      {...field}
                      label={name === 'isAdmin' ? 'Administrator' : 'Active'}
                      checked={value}
                      onChange={(e) => onChange(e.currentTarget.checked)}
                    />
                  )}
                />
              ))}
            </Group>
            <Group justify="flex-end">
              <Button variant="default" onClick={close}>
                Cancel
              </Button>
              <Button type="submit" loading={create.isPending}>
                Create user
              </Button>
            </Group>
          </Stack>
        </form>
      </Modal>
    </>
  );
}
