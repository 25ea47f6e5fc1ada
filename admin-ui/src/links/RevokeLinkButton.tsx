import LinkOffIcon from '@mui/icons-material/LinkOff';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Button, Confirm, useDataProvider, useNotify, useRecordContext } from 'react-admin';
import { EXPIRING_LINKS, type AppDataProvider, type ExpiringLinkRecord } from '../dataProvider/methods';

/** Revokes the expiring link of the row, once the admin confirms; the link then leaves the active list. */
export function RevokeLinkButton() {
  const link = useRecordContext<ExpiringLinkRecord>();
  const dataProvider = useDataProvider<AppDataProvider>();
  const notify = useNotify();
  const queryClient = useQueryClient();
  const [confirming, setConfirming] = useState(false);
  const { mutate, isPending } = useMutation({
    mutationFn: (id: string) => dataProvider.revokeExpiringLink(id),
    onSuccess: () => notify('The link was revoked', { type: 'info' }),
    onError: (error: Error) => notify(error.message, { type: 'error' }),
    onSettled: () => {
      setConfirming(false);
      // only the links: a full refresh would refetch the user and reset unsaved edits in the form
      return queryClient.invalidateQueries({ queryKey: [EXPIRING_LINKS] });
    },
  });
  if (!link) return null;
  return (
    <>
      <Button label="Revoke" color="error" disabled={isPending} onClick={() => setConfirming(true)}>
        <LinkOffIcon />
      </Button>
      <Confirm
        isOpen={confirming}
        loading={isPending}
        title="Revoke this link?"
        content={`The link to ${link.image.filename || link.image.id} stops working at once, for everyone who has it. This cannot be undone.`}
        confirm="Revoke"
        confirmColor="warning"
        onConfirm={() => mutate(link.id)}
        onClose={() => setConfirming(false)}
      />
    </>
  );
}
