import { Table, TableBody, TableCell, TableHead, TableRow, Typography } from '@mui/material';
import { useRecordContext } from 'react-admin';
import { changeRows } from './changes';

/** The event's changed fields, before and after side by side. */
export function ChangesField(_props: { label?: string }) {
  const event = useRecordContext<{ before?: Record<string, unknown> | null; after?: Record<string, unknown> | null }>();
  if (!event) return null;
  const rows = changeRows(event.before, event.after);
  if (rows.length === 0) return <Typography variant="body2">No field changed</Typography>;
  return (
    <Table size="small" aria-label="Changes" sx={{ '& td, & th': { py: 0.25, px: 1 } }}>
      <TableHead>
        <TableRow>
          <TableCell>Field</TableCell>
          <TableCell>Before</TableCell>
          <TableCell>After</TableCell>
        </TableRow>
      </TableHead>
      <TableBody>
        {rows.map((row) => (
          <TableRow key={row.field}>
            <TableCell component="th" scope="row">
              {row.field}
            </TableCell>
            <TableCell>{row.before}</TableCell>
            <TableCell>{row.after}</TableCell>
          </TableRow>
        ))}
      </TableBody>
    </Table>
  );
}
