import { chmod, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A fresh temporary folder the postgres user can enter (mode 755, where mkdtemp makes 700), for tests
 * whose embedded PostgreSQL keeps its cluster there. A private one would, as root, send the cluster to
 * /var/lib/image-api, where the product keeps it for good; only the mode-700 test wants that.
 */
export async function postgresReachableTempDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  await chmod(dir, 0o755);
  return dir;
}
