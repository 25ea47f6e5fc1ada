import { Create } from 'react-admin';
import { TierForm } from './TierForm';

export default function TierCreate() {
  return (
    <Create redirect="list" record={{ thumbnailHeights: [200], originalLink: false, expiringLinks: false }}>
      <TierForm />
    </Create>
  );
}
