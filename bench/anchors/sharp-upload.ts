// Anchor for uploads: a bare Node HTTP server that takes the image bytes as the request body, makes
// both tier thumbnails with the one-decode sharp pipeline (largest height to raw once, both heights
// encoded from it) and writes them and the original to disk. Same Node, same sharp, same output
// formats as the product; nothing else (no multipart, no probe, no database, no auth).
// usage: node sharp-upload.ts <port> <outDir>
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage } from 'node:http';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import sharp, { type Sharp } from 'sharp';

sharp.cache(false); // every upload is a new image, as in the product
const [port, outDir] = process.argv.slice(2) as [string, string];
await mkdir(outDir, { recursive: true });

async function body(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** h400 and h200 from one decode, in the input's format (JPEG q80 or PNG), like the product's tiers. */
async function thumbnails(input: Buffer, png: boolean): Promise<Buffer[]> {
  const { data, info } = await sharp(input).resize({ height: 400 }).raw().toBuffer({ resolveWithObject: true });
  const raw = { raw: { width: info.width, height: info.height, channels: info.channels } };
  const encode = (s: Sharp) => (png ? s.png() : s.jpeg({ quality: 80 })).toBuffer();
  return Promise.all([encode(sharp(data, raw)), encode(sharp(data, raw).resize({ height: 200 }))]);
}

createServer(async (req, res) => {
  if (req.url === '/ready') return void res.end('ok');
  try {
    const input = await body(req);
    const png = req.headers['content-type'] === 'image/png';
    const t0 = performance.now();
    const [h400, h200] = await thumbnails(input, png);
    const t1 = performance.now();
    const id = randomUUID();
    const ext = png ? 'png' : 'jpg';
    await Promise.all([
      writeFile(join(outDir, `${id}-h400.${ext}`), h400!),
      writeFile(join(outDir, `${id}-h200.${ext}`), h200!),
      writeFile(join(outDir, `${id}.${ext}`), input),
    ]);
    const out = JSON.stringify({ id, pipelineMs: t1 - t0, writeMs: performance.now() - t1 });
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(out) }).end(out);
  } catch (error) {
    res.writeHead(500).end(String(error));
  }
}).listen(Number(port), '127.0.0.1');
