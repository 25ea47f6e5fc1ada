import type { GatewayExecutor, GatewayInterface } from '@apollo/server-gateway-interface';
import {
  execute,
  getNamedType,
  GraphQLError,
  isInputObjectType,
  Kind,
  printSchema,
  Source,
  TypeInfo,
  visit,
  visitWithTypeInfo,
  type DocumentNode,
  type ExecutionResult,
  type GraphQLSchema,
  type OperationDefinitionNode,
} from 'graphql';
import { compileQuery, isCompiledQuery, type CompiledQuery } from 'graphql-jit';

/** How one operation of one document runs: compiled, or by graphql-js. */
export type Plan = { kind: 'compiled'; query: CompiledQuery } | { kind: 'graphql-js' };

/**
 * graphql-jit behind Apollo's gateway interface, the documented way to run another executor since
 * Apollo Server 4: a query is compiled once into a function and run from then on; parsing, validation,
 * plugins and error formatting stay Apollo's. graphql-js walks the schema for every field of every
 * row, which made a list's fields cost more than its SQL (README, "Read path").
 *
 * Only queries without input objects are compiled. graphql-jit coerces input objects differently from
 * the spec and graphql-js: a field's default is not applied when the object comes in a variable
 * (graphql-jit #142), and a variable left out inside an object literal arrives as null, not absent
 * (#91), which our partial updates would read as "clear". Mutations are rare and run once each, so
 * compiling them buys nothing. Everything else runs on graphql-js as Apollo would run it.
 *
 * Plans are kept by document: Apollo's document store (an LRU by query text) hands out one object per
 * text, so a document it evicts takes its compiled function with it.
 */
export function jitGateway(schema: GraphQLSchema): GatewayInterface {
  const plans = new WeakMap<DocumentNode, Map<string | null, Plan>>();
  const planFor = (document: DocumentNode, operation: OperationDefinitionNode, operationName: string | null): Plan => {
    let byName = plans.get(document);
    if (!byName) plans.set(document, (byName = new Map()));
    let plan = byName.get(operationName);
    if (!plan) byName.set(operationName, (plan = makePlan(schema, document, operation, operationName)));
    return plan;
  };

  const executor: GatewayExecutor = async ({ document, operation, operationName, request, context, source }) => {
    const plan = planFor(document, operation, operationName);
    if (plan.kind === 'graphql-js') {
      return (await execute({ schema, document, operationName, contextValue: context, variableValues: request.variables })) as ExecutionResult<Record<string, unknown>>;
    }
    const result = await plan.query.query(undefined, context, request.variables ?? {});
    if (!result.errors?.length) return result as ExecutionResult<Record<string, unknown>>;
    // no `data` at all: the variables were refused before anything ran; graphql-js says why in the
    // words (and with the nodes) Apollo classifies as BAD_USER_INPUT, answered 400
    if (result.data === undefined) return (await execute({ schema, document, operationName, contextValue: context, variableValues: request.variables })) as ExecutionResult<Record<string, unknown>>;
    return { ...result, errors: result.errors.map((error) => asGraphqlJsError(error, source)) } as ExecutionResult<Record<string, unknown>>;
  };

  return {
    async load() {
      return { schema, executor };
    },
    onSchemaLoadOrUpdate(callback) {
      callback({ apiSchema: schema, coreSupergraphSdl: printSchema(schema) });
      return () => {};
    },
    async stop() {},
  };
}

/** How an operation runs: compiled when it is a query that takes no input object, by graphql-js otherwise. */
export function makePlan(schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode, operationName: string | null): Plan {
  if (operation.operation !== 'query' || takesInputObjects(schema, document)) return { kind: 'graphql-js' };
  const compiled = compileQuery(schema, document, operationName ?? undefined);
  return isCompiledQuery(compiled) ? { kind: 'compiled', query: compiled } : { kind: 'graphql-js' };
}

/** Whether any argument or variable in the document (its fragments included) is of an input object type. */
function takesInputObjects(schema: GraphQLSchema, document: DocumentNode): boolean {
  const typeInfo = new TypeInfo(schema);
  let found = false;
  visit(
    document,
    visitWithTypeInfo(typeInfo, {
      [Kind.ARGUMENT]: () => {
        const argument = typeInfo.getArgument();
        if (argument && isInputObjectType(getNamedType(argument.type))) found = true;
      },
      [Kind.VARIABLE_DEFINITION]: () => {
        const type = typeInfo.getInputType();
        if (type && isInputObjectType(getNamedType(type))) found = true;
      },
    }),
  );
  return found;
}

/**
 * graphql-jit's errors as graphql-js makes them. Apollo reads `extensions.code` of every error and
 * rebuilds it from its `source` and `positions`; graphql-jit's own errors carry neither, and no
 * `extensions` at all when what was thrown was a plain error (a database timeout), which made Apollo's
 * formatting throw and answer a bare internal error.
 */
function asGraphqlJsError(error: GraphQLError, text: string): GraphQLError {
  // graphql-js's constructor (and so our AppErrors') always sets `nodes`; graphql-jit's never does
  if (Object.hasOwn(error, 'nodes')) return error;
  const source = new Source(text);
  return new GraphQLError(error.message, {
    source,
    positions: error.locations?.map(({ line, column }) => offsetOf(text, line, column)),
    path: error.path,
    originalError: error.originalError ?? undefined,
    extensions: error.extensions,
  });
}

/** The character offset of a 1-based line and column, with line ends as graphql-js counts them. */
function offsetOf(text: string, line: number, column: number): number {
  const lineEnd = /\r\n|[\n\r]/g;
  let start = 0;
  for (let at = 1; at < line; at++) {
    const match = lineEnd.exec(text);
    if (!match) break;
    start = match.index + match[0].length;
  }
  return start + column - 1;
}
