import KeyOffIcon from '@mui/icons-material/KeyOff';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Button, Confirm, useDataProvider, useNotify, useRecordContext } from 'react-admin';
import { ACCESS_TOKENS, type AccessTokenRecord, type AppDataProvider } from '../dataProvider/methods';

/** Revokes the access token of the row, once the admin confirms; the token then leaves the list. */
export function RevokeTokenButton() {
  const token = useRecordContext<AccessTokenRecord>();
  const dataProvider = useDataProvider<AppDataProvider>();
  const notify = useNotify();
  const queryClient = useQueryClient();
  const [confirming, setConfirming] = useState(false);
  const { mutate, isPending } = useMutation({
    mutationFn: (id: string) => dataProvider.revokeAccessToken(id),
    onSuccess: () => notify('The access token was revoked', { type: 'info' }),
    onError: (error: Error) => notify(error.message, { type: 'error' }),
    onSettled: () => {
      setConfirming(false);
      // only the tokens: a full refresh would refetch the user and reset unsaved edits in the form
      return queryClient.invalidateQueries({ queryKey: [ACCESS_TOKENS] });
    },
  });
  if (!token) return null;
  return (
    <>
      <Button label="Revoke" color="error" disabled={isPending} onClick={() => setConfirming(true)}>
        <KeyOffIcon />
      </Button>
      <Confirm
        isOpen={confirming}
        loading={isPending}
        title="Revoke this access token?"
        content={`Scripts using “${token.name}” are refused from now on. This cannot be undone.`}
        confirm="Revoke"
        confirmColor="warning"
        onConfirm={() => mutate(token.id)}
        onClose={() => setConfirming(false)}
      />
    </>
  );
}
