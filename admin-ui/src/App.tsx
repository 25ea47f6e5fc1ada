import { Admin, Resource } from 'react-admin';
import { authProvider } from './authProvider';
import { lazyDataProvider as dataProvider } from './dataProvider/lazy';
import images from './images';
import tiers from './tiers';
import users from './users';

export function App() {
  return (
    <Admin dataProvider={dataProvider} authProvider={authProvider} requireAuth disableTelemetry title="Image API admin">
      <Resource {...tiers} />
      <Resource {...users} />
      <Resource {...images} />
    </Admin>
  );
}
