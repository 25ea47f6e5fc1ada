// The end-to-end tests drive Debian's Chromium (Playwright's own browser download cannot work here).
// Finds it, or installs it with apt-get when running as root, so the test command needs no person.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const candidates = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'].filter(Boolean);
const found = candidates.find((path) => existsSync(path));
if (found) {
  console.log(`chromium: ${found}`);
  process.exit(0);
}
if (process.getuid?.() !== 0) {
  console.error('Chromium is missing: install it (Debian: apt-get install chromium) or set CHROMIUM_PATH.');
  process.exit(1);
}
console.log('chromium: installing with apt-get (Debian package chromium)…');
const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'chromium', 'fonts-dejavu-core'], { stdio: 'inherit', env });
if (!existsSync('/usr/bin/chromium')) {
  console.error('apt-get finished but /usr/bin/chromium is still missing');
  process.exit(1);
}
console.log('chromium: /usr/bin/chromium');
