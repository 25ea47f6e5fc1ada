import { randomBytes } from 'node:crypto';
import { globSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ConfigError, loadConfig } from '../../src/config/env.js';
import {
  composeValidator,
  dependencyClosure,
  healthWaitsWithoutCheck,
  interpolate,
  InterpolationError,
  parseEnvFile,
  referencedVariables,
  serviceEnvironment,
  type ComposeFile,
  type ComposeService,
} from './compose.js';
import { healthcheckOf, instructions, splitWords } from './dockerfile.js';
import { DockerfileModel, readWorkspace } from './dockerfile-checks.js';
import { dockerignore } from './dockerignore.js';
import { deployProblems, runtimeFolderProblems, type RuntimeScript } from './runtime-script.js';

// Static checks of the deployment files (no Docker engine needed): docker-compose.yml, .env.example,
// Dockerfile, the runtime script it runs and .dockerignore against the Compose spec, the server's
// config and the workspace. runtime-folder.spec.ts runs that script.

const ROOT = resolve(import.meta.dirname, '../../..');
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');

const composeText = read('docker-compose.yml');
const envExample = parseEnvFile(read('.env.example'));
/** .env.example with its blanks (the secrets) filled in, as a user's .env would be. */
const dotenv = Object.fromEntries(Object.entries(envExample).map(([key, value]) => [key, value || randomBytes(32).toString('hex')]));
const parseCompose = () => parse(composeText, { merge: true }) as ComposeFile;
const compose = interpolate(parseCompose(), dotenv);
const validateCompose = composeValidator();

const workspace = readWorkspace(ROOT);
const dockerfileText = read('Dockerfile');
const runtimeScript: RuntimeScript = { path: 'scripts/build-runtime.sh', text: read('scripts/build-runtime.sh') };
const dockerfile = new DockerfileModel(dockerfileText, workspace, runtimeScript);
const ignored = dockerignore(read('.dockerignore'));

/** Services built from this repository's Dockerfile: the server and its replicas. */
const serverServices = Object.entries(compose.services).filter(([, service]) => service.build !== undefined);

/** The environment a server container gets: the image's ENV, then the service's. */
const containerEnv = (service: ComposeService) => ({ ...dockerfile.runtimeEnv(), ...serviceEnvironment(service) });

/** Every variable the server reads: the keys of the env schema in config/env-schema.ts. */
const serverVariables = [...read('server/src/config/env-schema.ts').matchAll(/^ {4}([A-Z][A-Z0-9_]*): /gm)].map((m) => m[1]!);
/** Read by the dynamic loader and the C library under Node, not by the config: the image sets them for libvips' allocations. */
const RUNTIME_VARIABLES = ['MALLOC_ARENA_MAX', 'LD_PRELOAD'];

/** Variables loadConfig refuses to do without when NODE_ENV=production, read from its own error. */
function requiredInProduction(): string[] {
  try {
    loadConfig({ NODE_ENV: 'production' });
    return [];
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return [...error.message.matchAll(/^\s+(\w+)=\(unset\)/gm)].map((m) => m[1]!);
  }
}

describe('docker-compose.yml', () => {
  it('is a valid Compose file once .env is filled in', () => {
    expect(validateCompose(compose)).toEqual([]);
  });

  it.each<[string, (doc: any) => void, string]>([
    ['an unknown service key', (doc) => (doc.services.server.restart_policy = 'always'), 'restart_policy'],
    ['a healthcheck interval that is no duration', (doc) => (doc.services.postgres.healthcheck.interval = 'soon'), '/services/postgres/healthcheck/interval'],
    ['a misspelt depends_on condition', (doc) => (doc.services.server.depends_on.postgres.condition = 'service_ready'), 'service_healthy'],
    ['a port that is no port', (doc) => (doc.services.server.ports = ['4000:http']), '/services/server/ports/0'],
    ['an environment value that is an object', (doc) => (doc.services.server.environment.PORT = { value: 1 }), '/services/server/environment'],
  ])('is rejected with %s', (_name, mutate, expected) => {
    const broken = structuredClone(compose);
    mutate(broken);
    expect(validateCompose(broken).join('\n')).toContain(expected);
  });

  it('refuses to start while a secret .env.example leaves empty is unset', () => {
    const blanks = Object.keys(envExample).filter((key) => envExample[key] === '');
    expect(blanks).toEqual(expect.arrayContaining(['AUTH_SECRET', 'LINK_SIGNING_KEYS', 'ADMIN_PASSWORD']));
    let error: unknown;
    try {
      interpolate(parseCompose(), envExample);
    } catch (thrown) {
      error = thrown;
    }
    expect(error).toBeInstanceOf(InterpolationError);
    expect((error as InterpolationError).missing.sort()).toEqual(blanks.sort());
  });

  it('uses exactly the variables .env.example documents', () => {
    expect(referencedVariables(composeText)).toEqual(Object.keys(envExample).sort());
  });

  it('starts every service from an image or the Dockerfile, after services that exist', () => {
    const stages = dockerfile.stages.map((stage) => stage.name);
    for (const [name, service] of Object.entries(compose.services)) {
      expect(service.image ?? service.build, name).toBeDefined();
      for (const dep of dependencyClosure(compose, name)) expect(Object.keys(compose.services), `${name} depends on ${dep}`).toContain(dep);
      if (typeof service.build === 'object') {
        expect(resolve(ROOT, service.build.context, service.build.dockerfile ?? 'Dockerfile')).toBe(join(ROOT, 'Dockerfile'));
        expect(stages).toContain(service.build.target);
      }
    }
  });

  it('waits for health only of services that declare a healthcheck, whatever format built their image', () => {
    expect(healthWaitsWithoutCheck(compose)).toEqual([]);
    expect(compose.services['server-replica']?.depends_on).toMatchObject({ server: { condition: 'service_healthy' } });
    const withoutCheck = structuredClone(compose);
    delete withoutCheck.services.server!.healthcheck;
    expect(healthWaitsWithoutCheck(withoutCheck)).toEqual(['server-replica waits for server to be healthy, but server declares no healthcheck']);
    expect(compose.services.server?.depends_on).toMatchObject({
      postgres: { condition: 'service_healthy' },
      'minio-init': { condition: 'service_completed_successfully' },
    });
  });
});

describe.each(serverServices)('compose service %s', (name, service) => {
  const env = containerEnv(service);

  it("checks its health as the image's HEALTHCHECK does", () => {
    const image = healthcheckOf(dockerfile.runtime);
    expect(image).toBeDefined();
    expect(service.healthcheck).toEqual({
      test: ['CMD', ...image!.argv],
      interval: image!.options.interval,
      timeout: image!.options.timeout,
      start_period: image!.options['start-period'],
      retries: Number(image!.options.retries),
    });
  });

  it('sets every variable the config requires in production', () => {
    const required = requiredInProduction();
    expect(required).toEqual(expect.arrayContaining(['AUTH_SECRET', 'LINK_SIGNING_KEYS']));
    expect(required.filter((key) => !env[key])).toEqual([]);
  });

  it('loads as a production config', () => {
    const config = loadConfig(env);
    expect(config.isProduction).toBe(true);
    expect(config.databaseUrl).toBeDefined();
    expect(config.admin).toBeDefined();
    expect(config.adminUiDir).toBe(env.ADMIN_UI_DIR);
    expect(config.storage).toMatchObject({ driver: 's3', endpoint: 'http://minio:9000', forcePathStyle: true, credentials: expect.anything() });
    const published = (service.ports ?? []).map((port) => Number(String(port).split(':').at(-1)));
    expect(published).toContain(config.port);
  });

  it('sets only variables the server reads', () => {
    expect(serverVariables).toEqual(expect.arrayContaining(['DATABASE_URL', 'AUTH_SECRET', 'STORAGE']));
    expect(Object.keys(env).filter((key) => !serverVariables.includes(key) && !RUNTIME_VARIABLES.includes(key))).toEqual([]);
  });

  it('fails to load without any one of the required variables, S3 ones included', () => {
    const needed = Object.keys(env).filter((key) => {
      try {
        loadConfig({ ...env, [key]: undefined });
        return false;
      } catch (error) {
        return error instanceof ConfigError && error.message.includes(`${key}=(unset)`);
      }
    });
    expect(needed).toEqual(expect.arrayContaining([...requiredInProduction(), 'S3_BUCKET']));
  });

  it('reaches PostgreSQL and S3 on services it waits for', () => {
    const waitsFor = dependencyClosure(compose, name);
    const hosts = Object.values(env)
      .filter((value): value is string => /^(postgres(ql)?|https?):\/\//.test(value ?? ''))
      .map((value) => new URL(value).hostname)
      .filter((host) => host !== 'localhost' && host !== '127.0.0.1');
    expect(hosts).toEqual(expect.arrayContaining(['postgres', 'minio']));
    for (const host of hosts) expect([...waitsFor], `${name} reaches ${host}`).toContain(host);
    expect(env.S3_BUCKET).toBe(serviceEnvironment(compose.services['minio-init']!).S3_BUCKET);
    expect(env.STORAGE).toBe('s3');
  });
});

describe('Dockerfile', () => {
  it('builds the runtime folder with the runtime script, and copies nothing else into the runtime stage', () => {
    expect(runtimeFolderProblems(dockerfile)).toEqual([]);
  });

  it('runs only scripts that exist, and builds the server and the admin app', () => {
    expect(dockerfile.missingScripts()).toEqual([]);
    const built = dockerfile
      .pnpmCalls()
      .filter((call) => call.command[0] === 'run' && call.command[1] === 'build')
      .flatMap((call) => dockerfile.targetPackages(call.workdir, call.filters));
    expect(built.sort()).toEqual(['admin-ui', 'server']);
  });

  it('deploys the server without its devDependencies', () => {
    expect(deployProblems(dockerfile)).toEqual([]);
  });

  it('installs the pnpm of packageManager', () => {
    expect(dockerfile.pnpmVersionMismatches()).toEqual([]);
  });

  it('builds on Debian Node images of the major engines.node allows', () => {
    expect(dockerfile.baseImageProblems()).toEqual([]);
  });

  it("starts the server's start:prod on the compiled server", () => {
    expect(dockerfile.cmdProblems()).toEqual([]);
  });

  it('preloads only a library the runtime stage installs and links at that path', () => {
    const preload = dockerfile.runtimeEnv().LD_PRELOAD;
    expect(preload).toBeDefined();
    const runs = instructions(dockerfile.runtime, 'RUN').map((i) => i.args);
    expect(runs.some((run) => /apt-get install\b.*\blibjemalloc2\b/.test(run) && run.includes(`ln -s`) && run.trimEnd().endsWith(` ${preload}`))).toBe(true);
  });

  it('runs as a non-root user', () => {
    expect(dockerfile.runtimeUser()).toMatch(/^(?!root$|0$)\S+$/);
  });

  it('copies only paths the build context has', () => {
    expect(dockerfile.contextCopyProblems(ignored)).toEqual([]);
  });

  it('serves the admin app from where it copies its build', () => {
    const env = dockerfile.runtimeEnv();
    expect(env.NODE_ENV).toBe('production');
    expect(dockerfile.builtFrom(env.ADMIN_UI_DIR!)).toBe('admin-ui/dist');
  });

  it('exposes the configured port and checks /healthz with node', () => {
    const port = loadConfig(containerEnv(compose.services.server!)).port;
    expect(instructions(dockerfile.runtime, 'EXPOSE').flatMap((i) => splitWords(i.args))).toContain(String(port));
    const healthcheck = instructions(dockerfile.runtime, 'HEALTHCHECK').at(-1)?.args ?? '';
    expect(healthcheck).toMatch(/CMD \["node",/);
    expect(healthcheck).toContain('/healthz');
    const routes = globSync('server/src/**/*.ts', { cwd: ROOT }).filter((path) => !path.endsWith('.spec.ts'));
    expect(routes.some((path) => /\.get\(\s*['"]\/healthz['"]/.test(read(path)))).toBe(true);
  });

  it.each<[string, string, string, (model: DockerfileModel) => unknown[]]>([
    ['another pnpm', 'pnpm@10.34.8', 'pnpm@9.15.0', (m) => m.pnpmVersionMismatches()],
    ['no run of the runtime script', 'RUN scripts/build-runtime.sh /runtime', 'RUN pnpm --filter ./server run build && pnpm --filter ./admin-ui run build', runtimeFolderProblems],
    ['the runtime script not copied in', 'COPY scripts/build-runtime.sh scripts/', '', runtimeFolderProblems],
    ['a runtime copy from outside the runtime folder', 'COPY --from=build /runtime /app', 'COPY --from=build /runtime /app\nCOPY --from=build /app/node_modules /app/node_modules', runtimeFolderProblems],
    ['another Node major', 'node:24-bookworm-slim AS runtime', 'node:22-bookworm-slim AS runtime', (m) => m.baseImageProblems()],
    ['an Alpine runtime', 'node:24-bookworm-slim AS runtime', 'node:24-alpine AS runtime', (m) => m.baseImageProblems()],
    ['a CMD other than start:prod', 'CMD ["node", "dist/main.js"]', 'CMD ["node", "dist/server.js"]', (m) => m.cmdProblems()],
    ['a CMD outside the server folder', 'WORKDIR /app/server', 'WORKDIR /app', (m) => m.cmdProblems()],
    ['no USER', 'USER node', '', (m) => (m.runtimeUser() ? [] : ['no user'])],
    ['a COPY of a missing file', 'COPY schema.graphql', 'COPY schema.gql', (m) => m.contextCopyProblems(ignored)],
  ])('is flagged with %s', (_name, from, to, check) => {
    expect(dockerfileText).toContain(from);
    expect(check(new DockerfileModel(dockerfileText.replace(from, to), workspace, runtimeScript))).not.toEqual([]);
  });

  it.each<[string, string, string, (model: DockerfileModel) => unknown[]]>([
    ['a script that does not exist', 'admin-ui run build', 'admin-ui run bundle', (m) => m.missingScripts()],
    ['a filter that selects nothing', '--filter ./server run', '--filter ./srv run', (m) => m.missingScripts()],
    ['a deploy with devDependencies', 'deploy --prod', 'deploy', deployProblems],
    ['a deploy of another package', '--filter ./server deploy', '--filter ./admin-ui deploy', deployProblems],
  ])('is flagged when its runtime script has %s', (_name, from, to, check) => {
    expect(runtimeScript.text).toContain(from);
    expect(check(new DockerfileModel(dockerfileText, workspace, { ...runtimeScript, text: runtimeScript.text.replace(from, to) }))).not.toEqual([]);
  });
});

describe('.dockerignore', () => {
  it('keeps local installs, builds, data, git and secrets out of the build context', () => {
    const paths = ['node_modules', 'server/node_modules/pg/package.json', 'admin-ui/node_modules', 'server/dist/main.js', 'admin-ui/dist/index.html', 'data', 'server/data/pg', '.git/HEAD', '.env', 'server/.env.local'];
    expect(paths.filter((path) => !ignored(path))).toEqual([]);
  });

  it('lets every build input through', () => {
    const inputs = [
      'package.json', 'pnpm-lock.yaml', 'pnpm-workspace.yaml', '.npmrc', 'schema.graphql', 'scripts/build-runtime.sh',
      'server/package.json', 'server/tsconfig.json', 'server/tsconfig.build.json',
      'admin-ui/package.json', 'admin-ui/index.html', 'admin-ui/vite.config.ts', 'admin-ui/codegen.ts', 'admin-ui/tsconfig.json',
      ...globSync('server/src/**/*.ts', { cwd: ROOT }),
      ...globSync('admin-ui/{src,public}/**/*.*', { cwd: ROOT }).filter((path) => !path.startsWith('admin-ui/src/gql/')),
    ];
    expect(inputs.length).toBeGreaterThan(20);
    expect(inputs.filter(ignored)).toEqual([]);
  });

  it('reads patterns the way Docker does', () => {
    expect(dockerignore('node_modules')('server/node_modules')).toBe(false);
    expect(dockerignore('**/node_modules')('server/node_modules/x/y.js')).toBe(true);
    expect(dockerignore('**/.env.*\n!.env.example')('.env.example')).toBe(false);
    expect(dockerignore('**/.env.*\n!.env.example')('.env.local')).toBe(true);
  });
});
