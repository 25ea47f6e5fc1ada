import { Edit, TabbedForm } from 'react-admin';
import { AuditHistory } from '../audit/AuditHistory';
import { ActiveLinks } from '../links/ActiveLinks';
import { AccessTokens } from '../tokens/AccessTokens';
import { UserInputs } from './UserForm';

export default function UserEdit() {
  return (
    <Edit mutationMode="pessimistic" transform={({ password, ...rest }: Record<string, unknown>) => (password ? { ...rest, password } : rest)}>
      <TabbedForm>
        <TabbedForm.Tab label="Details">
          <UserInputs creating={false} />
        </TabbedForm.Tab>
        <TabbedForm.Tab label="History" path="history">
          <AuditHistory targetType="USER" />
        </TabbedForm.Tab>
      </TabbedForm>
      <ActiveLinks />
      <AccessTokens />
    </Edit>
  );
}
