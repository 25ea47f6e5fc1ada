// Anchor for hot thumbnail GETs: bare node:http sending files it read into memory at start
// (bench-anchors' static-node.mjs "memory" mode), so a request costs the HTTP work and nothing else.
// Serves /t/<key> for each key given, read from the product's media folder: the very same bytes.
// usage: node static-memory.ts <port> <root> <key>...
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';

const [port, root, ...keys] = process.argv.slice(2) as [string, string, ...string[]];
const files = new Map(keys.map((key) => [`/t/${key}`, readFileSync(join(root, key))]));

createServer((req, res) => {
  if (req.url === '/ready') return void res.end('ok');
  const bytes = files.get(req.url ?? '');
  if (!bytes) return void res.writeHead(404).end();
  res.writeHead(200, { 'content-type': req.url!.endsWith('.png') ? 'image/png' : 'image/jpeg', 'content-length': bytes.length }).end(bytes);
}).listen(Number(port), '127.0.0.1');
