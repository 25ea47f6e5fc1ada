// Runs s3rver in a process of its own, started by s3-server.ts with --openssl-legacy-provider: s3rver makes
// ListObjectsV2 continuation tokens with DES, which OpenSSL 3 only offers through the legacy provider.
// Plain TypeScript that Node runs by stripping types. Prints {"port":N} once listening; exits when stdin closes.
import S3rver from 's3rver';

const directory = process.argv[2];
if (!directory) throw new Error('usage: s3rver-process.ts <directory>');

const server = new S3rver({ port: 0, address: '127.0.0.1', silent: process.env.S3RVER_LOG !== '1', directory });
// s3rver deletes the keys of one DeleteObjects request in parallel, then removes emptied folders; when two deletes
// empty the same folder, the slower one fails on the folder the other removed and the whole request answers 500
const deleteObject = server.store.deleteObject.bind(server.store);
server.store.deleteObject = (bucket, key) =>
  deleteObject(bucket, key).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'ENOENT' && error.code !== 'ENOTEMPTY') throw error;
  });

const { port } = await server.run();
process.stdout.write(`${JSON.stringify({ port })}\n`);
// the parent holds our stdin: when it exits, however it exits, so do we
process.stdin.on('end', () => void server.close().finally(() => process.exit(0)));
process.stdin.resume();
