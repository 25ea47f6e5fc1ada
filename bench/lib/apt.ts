import { spawnSync } from 'node:child_process';

/**
 * Installs a Debian package for an anchor or the load generator (root only; services never start from
 * apt here), refreshing the package lists once if the first try fails. True when apt-get succeeded.
 */
export function aptInstall(name: string): boolean {
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const install = () => spawnSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', name], { env, stdio: 'ignore' }).status === 0;
  if (install()) return true;
  spawnSync('apt-get', ['update', '-qq'], { env, stdio: 'ignore' });
  return install();
}
