import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { getIntrospectionQuery, parse, validate, type GraphQLSchema } from 'graphql';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../config/env.js';
import { asTokenLimitError, operationLimitsRule, withoutSuggestions, type OperationLimits } from './operation-limits.js';
import { createSchema } from './schema.js';

const DEFAULTS = loadConfig({ NODE_ENV: 'test' }).graphqlLimits;
const LOOSE: OperationLimits = { maxDepth: 1000, maxCost: 1e12, maxAliases: 1e6, maxDirectives: 1e6, maxTokens: 1e6 };

let schema: GraphQLSchema;
beforeAll(async () => {
  schema = await createSchema();
});

/** The limit errors of a document, as `REASON: message`. */
function check(source: string, limits: Partial<OperationLimits> = {}): string[] {
  const document = parse(source, { maxTokens: limits.maxTokens ?? DEFAULTS.maxTokens });
  return validate(schema, document, [operationLimitsRule({ ...LOOSE, ...limits })]).map((e) => `${e.extensions.reason}: ${e.message}`);
}

/** The measured value, read from the error a limit of 0 (or 1 for depth) produces. */
function measure(source: string, what: 'maxDepth' | 'maxCost' | 'maxAliases' | 'maxDirectives'): number {
  const [error] = check(source, { [what]: 0 });
  return error ? Number(/ (\d+)/.exec(error.split(': ')[1]!)![1]) : 0;
}

/** Every operation of the admin app, each with the fragments it spreads. */
function adminDocuments(): Record<string, string> {
  const file = readFileSync(resolve(import.meta.dirname, '../../../admin-ui/src/dataProvider/documents.ts'), 'utf8');
  const blocks = [...file.matchAll(/graphql\(`([^`]+)`\)/g)].map((m) => m[1]!);
  const fragments = blocks.filter((b) => b.trim().startsWith('fragment'));
  const operations = blocks.filter((b) => !b.trim().startsWith('fragment'));
  return Object.fromEntries(
    operations.map((op) => [/(query|mutation) (\w+)/.exec(op)![2]!, [op, ...fragments.filter((f) => op.includes(`...${/fragment (\w+)/.exec(f)![1]}`))].join('\n')]),
  );
}

/** What admin-ui's buildQuery sends for DELETE_MANY: one aliased mutation per selected row. */
const deleteMany = (n: number, field = 'deleteTier') =>
  `mutation DeleteMany(${Array.from({ length: n }, (_, i) => `$id${i}: ID!`).join(', ')}) { ${Array.from({ length: n }, (_, i) => `d${i}: ${field}(id: $id${i})`).join(' ')} }`;

describe(operationLimitsRule.name, () => {
  it('measures depth in fields, through fragments, not counting the fragments themselves', () => {
    expect(measure('{ me { id } }', 'maxDepth')).toBe(2);
    expect(measure('{ images { edges { node { owner { tier { id } } } } } }', 'maxDepth')).toBe(6);
    expect(measure('{ me { ...U } } fragment U on User { ... on User { tier { id } } }', 'maxDepth')).toBe(3);
  });

  it('prices lists by their page size: literal, default, or 100 for a variable', () => {
    expect(measure('{ tiers(limit: 10) { nodes { id } totalCount } }', 'maxCost')).toBe(1 + 10 * 1);
    expect(measure('{ tiers { nodes { id } } }', 'maxCost')).toBe(1 + 25 * 1);
    expect(measure('query($n: Int) { tiers(limit: $n) { nodes { id } } }', 'maxCost')).toBe(1 + 100 * 1);
    expect(measure('{ images(first: 5) { edges { node { id thumbnails { url } owner { tier { id } } } } } }', 'maxCost')).toBe(1 + 5 * 5);
    // `first` has no schema default; the resolver's cap stands in
    expect(measure('{ images { edges { node { id } } } }', 'maxCost')).toBe(1 + 100 * 2);
    // beyond the cap the resolver refuses the request itself
    expect(measure('{ tiers(limit: 100000) { nodes { id } } }', 'maxCost')).toBe(101);
    expect(measure('{ me { id username } __typename }', 'maxCost')).toBe(1);
  });

  it('counts aliases and directives inside fragments, once per spread', () => {
    const source = 'query @skip(if: false) { ...F ...F } fragment F on Query { a: me @include(if: true) { id } b: me { id } }';
    expect(measure(source, 'maxAliases')).toBe(4);
    expect(measure(source, 'maxDirectives')).toBe(3);
  });

  it('allows one login per operation, however it is spelled', () => {
    const login = (alias: string) => `${alias}: login(username: "a", password: "b") { token }`;
    expect(check(`mutation { ${login('a')} }`)).toEqual([]);
    expect(check(`mutation { ${login('a')} ${login('b')} }`)).toEqual(['ONCE_PER_OPERATION: `login` may appear only once per operation; it appears 2 times.']);
    expect(check(`mutation { ${login('a')} ...L } fragment L on Mutation { ${login('b')} }`)).toHaveLength(1);
    expect(check(`mutation { ... on Mutation { ${login('a')} } ... on Mutation { ${login('b')} } }`)).toHaveLength(1);
  });

  it('reports every limit broken, each with its reason and limit', () => {
    const errors = validate(schema, parse('{ a: me { tier { id } } b: me { id } }'), [
      operationLimitsRule({ maxDepth: 2, maxCost: 2, maxAliases: 1, maxDirectives: 0 }),
    ]);
    expect(errors.map((e) => e.extensions)).toEqual([
      { reason: 'MAX_DEPTH', limit: 2 },
      { reason: 'MAX_COST', limit: 2 },
      { reason: 'MAX_ALIASES', limit: 1 },
    ]);
  });

  it('stays fast on fragment bombs and survives fragment cycles', () => {
    const bomb = ['query { ...F0 }', ...Array.from({ length: 30 }, (_, i) => `fragment F${i} on Query { a${i}: me { id } ...F${i + 1} ...F${i + 1} }`), 'fragment F30 on Query { me { id } }'].join('\n');
    const started = performance.now();
    expect(check(bomb, DEFAULTS).join()).toMatch(/MAX_COST.*MAX_ALIASES/);
    expect(performance.now() - started).toBeLessThan(500);
    expect(check('{ ...A } fragment A on Query { ...B } fragment B on Query { ...A me { id } }')).toEqual([]);
  });

  it('does not count introspection, which production turns off', () => {
    expect(check(getIntrospectionQuery(), DEFAULTS)).toEqual([]);
  });
});

describe('the default limits', () => {
  it('let every operation of the admin app through, at its largest page', () => {
    const documents = adminDocuments();
    expect(Object.keys(documents).sort()).toEqual(
      [
        ...['AdminImages', 'CreateTier', 'CreateUser', 'DeleteTier', 'DeleteUser', 'Login', 'Tier', 'Tiers', 'UpdateTier', 'UpdateUser', 'User', 'Users'],
        ...['ExpiringLinks', 'RevokeExpiringLink', 'RotateImageLinks'],
        ...['AuditEvents', 'AdminStats'],
        ...['AccessTokens', 'RevokeAccessToken', 'Logout'],
      ].sort(),
    );
    for (const [name, source] of Object.entries(documents)) expect(check(source, DEFAULTS), name).toEqual([]);
    // the largest: the admin images page, priced at 100 rows since its limit is a variable
    expect(measure(documents.AdminImages!, 'maxCost')).toBe(401);
  });

  it('let the admin app delete as many rows as react-admin’s "select all" selects (250) in one request', () => {
    expect(check(deleteMany(250), DEFAULTS)).toEqual([]);
    expect(check(deleteMany(251, 'deleteUser'), DEFAULTS)).toEqual(['MAX_ALIASES: The operation uses 251 aliases; at most 250 are allowed.']);
  });
});

describe(asTokenLimitError.name, () => {
  it('turns the parser’s token limit into a validation failure with the limit', () => {
    let message = '';
    try {
      parse('{ a b c d }', { maxTokens: 3 });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(asTokenLimitError({ message, extensions: { code: 'GRAPHQL_PARSE_FAILED' } })).toEqual({
      message: 'The operation has more than 3 tokens; at most 3 are allowed.',
      extensions: { code: 'GRAPHQL_VALIDATION_FAILED', reason: 'MAX_TOKENS', limit: 3 },
    });
    expect(asTokenLimitError({ message: 'Syntax Error: Unexpected "}".', extensions: { code: 'GRAPHQL_PARSE_FAILED' } })).toBeUndefined();
  });
});

describe(withoutSuggestions.name, () => {
  it('drops every form of the hint graphql-js appends', () => {
    expect(withoutSuggestions('Cannot query field "usernme" on type "User". Did you mean "username"?')).toBe('Cannot query field "usernme" on type "User".');
    expect(withoutSuggestions('Value "NAM" does not exist in "TierSortField" enum. Did you mean the enum value "NAME"?')).toBe(
      'Value "NAM" does not exist in "TierSortField" enum.',
    );
    expect(withoutSuggestions('Unknown argument "limt". Did you mean "limit" or "offset"?')).toBe('Unknown argument "limt".');
    expect(withoutSuggestions('Invalid username or password')).toBe('Invalid username or password');
  });
});
