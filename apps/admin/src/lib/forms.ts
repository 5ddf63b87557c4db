import { fieldErrorsOf } from '@roster/client';
import type { FieldValues, Path, UseFormReturn } from 'react-hook-form';
import { z } from 'zod';
import { notifyError } from './notify';

/** An optional text field: the empty input means "not given". */
export const blankAsUndefined = <T extends z.ZodType>(schema: T) =>
  z.union([z.literal('').transform(() => undefined), schema]);

/** A clearable text field: the empty input means "clear it" (null). */
export const blankAsNull = <T extends z.ZodType>(schema: T) =>
  z.union([z.literal('').transform(() => null), schema]);

/**
 * Puts a failed call's field errors on the form's fields. Server paths may be nested
 * (`patch.email`); the last part that names a field of the form wins. What no field shows
 * goes to a notification, so no error is ever silent.
 */
export function applyServerErrors<T extends FieldValues, C, O>(
  form: UseFormReturn<T, C, O>,
  err: unknown,
  fields: readonly Path<T>[],
  title?: string,
) {
  let shown = false;
  for (const [path, messages] of Object.entries(fieldErrorsOf(err))) {
    const parts = path.split('.');
    const field = fields.find((f) => parts.includes(f));
    if (!field || !messages.length) continue;
    form.setError(field, { type: 'server', message: messages.join('; ') }, { shouldFocus: !shown });
    shown = true;
  }
  if (!shown) notifyError(err, title);
}
