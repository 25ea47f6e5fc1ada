import type { ApolloServerPlugin } from '@apollo/server';
import { unwrapResolverError } from '@apollo/server/errors';
import type { GraphQLError } from 'graphql';
import { toAppError } from './format-error.js';
import type { Metrics } from '../observability/metrics.js';

const CODE = /^[A-Z_]{1,40}$/;

/** The outcome label: `ok`, or the first error's code (a bounded set: ours and Apollo's). */
export function outcomeOf(errors: readonly GraphQLError[] | undefined): string {
  if (!errors?.length) return 'ok';
  const [first] = errors;
  const code = toAppError(unwrapResolverError(first))?.code ?? first!.extensions?.code;
  return typeof code === 'string' && CODE.test(code) ? code : 'INTERNAL_SERVER_ERROR';
}

/**
 * Times each operation, labelled by its first root field (a schema name, so a bounded set, unlike the
 * client-chosen operation name), its type and its outcome.
 */
export function graphqlMetricsPlugin(metrics: Metrics): ApolloServerPlugin {
  return {
    async requestDidStart() {
      const end = metrics.graphqlOperations.startTimer();
      let field = 'unresolved';
      let type = 'unknown';
      return {
        async didResolveOperation({ operation }) {
          if (!operation) return;
          type = operation.operation;
          const first = operation.selectionSet.selections.find((selection) => selection.kind === 'Field');
          field = first?.kind === 'Field' ? first.name.value : 'fragment';
        },
        async willSendResponse({ errors }) {
          end({ field, type, outcome: outcomeOf(errors) });
        },
      };
    },
  };
}
