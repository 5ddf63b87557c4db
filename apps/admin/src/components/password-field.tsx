import { PasswordInput, type PasswordInputProps } from '@mantine/core';
import { type Ref, useId } from 'react';

/**
 * Mantine's PasswordInput leaves `aria-invalid` and `aria-describedby` off its input (9.8), so
 * screen readers would not hear the error: this puts them back.
 */
export function PasswordField(props: PasswordInputProps & { ref?: Ref<HTMLInputElement> }) {
  const generated = useId();
  const id = props.id ?? generated;
  const describedBy =
    [props.error ? `${id}-error` : null, props.description ? `${id}-description` : null]
      .filter(Boolean)
      .join(' ') || undefined;
  return (
    <PasswordInput
      {...props}
      id={id}
      aria-invalid={props.error ? true : undefined}
      aria-describedby={describedBy}
    />
  );
}
