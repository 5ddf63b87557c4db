import { zodResolver } from '@hookform/resolvers/zod';
import { Button, Group, Modal, Stack, Textarea, TextInput } from '@mantine/core';
import { GroupCreateInput, type GroupView } from '@roster/contracts';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { type UseFormReturn, useForm } from 'react-hook-form';
import { useNavigate } from 'react-router';
import { z } from 'zod';
import { api, invalidate, queries } from '../../lib/api';
import { applyServerErrors } from '../../lib/forms';
import { notifySuccess } from '../../lib/notify';

const GroupSchema = z.object({
  name: GroupCreateInput.shape.name,
  description: GroupCreateInput.shape.description.unwrap(),
});
type GroupValues = z.input<typeof GroupSchema>;
type GroupInput = z.output<typeof GroupSchema>;
const FIELDS = ['name', 'description'] as const;

function GroupFields({ form }: { form: UseFormReturn<GroupValues, unknown, GroupInput> }) {
  const { errors } = form.formState;
  return (
    <>
      <TextInput label="Name" withAsterisk {...form.register('name')} error={errors.name?.message} />
      <Textarea
        label="Description"
        autosize
        minRows={2}
        {...form.register('description')}
        error={errors.description?.message}
      />
    </>
  );
}

/** "New group": a dialog that creates a group owned by the signed-in user, then opens it. */
export function CreateGroupButton() {
  const [open, setOpen] = useState(false);
  const qc = useQueryClient();
  const navigate = useNavigate();
  const empty = { name: '', description: '' };
  const form = useForm<GroupValues, unknown, GroupInput>({
    resolver: zodResolver(GroupSchema),
    defaultValues: empty,
  });
  const create = useMutation({
    mutationFn: (input: GroupInput) => api.groups.create.mutate(input),
    onSuccess: (group) => {
      notifySuccess(`Group ${group.name} created`);
      qc.setQueryData(queries.group(group.uuid).queryKey, group);
      void invalidate(qc, 'groups.list');
      close();
      navigate(`/groups/${group.uuid}`);
    },
    onError: (err) => applyServerErrors(form, err, FIELDS, 'Could not create the group'),
  });
  const close = () => {
    setOpen(false);
    form.reset(empty);
  };
  return (
    <>
      <Button onClick={() => setOpen(true)}>New group</Button>
      <Modal opened={open} onClose={close} title="New group" size="lg">
        <form onSubmit={form.handleSubmit((v) => create.mutate(v))} noValidate>
          <Stack>
            <GroupFields form={form} />
            <Group justify="flex-end">
              <Button variant="default" onClick={close}>
                Cancel
              </Button>
              <Button type="submit" loading={create.isPending}>
                Create group
              </Button>
            </Group>
          </Stack>
        </form>
      </Modal>
    </>
  );
}

/** A group's name and description, saved with the etag read so that a concurrent edit is refused. */
export function GroupDetailsForm({ group }: { group: GroupView }) {
  const qc = useQueryClient();
  const form = useForm<GroupValues, unknown, GroupInput>({
    resolver: zodResolver(GroupSchema),
    values: { name: group.name, description: group.description },
  });
  const update = useMutation({
    mutationFn: (patch: GroupInput) =>
      api.groups.update.mutate({ uuid: group.uuid, patch, ifMatch: group.etag }),
    onSuccess: (updated) => {
      notifySuccess(`${updated.name} was saved`);
      qc.setQueryData(queries.group(updated.uuid).queryKey, updated);
      return invalidate(qc, 'groups.list');
    },
    onError: (err) => {
      applyServerErrors(form, err, FIELDS, 'The changes were not saved');
      return invalidate(qc, 'groups.get');
    },
  });
  const editable = group.canWrite && !group.builtIn;
  const { isDirty } = form.formState;
  return (
    <form onSubmit={form.handleSubmit((v) => update.mutate(v))} noValidate>
      <fieldset disabled={!editable} style={{ border: 0, padding: 0, margin: 0 }}>
        <Stack>
          <GroupFields form={form} />
          {editable ? (
            <Group justify="flex-end">
              <Button variant="default" onClick={() => form.reset()} disabled={!isDirty}>
                Undo changes
              </Button>
              <Button type="submit" loading={update.isPending} disabled={!isDirty}>
                Save changes
              </Button>
            </Group>
          ) : null}
        </Stack>
      </fieldset>
    </form>
  );
}
