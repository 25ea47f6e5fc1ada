import { Card, CardContent, Typography } from '@mui/material';

/** One figure with its label; `detail` says it exactly where the figure is rounded. */
export function StatCard({ label, value, detail, testId }: { label: string; value: string; detail?: string; testId: string }) {
  return (
    <Card component="section" aria-label={label} data-testid={testId} sx={{ flex: '1 1 180px' }}>
      <CardContent>
        <Typography variant="overline" component="h2" color="text.secondary">
          {label}
        </Typography>
        <Typography variant="h4" component="p" data-testid={`${testId}-value`}>
          {value}
        </Typography>
        {detail && (
          <Typography variant="caption" color="text.secondary" data-testid={`${testId}-detail`}>
            {detail}
          </Typography>
        )}
      </CardContent>
    </Card>
  );
}
