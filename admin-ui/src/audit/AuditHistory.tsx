import { Typography } from '@mui/material';
import { Datagrid, DateField, FunctionField, Pagination, ReferenceManyField, SelectField } from 'react-admin';
import type { AuditTargetType } from '../gql/graphql';
import { ChangesField } from './ChangesField';
import { ACTION_NAMES, choicesOf } from './changes';

/** The audit events about the record in context (a tier or a user), newest first. */
export function AuditHistory({ targetType }: { targetType: AuditTargetType }) {
  return (
    <ReferenceManyField
      reference="auditEvents"
      target="targetId"
      filter={{ targetType }}
      sort={{ field: 'occurredAt', order: 'DESC' }}
      perPage={10}
      pagination={<Pagination rowsPerPageOptions={[10, 25, 50]} />}
    >
      <Datagrid bulkActionButtons={false} rowClick={false} aria-label="History" empty={<Typography variant="body2">No recorded changes.</Typography>}>
        <DateField source="occurredAt" label="When" showTime sortable={false} />
        <FunctionField label="Actor" sortable={false} render={(event: { actorId: string; actorName: string | null }) => event.actorName ?? event.actorId} />
        <SelectField source="action" choices={choicesOf(ACTION_NAMES)} sortable={false} />
        <ChangesField label="Before and after" />
      </Datagrid>
    </ReferenceManyField>
  );
}
