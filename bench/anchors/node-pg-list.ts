// Anchor for the list of 50: bare node:http + node-postgres on the product's own database, answering
// the bench's list query (sections/list.ts LIST) with the same JSON the product sends. Per request:
// one HMAC-SHA256 to check the bearer token (the product's own HS256 login token, with its secret),
// the product's keyset SQL (server/src/images/image.service.ts, LIST_FIRST_SQL) as a named statement,
// and one HMAC-SHA256 per link, computed afresh (2 thumbnails + the original per row on the enterprise
// tier), signed with the product's key so the URLs are the product's. No GraphQL, no ORM, no viewer
// row: the listing user's tier is read once at start.
// usage: PG_URL=… AUTH_SECRET=… LINK_KEY=… PUBLIC_URL=… OWNER_ID=… node node-pg-list.ts <port>
import { createHmac, createSecretKey, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage } from 'node:http';
import pg from 'pg';

const [port] = process.argv.slice(2) as [string];
const env = (name: string) => process.env[name] ?? (() => { throw new Error(`${name} is not set`); })();
// the product's pool size (server/src/db/orm.ts)
const pool = new pg.Pool({ connectionString: env('PG_URL'), max: 10 });
// KeyObjects, as bench-anchors' hmac-bench.mjs: createHmac over a raw Buffer key imports the key
// every time, which costs 15–20 µs here against ~3.5 µs with a KeyObject
const authKey = createSecretKey(Buffer.from(env('AUTH_SECRET'), 'utf8'));
const linkKey = createSecretKey(Buffer.from(env('LINK_KEY'), 'utf8'));
const publicUrl = env('PUBLIC_URL');

const LIST_SQL =
  'select i.id, i.filename, i.format, i.width, i.height, i.bytes, floor(extract(epoch from i.created_at) * 1000)::bigint as created_ms ' +
  'from "images" as i where i.owner_id = $1 order by i.created_at desc, i.id desc limit $2';

const { rows: tiers } = await pool.query<{ heights: number[]; original: boolean }>(
  'select t.thumbnail_heights as heights, t.original_link as original from users u join tiers t on t.id = u.tier_id where u.id = $1',
  [env('OWNER_ID')],
);
const tier = tiers[0] ?? (() => { throw new Error('the listing user has no tier'); })();
const heights = [...tier.heights].sort((a, b) => a - b);

/** The token's user id if its HS256 signature and expiry hold: one HMAC, as the product's first check of a token costs. */
function viewerId(authorization: string | undefined): string | undefined {
  const [header, payload, signature] = (authorization?.startsWith('Bearer ') ? authorization.slice(7) : '').split('.');
  if (!header || !payload || !signature) return undefined;
  const expected = createHmac('sha256', authKey).update(`${header}.${payload}`).digest();
  const given = Buffer.from(signature, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { sub?: string; exp?: number };
  return typeof claims.sub === 'string' && (claims.exp ?? 0) > Date.now() / 1000 ? claims.sub : undefined;
}

// the product's LinkUrls.permanent: 16 bytes of HMAC-SHA256 over `file:<id>/<variant>`
const link = (id: string, variant: string) =>
  `${publicUrl}/files/${id}/${variant}?sig=${createHmac('sha256', linkKey).update(`file:${id}/${variant}`).digest().subarray(0, 16).toString('base64url')}`;

interface Row { id: string; width: number; height: number; created_ms: string }

async function body(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

createServer(async (req, res) => {
  if (req.url === '/ready') return void res.end('ok');
  const owner = viewerId(req.headers.authorization);
  const request = JSON.parse(await body(req)) as { variables?: { first?: number } };
  if (!owner) return void res.writeHead(401).end();
  const first = request.variables?.first ?? 20;
  const { rows } = await pool.query<Row>({ name: 'list', text: LIST_SQL, values: [owner, first + 1] });
  const edges = rows.slice(0, first).map((row) => {
    const createdAt = new Date(Number(row.created_ms));
    return {
      cursor: Buffer.from(`${createdAt.getTime()}:${row.id}`).toString('base64url'),
      node: {
        id: row.id,
        width: row.width,
        height: row.height,
        createdAt: createdAt.toISOString(),
        originalUrl: tier.original ? link(row.id, 'original') : null,
        thumbnails: heights.map((size) => ({ size, url: link(row.id, `h${size}`) })),
      },
    };
  });
  // Apollo ends its JSON with a newline
  const out = `${JSON.stringify({ data: { images: { edges, pageInfo: { endCursor: edges.at(-1)?.cursor ?? null, hasNextPage: rows.length > first } } } })}\n`;
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(out) }).end(out);
}).listen(Number(port), '127.0.0.1');
