import { Box, Card, CardContent, Chip, LinearProgress, Stack, Table, TableBody, TableCell, TableHead, TableRow, Typography } from '@mui/material';
import type { AdminStatsRecord } from '../dataProvider/methods';
import { formatCount, inStepPercent, isBusy, isRegenerating } from './format';

/**
 * Thumbnail regeneration per tier (images whose stored thumbnails differ from the tier's heights) and
 * the job queues, so an admin who just edited a tier watches the sync finish.
 */
export function BackgroundWork({ stats }: { stats: AdminStatsRecord }) {
  const { jobs } = stats;
  return (
    <Card component="section" aria-label="Background work" sx={{ flex: '1 1 480px', minWidth: 0 }}>
      <CardContent>
        <Typography variant="h6" component="h2">
          Background work
        </Typography>
        <Stack direction="row" spacing={1} sx={{ my: 1 }} data-testid="jobs">
          <Chip label={`${jobs.queued} queued`} color={jobs.queued ? 'info' : 'default'} data-testid="jobs-queued" />
          <Chip label={`${jobs.running} running`} color={jobs.running ? 'info' : 'default'} data-testid="jobs-running" />
          <Chip label={`${jobs.failed} failed`} color={jobs.failed ? 'error' : 'default'} data-testid="jobs-failed" />
        </Stack>
        <Typography variant="body2" data-testid="work-status">
          {isRegenerating(stats) ? 'Regenerating thumbnails.' : 'All thumbnails match their tiers.'}
          {isBusy(stats) ? ' This page refreshes every 2 seconds while work is under way.' : ''}
        </Typography>
        <Typography variant="caption" color="text.secondary" component="p" data-testid="queues">
          {jobs.queues
            .filter((queue) => queue.queued + queue.running + queue.failed > 0)
            .map((queue) => `${queue.queue}: ${queue.queued} queued, ${queue.running} running, ${queue.failed} failed`)
            .join(' · ')}
        </Typography>
        <Table size="small" aria-label="Thumbnails per tier">
          <TableHead>
            <TableRow>
              <TableCell>Tier</TableCell>
              <TableCell align="right">Images</TableCell>
              <TableCell align="right">Out of step</TableCell>
              <TableCell sx={{ width: '40%' }}>In step</TableCell>
            </TableRow>
          </TableHead>
          <TableBody>
            {stats.tiers.map((usage) => (
              <TableRow key={usage.tier.id} data-testid={`regeneration-${usage.tier.name}`}>
                <TableCell component="th" scope="row">
                  {usage.tier.name}
                </TableCell>
                <TableCell align="right">{formatCount(usage.images)}</TableCell>
                <TableCell align="right" data-testid="out-of-step">
                  {formatCount(usage.imagesOutOfStep)}
                </TableCell>
                <TableCell>
                  <Box sx={{ display: 'flex', alignItems: 'center', gap: 1 }}>
                    <LinearProgress variant="determinate" value={inStepPercent(usage)} sx={{ flex: 1 }} aria-label={`${usage.tier.name} in step`} />
                    <Typography variant="caption">{inStepPercent(usage)} %</Typography>
                  </Box>
                </TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
      </CardContent>
    </Card>
  );
}
