import LayersIcon from '@mui/icons-material/Layers';
import { lazy } from 'react';

export default {
  name: 'tiers',
  icon: LayersIcon,
  list: lazy(() => import('./TierList')),
  edit: lazy(() => import('./TierEdit')),
  create: lazy(() => import('./TierCreate')),
  recordRepresentation: 'name',
};
