import { Card, CardContent, Table, TableBody, TableCell, TableHead, TableRow, Typography } from '@mui/material';
import { Link } from 'react-admin';
import type { AdminStatsRecord } from '../dataProvider/methods';
import { formatBytes, formatCount } from './format';

/** The ten users storing the most, each linking to their page. */
export function TopUsers({ users }: { users: AdminStatsRecord['topUsers'] }) {
  return (
    <Card component="section" aria-label="Top users by storage" sx={{ flex: '1 1 360px', minWidth: 0 }}>
      <CardContent>
        <Typography variant="h6" component="h2">
          Top users by storage
        </Typography>
        {users.length === 0 ? (
          <Typography variant="body2">Nobody has uploaded anything yet.</Typography>
        ) : (
          <Table size="small" aria-label="Top users">
            <TableHead>
              <TableRow>
                <TableCell>User</TableCell>
                <TableCell align="right">Images</TableCell>
                <TableCell align="right">Storage</TableCell>
              </TableRow>
            </TableHead>
            <TableBody>
              {users.map((usage) => (
                <TableRow key={usage.user.id}>
                  <TableCell component="th" scope="row">
                    <Link to={`/users/${usage.user.id}`}>{usage.user.username}</Link>
                  </TableCell>
                  <TableCell align="right">{formatCount(usage.images)}</TableCell>
                  <TableCell align="right">{formatBytes(usage.bytes)}</TableCell>
                </TableRow>
              ))}
            </TableBody>
          </Table>
        )}
      </CardContent>
    </Card>
  );
}
