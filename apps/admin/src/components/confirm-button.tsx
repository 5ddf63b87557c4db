import { Button, type ButtonProps, Group, Modal, Stack, Text } from '@mantine/core';
import { type ReactNode, useState } from 'react';

export interface ConfirmOptions {
  /** The dialog's title, a question ("Delete alice?"). */
  title: string;
  message: ReactNode;
  confirmLabel: string;
  color?: string;
  /** Resolves when done; the dialog stays open (and busy) until then, and closes on success. */
  onConfirm: () => Promise<unknown>;
}

/** A confirmation dialog driven by state: `ask(options)` opens it. */
export function useConfirm() {
  const [pending, setPending] = useState<ConfirmOptions | null>(null);
  const [busy, setBusy] = useState(false);
  const confirm = async () => {
    if (!pending) return;
    setBusy(true);
    try {
      await pending.onConfirm();
      setPending(null);
    } catch {
      // The caller reports the failure; the dialog stays open for another try or a cancel.
    } finally {
      setBusy(false);
    }
  };
  const color = pending?.color ?? 'red';
  const dialog = (
    <Modal opened={!!pending} onClose={() => !busy && setPending(null)} title={pending?.title} centered>
      <Stack>
        <Text size="sm" component="div">
          {pending?.message}
        </Text>
        <Group justify="flex-end">
          <Button variant="default" onClick={() => setPending(null)} disabled={busy}>
            Cancel
          </Button>
          <Button color={color} onClick={confirm} loading={busy} data-autofocus>
            {pending?.confirmLabel}
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
  return { ask: setPending, dialog };
}

type ConfirmButtonProps = Omit<ButtonProps, 'onClick' | 'color'> &
  ConfirmOptions & { children: ReactNode; 'aria-label'?: string };

/** A button for a destructive action: nothing happens until the dialog is confirmed. */
export function ConfirmButton({
  children,
  title,
  message,
  confirmLabel,
  onConfirm,
  color = 'red',
  ...button
}: ConfirmButtonProps) {
  const { ask, dialog } = useConfirm();
  return (
    <>
      <Button
        color={color}
        {...button}
        onClick={() => ask({ title, message, confirmLabel, onConfirm, color })}
      >
        {children}
      </Button>
      {dialog}
    </>
  );
}
