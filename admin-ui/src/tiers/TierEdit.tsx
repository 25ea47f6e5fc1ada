import { Edit } from 'react-admin';
import { TierForm } from './TierForm';

// pessimistic: the server decides (unique names, heights, refused deletes) before the page moves on
export default function TierEdit() {
  return (
    <Edit mutationMode="pessimistic">
      <TierForm />
    </Edit>
  );
}
