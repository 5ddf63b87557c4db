import { TextInput } from '@mantine/core';
import type { SignupInput } from '@roster/contracts';
import type { UseFormReturn } from 'react-hook-form';
import { PasswordField } from '../../components/password-field';

type AccountForm = Pick<SignupInput, 'username' | 'email' | 'password'>;

/** Username, email and password: the fields of sign-up and of the first-admin setup. */
export function AccountFields({ form }: { form: UseFormReturn<AccountForm> }) {
  const { errors } = form.formState;
  return (
    <>
      <TextInput
        label="Username"
        description="A letter, then letters and digits"
        autoComplete="username"
        autoFocus
        {...form.register('username')}
        error={errors.username?.message}
      />
      <TextInput
        label="Email"
        type="email"
        autoComplete="email"
        {...form.register('email')}
        error={errors.email?.message}
      />
      <PasswordField
        label="Password"
        description="At least 8 characters"
        autoComplete="new-password"
        {...form.register('password')}
        error={errors.password?.message}
      />
    </>
  );
}
