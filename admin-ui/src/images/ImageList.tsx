import { Datagrid, DateField, FunctionField, List, NumberField, ReferenceField, ReferenceInput, SearchInput, SelectInput, TextField } from 'react-admin';
import { RotateLinksButton } from '../links/RotateLinksButton';

const filters = [
  <SearchInput key="q" source="q" alwaysOn placeholder="File name" />,
  <ReferenceInput key="ownerId" source="ownerId" reference="users" sort={{ field: 'username', order: 'ASC' }}>
    <SelectInput label="Owner" optionText="username" />
  </ReferenceInput>,
];

interface ImageRecord {
  thumbnailUrl: string | null;
  /** Painted behind the thumbnail while it loads. */
  placeholderColor: string | null;
  filename: string;
  width: number;
  height: number;
}

/**
 * What every user has uploaded, so an admin sees what a tier change will affect. Read only, but for
 * rotating the permanent links of images whose URLs leaked.
 */
export default function ImageList() {
  return (
    <List filters={filters} sort={{ field: 'createdAt', order: 'DESC' }} exporter={false}>
      <Datagrid rowClick={false} bulkActionButtons={<RotateLinksButton />}>
        <FunctionField
          label="Thumbnail"
          sortable={false}
          render={(image: ImageRecord) =>
            image.thumbnailUrl ? (
              <img
                src={image.thumbnailUrl}
                alt={image.filename}
                style={{ height: 48, maxWidth: 96, objectFit: 'contain', backgroundColor: image.placeholderColor ?? undefined }}
              />
            ) : null
          }
        />
        <TextField source="filename" />
        <ReferenceField source="ownerId" reference="users" label="Owner" link="edit" sortable={false} />
        <TextField source="format" sortable={false} />
        <FunctionField label="Pixels" sortable={false} render={(image: ImageRecord) => `${image.width} × ${image.height}`} />
        <NumberField source="bytes" label="Bytes" />
        <DateField source="createdAt" label="Uploaded" showTime />
      </Datagrid>
    </List>
  );
}
