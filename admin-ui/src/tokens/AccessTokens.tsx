import { Box, Typography } from '@mui/material';
import { Datagrid, DateField, Pagination, ReferenceManyField, TextField } from 'react-admin';
import { ACCESS_TOKENS } from '../dataProvider/methods';
import { RevokeTokenButton } from './RevokeTokenButton';

/**
 * The personal access tokens of the user in the record context, newest first (the server's only
 * order), expired ones included until revoked, so an admin can revoke one that leaked.
 */
export function AccessTokens() {
  return (
    <Box component="section" aria-labelledby="access-tokens" sx={{ px: 2, pb: 2 }}>
      <Typography id="access-tokens" variant="h6" component="h2" sx={{ mt: 2 }}>
        Access tokens
      </Typography>
      <ReferenceManyField
        reference={ACCESS_TOKENS}
        target="userId"
        perPage={10}
        sort={{ field: 'createdAt', order: 'DESC' }}
        pagination={<Pagination rowsPerPageOptions={[10, 25, 50]} />}
      >
        <Datagrid bulkActionButtons={false} rowClick={false} empty={<Typography variant="body2">No access tokens.</Typography>}>
          <TextField source="name" sortable={false} />
          <DateField source="createdAt" label="Created" showTime sortable={false} />
          <DateField source="expiresAt" label="Expires" showTime sortable={false} emptyText="never" />
          <DateField source="lastUsedAt" label="Last used" showTime sortable={false} emptyText="never" />
          <RevokeTokenButton />
        </Datagrid>
      </ReferenceManyField>
    </Box>
  );
}
