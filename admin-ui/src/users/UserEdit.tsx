import { Edit } from 'react-admin';
import { ActiveLinks } from '../links/ActiveLinks';
import { UserForm } from './UserForm';

export default function UserEdit() {
  return (
    <Edit mutationMode="pessimistic" transform={({ password, ...rest }: Record<string, unknown>) => (password ? { ...rest, password } : rest)}>
      <UserForm creating={false} />
      <ActiveLinks />
    </Edit>
  );
}
