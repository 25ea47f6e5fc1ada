import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import {
  buildSchema, getNamedType, isEnumType, isInputObjectType, isListType, isNonNullType, isObjectType,
  type GraphQLField, type GraphQLInputType, type GraphQLObjectType, type GraphQLSchema,
} from 'graphql';
import { baseJudge, type FuzzCase, type FuzzContext } from './cases.ts';
import type { RawRequest } from './http.ts';
import type { Random } from './random.ts';

/** The schema the server emits (`schema.graphql`, checked by a server test), so documents name real fields. */
export function loadSchema(): GraphQLSchema {
  return buildSchema(readFileSync(resolve(import.meta.dirname, '../../schema.graphql'), 'utf8'));
}

// Known ids never reach these: a fuzzed delete or update of the uploader's own rows would change the
// very state the run checks afterwards (and admin tokens never call them at all).
// Rotating an image's links and revoking a link retire links the run later sends as intact.
const DESTRUCTIVE = new Set(['deleteImage', 'deleteUser', 'deleteTier', 'updateUser', 'updateTier', 'rotateImageLinks', 'revokeExpiringLink']);

const STRINGS = ['', ' ', 'a', 'null', '0', '-1', '1e309', 'NaN', "'; drop table images; --", '%', '_', '\\', '\u0000', '\ud800', '\u202e', '😀', '<script>', '${x}', '../..', 'true'];

class Generator {
  private vars: Array<{ name: string; type: string; value: unknown }> = [];
  private aliasCount = 0;

  private readonly rng: Random;
  private readonly schema: GraphQLSchema;
  private readonly ctx: FuzzContext;
  private readonly allowKnownIds: boolean;

  constructor(rng: Random, schema: GraphQLSchema, ctx: FuzzContext, allowKnownIds: boolean) {
    this.rng = rng;
    this.schema = schema;
    this.ctx = ctx;
    this.allowKnownIds = allowKnownIds;
  }

  /** A JS value for an input type: mostly right, sometimes wrong in one of the ways clients get it wrong. */
  value(type: GraphQLInputType, field: string, depth = 0): unknown {
    const rng = this.rng;
    if (rng.chance(0.06)) return this.wrongValue();
    if (isNonNullType(type)) return this.value(type.ofType, field, depth);
    if (rng.chance(0.04)) return null;
    if (isListType(type)) {
      const n = rng.weighted([[0, 2], [1, 5], [3, 3], [rng.int(10, 200), 1], [rng.int(1000, 20_000), 0.3]] as const);
      return Array.from({ length: n }, () => this.value(type.ofType, field, depth + 1));
    }
    if (isInputObjectType(type)) {
      const out: Record<string, unknown> = {};
      for (const f of Object.values(type.getFields())) {
        if (isNonNullType(f.type) || rng.chance(0.5)) out[f.name] = this.value(f.type, f.name, depth + 1);
      }
      if (rng.chance(0.08)) out[rng.pick(['role', 'passwordHash', '__proto__', 'tier', 'isAdmin', '$where'])] = rng.pick(['admin', 1, { __raw: 'select 1' }, true]);
      return out;
    }
    if (isEnumType(type)) return rng.chance(0.9) ? rng.pick(type.getValues()).name : rng.pick(['asc', 'DROP', '', 'CREATED_AT; --']);
    const name = getNamedType(type).name;
    switch (name) {
      case 'Int':
        return rng.weighted<number>([[rng.int(0, 100), 6], [rng.pick([-1, 0, 101, 299, 300, 30_000, 30_001, 2 ** 31 - 1, -(2 ** 31)]), 3], [2 ** 31, 1], [1.5, 1], [1e300, 0.5]]);
      case 'Boolean':
        return rng.chance(0.5);
      case 'ID':
        return this.id(field);
      case 'Upload':
        return rng.pick([null, 'file', 0, {}, { file: 'x' }]);
      case 'DateTimeISO':
        return rng.pick(['2026-01-01T00:00:00Z', 'yesterday', '']);
      default:
        return this.string();
    }
  }

  private id(field: string): string {
    const rng = this.rng;
    if (this.allowKnownIds && !DESTRUCTIVE.has(field) && this.ctx.knownImageIds.length && rng.chance(0.4)) return rng.pick(this.ctx.knownImageIds);
    return rng.weighted<() => string>([[() => rng.uuid(), 5], [() => this.string(), 2], [() => '00000000-0000-4000-8000-000000000003', 1]])();
  }

  string(): string {
    const rng = this.rng;
    return rng.weighted<() => string>([
      [() => rng.pick(STRINGS), 5],
      [() => rng.bytes(rng.int(1, 40)).toString('latin1'), 2],
      [() => String.fromCharCode(...Array.from({ length: rng.int(1, 30) }, () => rng.int(0, 0xffff))), 2],
      [() => 'x'.repeat(rng.length(200_000)), 1],
    ])();
  }

  private wrongValue(): unknown {
    return this.rng.pick<unknown>([{}, [], 'str', 12, true, null, [[[1]]], { a: { b: { c: 1 } } }, -0.5]);
  }

  /** A GraphQL literal for a JS value (the other way arguments arrive). */
  literal(value: unknown): string {
    if (value === null || value === undefined) return 'null';
    if (Array.isArray(value)) return `[${value.map((v) => this.literal(v)).join(', ')}]`;
    if (typeof value === 'object') return `{${Object.entries(value).map(([k, v]) => `${/^[_A-Za-z][_0-9A-Za-z]*$/.test(k) ? k : 'bad'}: ${this.literal(v)}`).join(', ')}}`;
    if (typeof value === 'string') return /^[A-Z_]+$/.test(value) && this.rng.chance(0.5) ? value : JSON.stringify(value);
    return String(value);
  }

  private args(field: GraphQLField<unknown, unknown>): string {
    const rng = this.rng;
    const parts: string[] = [];
    for (const arg of field.args) {
      if (!isNonNullType(arg.type) && rng.chance(0.4)) continue;
      const value = this.value(arg.type, field.name);
      if (rng.chance(0.5)) {
        const name = `v${this.vars.length}`;
        // declared type usually right; sometimes a lie the server must catch before any resolver runs
        const type = rng.chance(0.9) ? String(arg.type) : rng.pick(['String', 'Int!', '[ID]', 'Nope', 'ImageFilter!']);
        this.vars.push({ name, type, value });
        parts.push(`${arg.name}: $${name}`);
      } else {
        parts.push(`${arg.name}: ${this.literal(value)}`);
      }
    }
    if (rng.chance(0.05)) parts.push(`unknownArg: ${this.literal(this.string())}`);
    return parts.length ? `(${parts.join(', ')})` : '';
  }

  selection(type: GraphQLObjectType, depth: number): string {
    const rng = this.rng;
    const fields = Object.values(type.getFields());
    const picks = Array.from({ length: rng.int(1, Math.min(4, fields.length)) }, () => rng.pick(fields));
    const out: string[] = [];
    for (const field of picks) {
      const alias = rng.chance(0.15) ? `a${this.aliasCount++}: ` : '';
      const named = getNamedType(field.type);
      let sub = '';
      if (isObjectType(named)) sub = depth < 8 && rng.chance(0.97) ? ` { ${this.selection(named, depth + 1)} }` : '';
      else if (rng.chance(0.03)) sub = ' { id }';
      const directive = rng.chance(0.05) ? rng.pick([' @include(if: true)', ' @skip(if: false)', ' @deprecated', ' @include(if: "yes")', ' @nope']) : '';
      out.push(`${alias}${field.name}${this.args(field)}${directive}${sub}`);
    }
    if (rng.chance(0.1)) out.push('__typename');
    if (rng.chance(0.04)) out.push(rng.pick(['nope', 'password', 'passwordHash', '__schema { types { name } }', '... on Nope { id }', `... on ${type.name} { __typename }`]));
    return out.join(' ');
  }

  /** A whole operation against a random root field set, and its variables. */
  operation(mutation: boolean, fields?: readonly string[]): { query: string; variables: Record<string, unknown> } {
    const root = mutation ? this.schema.getMutationType()! : this.schema.getQueryType()!;
    const allowed = Object.values(root.getFields()).filter((f) => !fields || fields.includes(f.name));
    const picks = Array.from({ length: this.rng.int(1, mutation ? 1 : 3) }, () => this.rng.pick(allowed));
    const body = picks
      .map((field) => {
        const named = getNamedType(field.type);
        const sub = isObjectType(named) ? ` { ${this.selection(named, 2)} }` : '';
        return `${this.rng.chance(0.2) ? `r${this.aliasCount++}: ` : ''}${field.name}${this.args(field)}${sub}`;
      })
      .join(' ');
    const decl = this.vars.length ? `(${this.vars.map((v) => `$${v.name}: ${v.type}`).join(', ')})` : '';
    const name = this.rng.chance(0.3) ? ' Op' : '';
    return { query: `${mutation ? 'mutation' : 'query'}${name}${decl} { ${body} }`, variables: Object.fromEntries(this.vars.map((v) => [v.name, v.value])) };
  }
}

const MUTATIONS_FOR_ADMIN = ['createUser', 'createTier', 'login'];
// the run's own user token must outlive the run: `logout` (no arguments, so always valid) would end it
const ENDS_THE_SESSION = new Set(['logout']);

function mutateText(rng: Random, text: string): string {
  let out = text;
  for (let i = rng.int(1, 4); i > 0; i--) {
    const at = rng.int(0, out.length);
    out = rng.weighted<() => string>([
      [() => out.slice(0, at) + out.slice(at + rng.int(1, 20)), 3],
      [() => out.slice(0, at) + rng.pick(['{', '}', '(', ')', '$', '@', '...', '"', '#', '\\', ':', '!', '[', ']', '\u0000', '\ufeff']) + out.slice(at), 4],
      [() => out.slice(0, at) + out.slice(at, at + rng.int(1, 40)).repeat(rng.int(2, 50)) + out.slice(at), 1],
      [() => out.slice(0, at), 1],
    ])();
  }
  return out;
}

type Deep = { query: string } | { raw: string };

function deepDocument(rng: Random): Deep {
  const n = rng.pick([20, 100, 1000, 5000, 50_000]);
  return rng.weighted<() => Deep>([
    [() => ({ query: `{ ${'a { '.repeat(n)}b${' }'.repeat(n)} }` }), 2],
    [() => ({ query: `{ images(first: ${'['.repeat(n)}1${']'.repeat(n)}) { totalCount } }` }), 1],
    [() => ({ query: `{ me { tier { ${'id tier { '.repeat(Math.min(n, 200))}id${' }'.repeat(Math.min(n, 200))} } } }` }), 1],
    // deep JSON is written out by hand: JSON.stringify would overflow this process's stack first
    [() => ({ raw: `{"query":"query($ids: [ID!]) { adminImages(filter: { ids: $ids }) { totalCount } }","variables":{"ids":${'['.repeat(n)}1${']'.repeat(n)}}}` }), 2],
    [() => ({ raw: `{"query":"query($f: ImageFilter) { adminImages(filter: $f) { totalCount } }","variables":{"f":${'{"q":'.repeat(n)}{}${'}'.repeat(n)}}}` }), 1],
    [() => ({ query: `{ ${'...on Query { '.repeat(Math.min(n, 1500))}me { id }${' }'.repeat(Math.min(n, 1500))} }` }), 1],
  ])();
}

function aliasDocument(rng: Random): string {
  const n = rng.pick([10, 100, 251, 1000, 3000]);
  const field = rng.pick(['images(first: 100) { edges { node { id thumbnails { url } } } }', 'me { id }', '__typename', 'adminImages(limit: 100) { nodes { id } }']);
  return `{ ${Array.from({ length: n }, (_, i) => `a${i}: ${field}`).join(' ')} }`;
}

function fragmentDocument(rng: Random): string {
  return rng.weighted<() => string>([
    [() => 'query { ...A } fragment A on Query { ...B } fragment B on Query { ...A }', 1],
    [() => {
      // each level spreads the next twice: 2^n fields after expansion from a few hundred bytes
      const levels = rng.int(5, 40);
      const frags = Array.from({ length: levels }, (_, i) => `fragment F${i} on Query { ${i + 1 < levels ? `...F${i + 1} ...F${i + 1}` : 'me { id tier { id name } }'} }`);
      return `query { ...F0 } ${frags.join(' ')}`;
    }, 2],
    [() => `query { ...X } fragment X on Nope { id }`, 1],
    [() => `query { ${Array.from({ length: rng.int(10, 2000) }, () => '...on Query { me { id } }').join(' ')} }`, 1],
  ])();
}

function invalidUtf8Body(rng: Random, base: string): Buffer {
  const bad = rng.pick([[0xff], [0xfe, 0xff], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0x80], [0xf4, 0x90, 0x80, 0x80], [0xe2, 0x82]]);
  const text = Buffer.from(base);
  const at = rng.int(0, text.length);
  return Buffer.concat([text.subarray(0, at), Buffer.from(bad), text.subarray(at)]);
}

function randomJson(rng: Random, depth = 0): unknown {
  const kind = rng.int(0, depth > 3 ? 4 : 6);
  switch (kind) {
    case 0: return null;
    case 1: return rng.chance(0.5);
    case 2: return rng.pick([0, -1, 1e308, 3.14, 2 ** 53 + 1]);
    case 3: return rng.pick(['', 'query', '{ me { id } }', 'x'.repeat(rng.length(5000))]);
    case 4: return rng.pick(['query', 'variables', 'operationName', 'extensions']);
    case 5: return Array.from({ length: rng.int(0, 5) }, () => randomJson(rng, depth + 1));
    default: return Object.fromEntries(Array.from({ length: rng.int(0, 5) }, () => [rng.pick(['query', 'variables', 'operationName', 'extensions', 'id', '__proto__']), randomJson(rng, depth + 1)]));
  }
}

type Family =
  | 'schema-walk' | 'text-mutation' | 'deep' | 'aliases' | 'fragments' | 'huge-string' | 'invalid-utf8' | 'random-json'
  | 'broken-json' | 'content-type' | 'get' | 'batch' | 'persisted' | 'introspection' | 'login';

/** Generates one GraphQL request: a document built from the schema and then, often, broken. */
export function graphqlCase(rng: Random, schema: GraphQLSchema, ctx: FuzzContext): FuzzCase {
  const family = rng.weighted<Family>([
    ['schema-walk', 40], ['text-mutation', 12], ['deep', 5], ['aliases', 4], ['fragments', 4], ['huge-string', 3], ['invalid-utf8', 4],
    ['random-json', 5], ['broken-json', 4], ['content-type', 4], ['get', 4], ['batch', 2], ['persisted', 1], ['introspection', 2], ['login', 3],
  ]);
  const who = rng.weighted<'user' | 'admin' | 'none' | 'garbage'>([['user', 60], ['admin', 15], ['none', 15], ['garbage', 10]]);
  const token = who === 'user' ? ctx.userToken : who === 'admin' ? ctx.adminToken : who === 'garbage' ? rng.pick(['', 'x', 'Bearer', ctx.userToken.toUpperCase(), 'eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.']) : undefined;
  const generator = new Generator(rng, schema, ctx, who === 'user');
  const mutation = rng.chance(0.3);
  const userMutations = Object.keys(schema.getMutationType()!.getFields()).filter((name) => !ENDS_THE_SESSION.has(name));
  const walk = () => generator.operation(mutation, mutation ? (who === 'admin' ? MUTATIONS_FOR_ADMIN : userMutations) : undefined);
  let payload: unknown;
  let body: Buffer | undefined;
  let contentType = 'application/json';
  let method: 'GET' | 'POST' = 'POST';
  let path = '/graphql';
  const extraHeaders: Record<string, string> = {};
  switch (family) {
    case 'schema-walk': payload = walk(); break;
    case 'text-mutation': { const op = walk(); payload = { ...op, query: mutateText(rng, op.query) }; break; }
    case 'deep': {
      const deep = deepDocument(rng);
      if ('raw' in deep) body = Buffer.from(deep.raw);
      else payload = deep;
      break;
    }
    case 'aliases': payload = { query: aliasDocument(rng) }; break;
    case 'fragments': payload = { query: fragmentDocument(rng) }; break;
    case 'huge-string': {
      const size = rng.pick([100_000, 900_000, 1_100_000, 4_000_000]);
      payload = rng.chance(0.5)
        ? { query: `{ images(after: "${'x'.repeat(size)}") { totalCount } }` }
        : { query: 'mutation($u: String!, $p: String!) { login(username: $u, password: $p) { token } }', variables: { u: 'x'.repeat(size), p: 'y' } };
      break;
    }
    case 'invalid-utf8': body = invalidUtf8Body(rng, JSON.stringify(walk())); break;
    case 'random-json': body = Buffer.from(JSON.stringify(randomJson(rng)) ?? 'null'); break;
    case 'broken-json': body = Buffer.from(mutateText(rng, JSON.stringify(walk()))); break;
    case 'content-type':
      payload = walk();
      contentType = rng.pick(['text/plain', 'application/graphql', 'application/x-www-form-urlencoded', '', 'application/json; charset=latin1', 'multipart/form-data; boundary=x', 'application/json, text/plain']);
      break;
    case 'get': {
      const op = walk();
      method = 'GET';
      path = `/graphql?query=${encodeURIComponent(rng.chance(0.8) ? op.query : mutateText(rng, op.query))}&variables=${encodeURIComponent(rng.chance(0.8) ? JSON.stringify(op.variables) : '{')}`;
      if (rng.chance(0.6)) extraHeaders['apollo-require-preflight'] = 'true';
      break;
    }
    case 'batch': payload = Array.from({ length: rng.int(2, 50) }, () => walk()); break;
    case 'persisted': payload = { extensions: { persistedQuery: { version: 1, sha256Hash: rng.bytes(32).toString('hex') } }, ...(rng.chance(0.5) ? { query: '{ me { id } }' } : {}) }; break;
    case 'introspection': payload = { query: rng.pick(['{ __schema { types { name fields { name } } } }', '{ __type(name: "User") { fields { name } } }', '{ imagez { id } }']) }; break;
    case 'login': {
      const g = new Generator(rng, schema, ctx, false);
      payload = { query: 'mutation($u: String!, $p: String!) { login(username: $u, password: $p) { token user { id } } }', variables: { u: rng.chance(0.3) ? 'reliability-admin' : g.string(), p: g.string() } };
      break;
    }
  }
  if (!body && method === 'POST') body = Buffer.from(JSON.stringify(payload));
  const headers: Record<string, string> = { ...extraHeaders, ...(contentType ? { 'content-type': contentType } : {}), ...(token !== undefined ? { authorization: `Bearer ${token}` } : {}) };
  const request: RawRequest = { method, path, headers, body };
  const preview = (body ?? Buffer.from(path)).subarray(0, 300).toString('utf8');
  return {
    kind: 'graphql',
    family: `graphql/${family}`,
    label: `${family} as ${who}: ${preview}`,
    request,
    // Node refuses a request head over 16 KiB with 431 and closes the socket, which a client still
    // writing the URL may see as a reset: the right answer to an oversized GET, not a failure
    judge: (response, json) =>
      path.length > 16 * 1024 && (response.status === 431 || response.status === 'error') ? undefined : baseJudge(response, json, true),
  };
}
