import { Datagrid, DateField, DateTimeInput, FunctionField, List, SelectField, SelectInput, TextField, TextInput } from 'react-admin';
import { ChangesField } from './ChangesField';
import { ACTION_NAMES, TARGET_NAMES, choicesOf } from './changes';

const filters = [
  <SelectInput key="action" source="action" label="Action" choices={choicesOf(ACTION_NAMES)} alwaysOn />,
  <SelectInput key="targetType" source="targetType" label="Target type" choices={choicesOf(TARGET_NAMES)} />,
  <TextInput key="targetId" source="targetId" label="Target id" />,
  <TextInput key="actorId" source="actorId" label="Actor id (or system)" />,
  <DateTimeInput key="from" source="from" label="From" />,
  <DateTimeInput key="to" source="to" label="Before" />,
];

interface EventRecord {
  actorId: string;
  actorName: string | null;
}

/** Every admin action, newest first; read only, as the API is. */
export default function AuditLogList() {
  return (
    <List filters={filters} sort={{ field: 'occurredAt', order: 'DESC' }} exporter={false} title="Audit log">
      <Datagrid rowClick={false} bulkActionButtons={false}>
        <DateField source="occurredAt" label="When" showTime />
        <FunctionField label="Actor" sortable={false} render={(event: EventRecord) => event.actorName ?? event.actorId} />
        <SelectField source="action" choices={choicesOf(ACTION_NAMES)} />
        <SelectField source="targetType" label="Target" choices={choicesOf(TARGET_NAMES)} sortable={false} />
        <TextField source="targetId" label="Target id" sortable={false} />
        <ChangesField label="Changes" />
        <TextField source="clientAddress" label="Address" sortable={false} emptyText="–" />
        <TextField source="requestId" label="Request" sortable={false} emptyText="–" />
      </Datagrid>
    </List>
  );
}
