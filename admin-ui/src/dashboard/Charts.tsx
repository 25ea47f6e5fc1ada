import { Card, CardContent, Typography } from '@mui/material';
import { BarChart } from '@mui/x-charts/BarChart';
import { PieChart } from '@mui/x-charts/PieChart';
import type { ReactNode } from 'react';
import type { AdminStatsRecord } from '../dataProvider/methods';
import { formatBytes } from './format';

function ChartCard({ title, children }: { title: string; children: ReactNode }) {
  return (
    <Card component="section" aria-label={title} sx={{ flex: '1 1 360px', minWidth: 0 }}>
      <CardContent>
        <Typography variant="h6" component="h2">
          {title}
        </Typography>
        {children}
      </CardContent>
    </Card>
  );
}

/** Images uploaded per day over the last 30 days (of those stored now). */
export function UploadsChart({ days }: { days: AdminStatsRecord['uploadsPerDay'] }) {
  return (
    <ChartCard title="Uploads per day (last 30 days)">
      <BarChart
        height={240}
        dataset={days.map((day) => ({ day: day.day.slice(5), images: day.images }))}
        xAxis={[{ scaleType: 'band', dataKey: 'day', tickLabelInterval: (_value, index) => index % 5 === 4 }]}
        series={[{ dataKey: 'images', label: 'Images' }]}
        hideLegend
      />
    </ChartCard>
  );
}

/** Bytes of originals and thumbnails stacked, per tier. */
export function StorageChart({ tiers }: { tiers: AdminStatsRecord['tiers'] }) {
  return (
    <ChartCard title="Storage per tier">
      <BarChart
        height={240}
        dataset={tiers.map((usage) => ({ tier: usage.tier.name, originals: usage.originalBytes, thumbnails: usage.thumbnailBytes }))}
        xAxis={[{ scaleType: 'band', dataKey: 'tier' }]}
        yAxis={[{ valueFormatter: (bytes: number) => formatBytes(bytes), width: 72 }]}
        series={[
          { dataKey: 'originals', label: 'Originals', stack: 'bytes', valueFormatter: (bytes) => formatBytes(bytes ?? 0) },
          { dataKey: 'thumbnails', label: 'Thumbnails', stack: 'bytes', valueFormatter: (bytes) => formatBytes(bytes ?? 0) },
        ]}
      />
    </ChartCard>
  );
}

/** How the users are spread over the tiers. */
export function UsersChart({ tiers }: { tiers: AdminStatsRecord['tiers'] }) {
  return (
    <ChartCard title="Users per tier">
      <PieChart
        height={240}
        series={[{ data: tiers.map((usage) => ({ id: usage.tier.id, value: usage.users, label: usage.tier.name })), innerRadius: 40, paddingAngle: 1 }]}
      />
    </ChartCard>
  );
}
