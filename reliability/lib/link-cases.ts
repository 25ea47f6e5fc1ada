import { baseJudge, type FuzzCase, type FuzzContext } from './cases.ts';
import type { Random } from './random.ts';

/** A signed file link, broken or not: only an intact one may answer 200. */
export function linkCase(rng: Random, ctx: FuzzContext): FuzzCase {
  const base = ctx.knownLinks.length ? rng.pick(ctx.knownLinks) : `/files/${rng.uuid()}/h200?sig=x`;
  let family = rng.weighted<string>([['intact', 2], ['sig-flip', 3], ['id-swap', 2], ['variant', 2], ['junk', 2], ['expiring-token', 2]]);
  let path = base;
  switch (family) {
    case 'sig-flip': {
      const at = base.indexOf('sig=') + 4 + rng.int(0, 20);
      path = base.slice(0, at) + rng.pick(['A', '_', '-', '%00', '%ff', '']) + base.slice(at + 1);
      break;
    }
    case 'id-swap': path = base.replace(/\/files\/[^/]+/, `/files/${rng.pick([rng.uuid(), '..', '%2e%2e%2f', 'x'.repeat(rng.length(5000))])}`); break;
    case 'variant': path = base.replace(/\/files\/([^/]+)\/[^?]+/, `/files/$1/${rng.pick(['h1', 'h0', 'h-1', 'h99999999999999999999', 'original', 'h200.png', '%00', 'h400'])}`); break;
    case 'junk': path = `/files/${rng.uuid()}/h200?sig=${rng.bytes(rng.length(3000)).toString('base64url')}&sig=x`; break;
    case 'expiring-token': path = `/links/${rng.pick(['', 'v1.', 'v1.x.y.z', rng.bytes(rng.length(2000)).toString('base64url'), '%ff%fe'])}`; break;
  }
  // a mutation that happened to change nothing leaves a good link, which must still work
  if (path === base) family = 'intact';
  return {
    kind: 'link',
    family: `link/${family}`,
    label: `GET ${path.slice(0, 200)}`,
    request: { method: 'GET', path, headers: {} },
    judge(response, json) {
      const base = baseJudge(response, json, false);
      if (base) return base;
      if (family === 'intact') return response.status === 200 ? undefined : `an intact link answered ${response.status}`;
      if (response.status === 200) return `a broken link (${family}) answered 200`;
      return undefined;
    },
  };
}
