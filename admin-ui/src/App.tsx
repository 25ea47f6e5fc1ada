import { lazy } from 'react';
import { Admin, Resource } from 'react-admin';
import audit from './audit';
import { authProvider } from './authProvider';
import { lazyDataProvider as dataProvider } from './dataProvider/lazy';
import images from './images';
import tiers from './tiers';
import users from './users';

// charts are the largest part of the app: they load with the dashboard, after login
const Dashboard = lazy(() => import('./dashboard/Dashboard'));

export function App() {
  return (
    <Admin dataProvider={dataProvider} authProvider={authProvider} dashboard={Dashboard} requireAuth disableTelemetry title="Image API admin">
      <Resource {...tiers} />
      <Resource {...users} />
      <Resource {...images} />
      <Resource {...audit} />
    </Admin>
  );
}
