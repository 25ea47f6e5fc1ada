import { Edit, TabbedForm } from 'react-admin';
import { AuditHistory } from '../audit/AuditHistory';
import { TierInputs } from './TierForm';

// pessimistic: the server decides (unique names, heights, refused deletes) before the page moves on
export default function TierEdit() {
  return (
    <Edit mutationMode="pessimistic">
      <TabbedForm>
        <TabbedForm.Tab label="Details">
          <TierInputs />
        </TabbedForm.Tab>
        <TabbedForm.Tab label="History" path="history">
          <AuditHistory targetType="TIER" />
        </TabbedForm.Tab>
      </TabbedForm>
    </Edit>
  );
}
