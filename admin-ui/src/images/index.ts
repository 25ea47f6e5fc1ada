import ImageIcon from '@mui/icons-material/Image';
import { lazy } from 'react';

export default {
  name: 'images',
  icon: ImageIcon,
  list: lazy(() => import('./ImageList')),
  recordRepresentation: 'filename',
};
