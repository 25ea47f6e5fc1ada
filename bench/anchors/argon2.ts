// Anchor for logins: bare Node HTTP that checks one password with argon2id at the product's cost
// (OWASP baseline: 19 MiB, 2 passes, 1 lane) and nothing else, so the login figure shows how much
// of a login is argon2.
// usage: node argon2.ts <port>
import { createServer } from 'node:http';
import argon2 from 'argon2';

const [port] = process.argv.slice(2) as [string];
const OPTIONS = { type: argon2.argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;
const hash = await argon2.hash('bench-password-1', OPTIONS);

createServer(async (req, res) => {
  if (req.url === '/ready') return void res.end('ok');
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const { password } = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { password: string };
  const ok = await argon2.verify(hash, password);
  res.writeHead(ok ? 200 : 401, { 'content-type': 'application/json' }).end(JSON.stringify({ ok }));
}).listen(Number(port), '127.0.0.1');
