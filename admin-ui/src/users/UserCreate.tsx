import { Create } from 'react-admin';
import { UserForm } from './UserForm';

export default function UserCreate() {
  return (
    <Create redirect="list" record={{ isAdmin: false }}>
      <UserForm creating />
    </Create>
  );
}
