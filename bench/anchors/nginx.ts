import { spawnSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { answers, freePort, startService, type Service } from '../lib/processes.ts';
import { aptInstall } from '../lib/apt.ts';

/** nginx serving the product's media folder at /t/, configured as in PERFORMANCE.md §2 (sendfile, open_file_cache, 2 workers). */
export interface Nginx {
  service: Service;
  origin: string;
}

function nginxVersion(binary: string): string | undefined {
  const run = spawnSync(binary, ['-v'], { encoding: 'utf8' });
  return run.status === 0 ? (run.stderr || run.stdout).trim().replace(/^nginx version: /, '') : undefined;
}

/**
 * Finds nginx. Missing, and only in a full run as root, installs Debian's nginx-light with apt-get
 * (services never start from apt here: the image's policy-rc.d forbids it, and this bench runs its
 * own nginx with its own config anyway).
 */
export function findNginx(allowInstall: boolean): { binary?: string; version?: string; note: string } {
  const found = () => ['nginx', '/usr/sbin/nginx'].map((binary) => ({ binary, version: nginxVersion(binary) })).find((n) => n.version);
  let nginx = found();
  if (nginx) return { ...nginx, note: 'ran' };
  if (!allowInstall) return { note: 'not installed' };
  aptInstall('nginx-light');
  nginx = found();
  return nginx ? { ...nginx, note: 'installed by this run (apt nginx-light), ran' } : { note: 'not installed (apt-get install nginx-light failed)' };
}

export async function startNginx(binary: string, mediaDir: string, workDir: string, logDir: string): Promise<Nginx> {
  const dir = join(workDir, 'nginx');
  for (const sub of ['body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) await mkdir(join(dir, 'tmp', sub), { recursive: true });
  const port = await freePort();
  const conf = `daemon off;
worker_processes 2;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  sendfile on; tcp_nopush on; tcp_nodelay on;
  keepalive_requests 100000;
  open_file_cache max=2000 inactive=60s;
  client_body_temp_path ${dir}/tmp/body; proxy_temp_path ${dir}/tmp/proxy; fastcgi_temp_path ${dir}/tmp/fastcgi;
  uwsgi_temp_path ${dir}/tmp/uwsgi; scgi_temp_path ${dir}/tmp/scgi;
  types { image/jpeg jpg; image/png png; }
  server {
    listen 127.0.0.1:${port};
    location = /ready { return 200 'ok'; }
    location /t/ { alias ${mediaDir}/; }
  }
}
`;
  await writeFile(join(dir, 'nginx.conf'), conf);
  const origin = `http://127.0.0.1:${port}`;
  const service = await startService({
    name: 'nginx',
    command: binary,
    args: ['-p', `${dir}/`, '-e', `${dir}/error.log`, '-c', join(dir, 'nginx.conf')],
    logDir,
    ready: () => answers(`${origin}/ready`),
    stopSignal: 'SIGQUIT',
  });
  return { service, origin };
}
