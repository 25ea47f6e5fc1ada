import AutorenewIcon from '@mui/icons-material/Autorenew';
import { useMutation } from '@tanstack/react-query';
import { useState } from 'react';
import { Button, Confirm, useDataProvider, useListContext, useNotify, useRefresh } from 'react-admin';
import type { AppDataProvider } from '../dataProvider/methods';
import { images, rotateEach, rotationNotice } from './rotation';

/** Bulk action: new permanent URLs for each selected image, once the admin confirms. */
export function RotateLinksButton() {
  const { selectedIds, onUnselectItems } = useListContext();
  const dataProvider = useDataProvider<AppDataProvider>();
  const notify = useNotify();
  const refresh = useRefresh();
  const [confirming, setConfirming] = useState(false);
  // fixed when the dialog opens: what the admin confirms is what is rotated, and the title keeps its
  // count while the dialog fades out after the selection is cleared
  const [chosen, setChosen] = useState<string[]>([]);
  const { mutate, isPending } = useMutation({
    mutationFn: (imageIds: string[]) => rotateEach(imageIds, (imageId) => dataProvider.rotateImageLinks(imageId)),
    onSuccess: (outcome) => {
      const { message, type } = rotationNotice(outcome);
      notify(message, { type });
      onUnselectItems();
    },
    onSettled: () => {
      setConfirming(false);
      // the list's thumbnails are permanent URLs too: the old ones no longer load
      refresh();
    },
  });
  return (
    <>
      <Button
        label="Rotate links"
        disabled={isPending}
        onClick={() => {
          setChosen(selectedIds.map(String));
          setConfirming(true);
        }}
      >
        <AutorenewIcon />
      </Button>
      <Confirm
        isOpen={confirming}
        loading={isPending}
        title={`Rotate the links of ${images(chosen.length)}?`}
        content="Every permanent URL of these images, original and thumbnails, stops working at once (403) and new ones replace it: whoever embeds an old one must get the new one from the API. Expiring links keep working."
        confirm="Rotate links"
        confirmColor="warning"
        onConfirm={() => mutate(chosen)}
        onClose={() => setConfirming(false)}
      />
    </>
  );
}
