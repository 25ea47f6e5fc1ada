import { isIP } from 'node:net';
import { z } from 'zod';

/** Express's `trust proxy`: a hop count, or the proxies' addresses; `false` trusts none. */
export type TrustProxy = false | number | string[];

const NAMED = new Set(['loopback', 'linklocal', 'uniquelocal']);

const isAddressOrSubnet = (entry: string): boolean => {
  const [address, bits, ...rest] = entry.split('/');
  if (rest.length > 0 || !address) return false;
  const family = isIP(address);
  if (family === 0) return false;
  return bits === undefined || (/^\d+$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128));
};

/**
 * Parses TRUST_PROXY. `true` is refused: it takes the left-most X-Forwarded-For entry, which any client
 * writes itself, and the per-address login limit would then count whatever address the client picked.
 */
export const trustProxySetting = z
  .string()
  .trim()
  .default('loopback')
  .transform((value, ctx): TrustProxy => {
    if (value === 'false' || value === '') return false;
    if (/^\d+$/.test(value)) return Number(value);
    if (value === 'true') {
      ctx.addIssue({ code: 'custom', message: 'true would trust any client’s X-Forwarded-For; give the proxies’ addresses or a hop count' });
      return z.NEVER;
    }
    const entries = value.split(',').map((entry) => entry.trim()).filter(Boolean);
    const bad = entries.filter((entry) => !NAMED.has(entry) && !isAddressOrSubnet(entry));
    if (bad.length > 0) {
      ctx.addIssue({ code: 'custom', message: `must be false, a hop count, or addresses, subnets, loopback, linklocal, uniquelocal; not ${bad.join(', ')}` });
      return z.NEVER;
    }
    return entries;
  });
