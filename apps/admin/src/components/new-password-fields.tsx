import { SimpleGrid } from '@mantine/core';
import type { FieldValues, Path, UseFormReturn } from 'react-hook-form';
import { z } from 'zod';
import { PasswordField } from './password-field';

/** The `confirm` field that repeats `newPassword`, and the check that it does: `.extend(...).refine(...)`. */
export const CONFIRM_FIELD = { confirm: z.string() };
export const sameNewPassword = (v: { newPassword: string; confirm: string }) => v.newPassword === v.confirm;
export const CONFIRM_MISMATCH = { path: ['confirm'], message: 'does not match the new password' };

interface NewPasswordForm extends FieldValues {
  newPassword: string;
  confirm: string;
}

/** "New password" and "Repeat the new password", side by side on wide screens. */
export function NewPasswordFields<T extends NewPasswordForm, C, O>({
  form,
  autoFocus,
}: {
  form: UseFormReturn<T, C, O>;
  autoFocus?: boolean;
}) {
  const { errors } = form.formState;
  const message = (name: 'newPassword' | 'confirm') => {
    const m = errors[name]?.message;
    return typeof m === 'string' ? m : undefined;
  };
  return (
    <SimpleGrid cols={{ base: 1, sm: 2 }}>
      <PasswordField
        label="New password"
        autoComplete="new-password"
        data-autofocus={autoFocus || undefined}
        autoFocus={autoFocus}
        {...form.register('newPassword' as Path<T>)}
        error={message('newPassword')}
      />
      <PasswordField
        label="Repeat the new password"
        autoComplete="new-password"
        {...form.register('confirm' as Path<T>)}
        error={message('confirm')}
      />
    </SimpleGrid>
  );
}
