// Anchor for thumbnail GETs: bare Node HTTP, `fs.promises.readFile` then `res.end(buf)` (PERFORMANCE.md
// §2's "readfile" mode), serving /t/<path> from the product's media folder, so both read the same files.
// usage: node static-readfile.ts <port> <root>
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { join, normalize } from 'node:path';

const [port, root] = process.argv.slice(2) as [string, string];

createServer(async (req, res) => {
  const url = req.url ?? '';
  if (url === '/ready') return void res.end('ok');
  const rel = url.startsWith('/t/') ? normalize(url.slice(3)) : '';
  if (!rel || rel.startsWith('..')) return void res.writeHead(404).end();
  let bytes: Buffer;
  try {
    bytes = await readFile(join(root, rel));
  } catch {
    return void res.writeHead(404).end();
  }
  res.writeHead(200, { 'content-type': rel.endsWith('.png') ? 'image/png' : 'image/jpeg', 'content-length': bytes.length }).end(bytes);
}).listen(Number(port), '127.0.0.1');
