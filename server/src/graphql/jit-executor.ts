import { printSchema, type DocumentNode, type ExecutionResult, type GraphQLSchema } from 'graphql';
import { compileQuery, isCompiledQuery, type CompiledQuery } from 'graphql-jit';

interface ExecutorRequest {
  document: DocumentNode;
  operationName?: string | null;
  request: { variables?: Record<string, unknown> | null };
  contextValue: unknown;
}

/**
 * graphql-jit behind Apollo's gateway interface, the documented way to run another executor since
 * Apollo Server 4: each operation is compiled once into a function (by document, which Apollo's
 * document store keeps one object per query text) and run from then on. Parsing, validation,
 * plugins and error formatting stay Apollo's.
 */
export function jitGateway(schema: GraphQLSchema) {
  const compiled = new WeakMap<DocumentNode, Map<string | null, CompiledQuery | ExecutionResult>>();
  const executor = async ({ document, operationName, request, contextValue }: ExecutorRequest): Promise<ExecutionResult> => {
    let byName = compiled.get(document);
    if (!byName) compiled.set(document, (byName = new Map()));
    const name = operationName ?? null;
    let query = byName.get(name);
    if (!query) byName.set(name, (query = compileQuery(schema, document, operationName ?? undefined)));
    if (!isCompiledQuery(query)) return query;
    return query.query(undefined, contextValue, request.variables ?? {});
  };
  return {
    async load() {
      return { schema, executor };
    },
    onSchemaLoadOrUpdate(callback: (context: { apiSchema: GraphQLSchema; coreSupergraphSdl: string }) => void) {
      callback({ apiSchema: schema, coreSupergraphSdl: printSchema(schema) });
      return () => {};
    },
    async stop() {},
  };
}
