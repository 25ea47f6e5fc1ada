import { BooleanField, BooleanInput, Datagrid, DateField, FunctionField, List, NumberField, ReferenceField, ReferenceInput, SearchInput, SelectInput, TextField } from 'react-admin';
import { formatBytes } from '../tiers/limits';

const filters = [
  <SearchInput key="q" source="q" alwaysOn placeholder="Username" />,
  <ReferenceInput key="tierId" source="tierId" reference="tiers" sort={{ field: 'name', order: 'ASC' }}>
    <SelectInput label="Tier" optionText="name" />
  </ReferenceInput>,
  <BooleanInput key="isAdmin" source="isAdmin" label="Admin" />,
];

export default function UserList() {
  return (
    <List filters={filters} sort={{ field: 'username', order: 'ASC' }}>
      <Datagrid rowClick="edit">
        <TextField source="username" />
        <ReferenceField source="tierId" reference="tiers" label="Tier" sortable={false} link={false} />
        <BooleanField source="isAdmin" label="Admin" />
        {/* usage against the tier's limits, read with the page in one query */}
        <NumberField source="usage.images" label="Images" sortable={false} />
        <FunctionField label="Storage" sortable={false} render={(user: { usage?: { bytes: number } }) => (user.usage ? formatBytes(user.usage.bytes) : '')} />
        <NumberField source="usage.uploadsLastHour" label="Uploads (last hour)" sortable={false} />
        <DateField source="createdAt" label="Created" />
      </Datagrid>
    </List>
  );
}
