/** The server's rule for a tier limit, checked before saving; `undefined` when it holds. */
export function validateLimit(value: unknown): string | undefined {
  // react-admin's NumberInput gives null for an empty field: no limit
  if (value === null || value === undefined || value === '') return undefined;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) return 'A whole number of at least 1, or empty for no limit';
  return undefined;
}

const UNITS = ['bytes', 'KB', 'MB', 'GB', 'TB', 'PB'];

/** Bytes for people, in powers of 1000 as disks are sold: 1 500 000 → "1.5 MB". */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 1000) return `${Number.isFinite(bytes) ? bytes : 0} bytes`;
  const power = Math.min(Math.floor(Math.log10(bytes) / 3), UNITS.length - 1);
  const value = bytes / 1000 ** power;
  return `${value >= 100 ? Math.round(value) : Number(value.toPrecision(3))} ${UNITS[power]}`;
}

/** A tier's limits in a few words for the list: "100 images · 1 GB · 20/h", or "none". */
export function describeLimits(tier: { maxImages?: number | null; maxBytes?: number | null; uploadsPerHour?: number | null }): string {
  const parts = [
    tier.maxImages != null ? `${tier.maxImages} image${tier.maxImages === 1 ? '' : 's'}` : undefined,
    tier.maxBytes != null ? formatBytes(tier.maxBytes) : undefined,
    tier.uploadsPerHour != null ? `${tier.uploadsPerHour}/h` : undefined,
  ].filter(Boolean);
  return parts.length ? parts.join(' · ') : 'none';
}
