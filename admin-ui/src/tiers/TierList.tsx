import { BooleanField, BooleanInput, Datagrid, DateField, FunctionField, List, NumberField, SearchInput, TextField } from 'react-admin';
import { describeLimits } from './limits';

const filters = [<SearchInput key="q" source="q" alwaysOn placeholder="Name" />, <BooleanInput key="builtin" source="builtin" />];

export default function TierList() {
  return (
    <List filters={filters} sort={{ field: 'name', order: 'ASC' }}>
      <Datagrid rowClick="edit">
        <TextField source="name" />
        <FunctionField label="Thumbnail heights" sortable={false} render={(tier: { thumbnailHeights: number[] }) => tier.thumbnailHeights.join(', ')} />
        <BooleanField source="originalLink" label="Original" sortable={false} />
        <BooleanField source="expiringLinks" label="Expiring" sortable={false} />
        <FunctionField label="Limits per user" sortable={false} render={(tier: Parameters<typeof describeLimits>[0]) => describeLimits(tier)} />
        <BooleanField source="builtin" sortable={false} />
        <NumberField source="userCount" label="Users" sortable={false} />
        <DateField source="updatedAt" label="Updated" />
      </Datagrid>
    </List>
  );
}
