import type { ApolloServerPlugin } from '@apollo/server';
import { Kind, type OperationDefinitionNode } from 'graphql';
import type { Context } from './context.js';

/** Root fields that need no credential and are answered as if none was sent when the one sent fails. */
const SIGN_IN_FIELDS = new Set(['login']);

/**
 * Whether the operation only signs in: a mutation whose root fields are all `login` (and `__typename`),
 * written out, not spread from fragments.
 */
export function isSignInOnly(operation: OperationDefinitionNode): boolean {
  const fields = operation.selectionSet.selections;
  return (
    operation.operation === 'mutation' &&
    fields.every((field) => field.kind === Kind.FIELD && (SIGN_IN_FIELDS.has(field.name.value) || field.name.value === '__typename')) &&
    fields.some((field) => field.kind === Kind.FIELD && SIGN_IN_FIELDS.has(field.name.value))
  );
}

/**
 * A request whose Authorization header holds a credential that cannot be used (forged, expired, signed
 * out, revoked, malformed) is refused whole with 401 and `WWW-Authenticate`, so a client knows to sign in
 * again, except when it only signs in: a client whose auth link always attaches the saved token must be
 * able to replace it. Decided once the operation is known, before anything runs.
 */
export function authenticationPlugin(): ApolloServerPlugin<Context> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ contextValue, operation }) {
          if (contextValue.authFailure && !(operation && isSignInOnly(operation))) throw contextValue.authFailure;
        },
      };
    },
  };
}
