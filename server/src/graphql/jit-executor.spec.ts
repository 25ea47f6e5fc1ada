import { ApolloServer } from '@apollo/server';
import {
  GraphQLBoolean,
  GraphQLEnumType,
  GraphQLID,
  GraphQLInputObjectType,
  GraphQLInt,
  GraphQLList,
  GraphQLNonNull,
  GraphQLObjectType,
  GraphQLSchema,
  GraphQLString,
  parse,
  type OperationDefinitionNode,
} from 'graphql';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../shared/logger.js';
import { UnauthenticatedError } from '../shared/errors.js';
import { createFormatError } from './format-error.js';
import { jitGateway, makePlan } from './jit-executor.js';

interface TestContext {
  viewer?: string;
}

const Placeholder = new GraphQLObjectType({
  name: 'Placeholder',
  fields: { color: { type: new GraphQLNonNull(GraphQLString) } },
});
const Item = new GraphQLObjectType({
  name: 'Item',
  fields: {
    n: { type: new GraphQLNonNull(GraphQLInt) },
    placeholder: { type: new GraphQLNonNull(Placeholder) },
    owner: { type: GraphQLString, resolve: (_item, _args, context: TestContext) => context.viewer ?? null },
  },
});
const Order = new GraphQLEnumType({ name: 'Order', values: { ASC: { value: 'asc' }, DESC: { value: 'desc' } } });
const Sort = new GraphQLInputObjectType({
  name: 'Sort',
  fields: { field: { type: new GraphQLNonNull(GraphQLString) }, order: { type: new GraphQLNonNull(Order), defaultValue: 'desc' } },
});
const Change = new GraphQLInputObjectType({ name: 'Change', fields: { name: { type: GraphQLString }, note: { type: GraphQLString } } });
// what a resolver was handed, as JSON with absent keys told from nulls
const echo = { type: new GraphQLNonNull(GraphQLString), resolve: (_root: unknown, args: Record<string, unknown>) => JSON.stringify(args, (_key, value: unknown) => (value === undefined ? '<absent>' : value)) };
const schema = new GraphQLSchema({
  mutation: new GraphQLObjectType({
    name: 'Mutation',
    fields: { change: { ...echo, args: { input: { type: new GraphQLNonNull(Change) } } } },
  }),
  query: new GraphQLObjectType({
    name: 'Query',
    fields: {
      args: {
        ...echo,
        args: {
          first: { type: GraphQLInt, defaultValue: 10 },
          after: { type: GraphQLString },
          ids: { type: new GraphQLList(new GraphQLNonNull(GraphQLID)) },
          order: { type: Order },
          flag: { type: GraphQLBoolean },
        },
      },
      sorted: { ...echo, args: { sort: { type: Sort } } },
      timedOut: {
        type: GraphQLString,
        resolve: async () => {
          throw Object.assign(new Error('canceling statement due to statement timeout'), { code: '57014' });
        },
      },
      me: {
        type: new GraphQLNonNull(GraphQLString),
        resolve: (_root, _args, context: TestContext) => {
          if (!context.viewer) throw new UnauthenticatedError();
          return context.viewer;
        },
      },
      items: {
        type: new GraphQLNonNull(new GraphQLList(new GraphQLNonNull(Item))),
        args: { first: { type: new GraphQLNonNull(GraphQLInt) } },
        resolve: async (_root, { first }: { first: number }) =>
          Array.from({ length: first }, (_, n) => ({ n, placeholder: { color: `#00000${n % 10}` } })),
      },
    },
  }),
});

async function serverWith(executor: 'jit' | 'graphql-js') {
  const server = new ApolloServer<TestContext>({
    ...(executor === 'jit' ? { gateway: jitGateway(schema) } : { schema }),
    formatError: createFormatError(createLogger('silent')),
  });
  await server.start();
  return server;
}

async function run(server: ApolloServer<TestContext>, query: string, variables: Record<string, unknown>, context: TestContext = {}) {
  const response = await server.executeOperation({ query, variables }, { contextValue: context });
  if (response.body.kind !== 'single') throw new Error('expected a single result');
  return { status: response.http.status ?? 200, ...response.body.singleResult };
}

const operationOf = (query: string) => {
  const document = parse(query);
  const operation = document.definitions[0] as OperationDefinitionNode;
  return makePlan(schema, document, operation, operation.name?.value ?? null).kind;
};

describe(jitGateway.name, () => {
  it('compiles queries that take no input object, and leaves the rest to graphql-js', () => {
    expect(operationOf('query Items($first: Int!) { items(first: $first) { n placeholder { color } } }')).toBe('compiled');
    expect(operationOf('{ args(ids: ["a"], order: ASC) }')).toBe('compiled');
    expect(operationOf('query S($sort: Sort) { sorted(sort: $sort) }')).toBe('graphql-js');
    expect(operationOf('{ sorted(sort: { field: "n" }) }')).toBe('graphql-js');
    expect(operationOf('query S { ...F } fragment F on Query { sorted(sort: { field: "n" }) }')).toBe('graphql-js');
    expect(operationOf('mutation { change(input: { name: "x" }) }')).toBe('graphql-js');
  });

  it('hands resolvers the arguments graphql-js hands them: defaults, absent and null told apart, enums, lists, directives', async () => {
    const [jit, plain] = await Promise.all([serverWith('jit'), serverWith('graphql-js')]);
    const cases: Array<[string, Record<string, unknown>]> = [
      ['{ args }', {}],
      ['query A($first: Int = 3) { args(first: $first) }', {}],
      ['query A($first: Int) { args(first: $first) }', {}],
      ['query A($first: Int) { args(first: $first) }', { first: null }],
      ['query A($ids: [ID!], $order: Order) { args(ids: $ids, order: $order) }', { ids: ['1', 2], order: 'ASC' }],
      ['query A($ids: [ID!]) { args(ids: $ids) }', { ids: '7' }],
      ['query A($on: Boolean = true) { args @include(if: $on) first: args(first: 1) @skip(if: $on) }', {}],
      ['query S($sort: Sort) { sorted(sort: $sort) }', { sort: { field: 'n' } }],
      ['query S($after: String) { sorted(sort: { field: "n" }) args(after: $after) }', {}],
      ['mutation C($note: String) { change(input: { name: "x", note: $note }) }', {}],
    ];
    for (const [query, variables] of cases) expect(await run(jit, query, variables), query).toEqual(await run(plain, query, variables));
    await Promise.all([jit.stop(), plain.stop()]);
  });

  it('keeps a plain error’s path and locations, so it reaches our formatting (a statement timeout is SERVICE_UNAVAILABLE)', async () => {
    const [jit, plain] = await Promise.all([serverWith('jit'), serverWith('graphql-js')]);
    const query = 'query T {\n  items(first: 1) { n }\r\n  timedOut\n}';
    const answer = await run(jit, query, {});
    expect(answer.errors).toEqual([{ message: expect.any(String), path: ['timedOut'], locations: [{ line: 3, column: 3 }], extensions: { code: 'SERVICE_UNAVAILABLE' } }]);
    expect(answer).toEqual(await run(plain, query, {}));
    await Promise.all([jit.stop(), plain.stop()]);
  });

  it('hands resolvers Apollo’s context: a viewer reaches them, and its absence is UNAUTHENTICATED, not an internal error', async () => {
    const server = await serverWith('jit');
    expect((await run(server, '{ me }', {}, { viewer: 'ada' })).data).toEqual({ me: 'ada' });
    const refused = await run(server, '{ me }', {});
    expect(refused.errors).toEqual([expect.objectContaining({ message: 'Authentication required', path: ['me'], extensions: expect.objectContaining({ code: 'UNAUTHENTICATED' }) })]);
    await server.stop();
  });

  it('answers what graphql-js answers, nested lists included', async () => {
    const query = 'query Items($first: Int!) { items(first: $first) { n owner placeholder { color } } }';
    const [jit, plain] = await Promise.all([serverWith('jit'), serverWith('graphql-js')]);
    for (const first of [0, 3, 50]) {
      const compiled = await run(jit, query, { first }, { viewer: 'ada' });
      expect(compiled).toEqual(await run(plain, query, { first }, { viewer: 'ada' }));
      expect((compiled.data as { items: unknown[] }).items).toHaveLength(first);
    }
    await Promise.all([jit.stop(), plain.stop()]);
  });

  it('refuses bad variables as graphql-js does: its message, BAD_USER_INPUT, HTTP 400', async () => {
    const query = 'query Items($first: Int!) { items(first: $first) { n } }';
    const [jit, plain] = await Promise.all([serverWith('jit'), serverWith('graphql-js')]);
    for (const variables of [{ first: 'many' }, {}, { first: 2 ** 40 }]) {
      const refused = await run(jit, query, variables);
      expect(refused.status).toBe(400);
      expect(refused.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      expect(refused).toEqual(await run(plain, query, variables));
    }
    await Promise.all([jit.stop(), plain.stop()]);
  });
});
