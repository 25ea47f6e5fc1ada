import HistoryIcon from '@mui/icons-material/History';
import { lazy } from 'react';

export default {
  name: 'auditEvents',
  icon: HistoryIcon,
  options: { label: 'Audit log' },
  list: lazy(() => import('./AuditLogList')),
};
