import { notifications } from '@mantine/notifications';
import { isRosterError } from '@roster/client';

export function notifySuccess(message: string) {
  notifications.show({ color: 'teal', message, autoClose: 4000 });
}

/** A readable message for any failure: the server's words when it sent some. */
export function errorMessage(err: unknown): string {
  if (isRosterError(err)) return err.message;
  if (err instanceof TypeError) return 'The server could not be reached';
  return err instanceof Error ? err.message : String(err);
}

export function notifyError(err: unknown, title = 'That did not work') {
  notifications.show({ color: 'red', title, message: errorMessage(err), autoClose: 8000 });
}
