import { Box, Typography } from '@mui/material';
import { Datagrid, DateField, FunctionField, Pagination, ReferenceManyField } from 'react-admin';
import { EXPIRING_LINKS, type ExpiringLinkRecord } from '../dataProvider/methods';
import { RevokeLinkButton } from './RevokeLinkButton';

const imageName = (link: ExpiringLinkRecord) => link.image.filename || link.image.id;
const sizeName = (link: ExpiringLinkRecord) => (link.size === null ? 'original' : `${link.size} px`);

/**
 * The expiring links of the user in the record context that still work, newest first (the server's
 * only order), so an admin can revoke one that leaked.
 */
export function ActiveLinks() {
  return (
    <Box component="section" aria-labelledby="active-links" sx={{ px: 2, pb: 2 }}>
      <Typography id="active-links" variant="h6" component="h2" sx={{ mt: 2 }}>
        Active expiring links
      </Typography>
      <ReferenceManyField
        reference={EXPIRING_LINKS}
        target="ownerId"
        perPage={10}
        sort={{ field: 'createdAt', order: 'DESC' }}
        pagination={<Pagination rowsPerPageOptions={[10, 25, 50]} />}
      >
        <Datagrid bulkActionButtons={false} rowClick={false} empty={<Typography variant="body2">No active expiring links.</Typography>}>
          <FunctionField label="Image" sortable={false} render={imageName} />
          <FunctionField label="Size" sortable={false} render={sizeName} />
          <DateField source="createdAt" label="Created" showTime sortable={false} />
          <DateField source="expiresAt" label="Expires" showTime sortable={false} />
          <RevokeLinkButton />
        </Datagrid>
      </ReferenceManyField>
    </Box>
  );
}
