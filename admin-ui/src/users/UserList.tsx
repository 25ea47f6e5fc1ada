import { BooleanField, BooleanInput, Datagrid, DateField, List, ReferenceField, ReferenceInput, SearchInput, SelectInput, TextField } from 'react-admin';

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
        <DateField source="createdAt" label="Created" />
      </Datagrid>
    </List>
  );
}
