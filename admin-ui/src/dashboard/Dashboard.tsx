import { Alert, Box, LinearProgress, Stack, Typography } from '@mui/material';
import { useQuery } from '@tanstack/react-query';
import { Title, useDataProvider } from 'react-admin';
import type { AppDataProvider } from '../dataProvider/methods';
import { BackgroundWork } from './BackgroundWork';
import { StorageChart, UploadsChart, UsersChart } from './Charts';
import { formatBytes, formatCount, refreshMs } from './format';
import { StatCard } from './StatCard';
import { TopUsers } from './TopUsers';

/** The system at a glance, from one `adminStats` query, refreshed on its own (often while jobs run). */
export default function Dashboard() {
  const dataProvider = useDataProvider<AppDataProvider>();
  const { data: stats, error } = useQuery({
    queryKey: ['adminStats'],
    queryFn: () => dataProvider.adminStats(),
    refetchInterval: (query) => refreshMs(query.state.data),
    refetchIntervalInBackground: false,
  });
  if (!stats) return error ? <Alert severity="error">The statistics could not be read: {String((error as Error).message)}</Alert> : <LinearProgress />;
  const { totals } = stats;
  const bytes = (n: number) => `${formatCount(n)} bytes`;
  return (
    <Box sx={{ py: 2 }}>
      <Title title="Dashboard" />
      <Stack direction="row" sx={{ flexWrap: 'wrap', gap: 2 }}>
        <StatCard label="Images" value={formatCount(totals.images)} testId="total-images" />
        <StatCard label="Originals" value={formatBytes(totals.originalBytes)} detail={bytes(totals.originalBytes)} testId="total-original-bytes" />
        <StatCard label="Thumbnails" value={formatBytes(totals.thumbnailBytes)} detail={bytes(totals.thumbnailBytes)} testId="total-thumbnail-bytes" />
        <StatCard label="Users" value={formatCount(totals.users)} testId="total-users" />
      </Stack>
      <Stack direction="row" sx={{ flexWrap: 'wrap', gap: 2, mt: 2 }}>
        <UploadsChart days={stats.uploadsPerDay} />
        <StorageChart tiers={stats.tiers} />
        <UsersChart tiers={stats.tiers} />
      </Stack>
      <Stack direction="row" sx={{ flexWrap: 'wrap', gap: 2, mt: 2 }}>
        <BackgroundWork stats={stats} />
        <TopUsers users={stats.topUsers} />
      </Stack>
      <Typography variant="caption" color="text.secondary" component="p" sx={{ mt: 1 }} data-testid="generated-at">
        Figures of {new Date(stats.generatedAt).toLocaleTimeString('en-GB')}
      </Typography>
    </Box>
  );
}
