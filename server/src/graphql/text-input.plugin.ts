import type { ApolloServerPlugin } from '@apollo/server';
import { GraphQLError, Kind, visit, type DocumentNode } from 'graphql';

const MAX_NESTING = 64;

/**
 * Refuses an operation whose string arguments or variables hold a NUL character before anything runs:
 * PostgreSQL cannot store one in text and refuses the whole statement, which would surface as an
 * internal error instead of the client's mistake.
 */
export function textInputPlugin(): ApolloServerPlugin {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ request, document }) {
          if (hasNul(request.variables) || documentHasNul(document)) {
            throw new GraphQLError('Text may not contain NUL characters', {
              extensions: { code: 'BAD_USER_INPUT', reason: 'NUL_CHARACTER', http: { status: 400 } },
            });
          }
        },
      };
    },
  };
}

function documentHasNul(document: DocumentNode): boolean {
  let found = false;
  visit(document, {
    [Kind.STRING]: (node) => {
      if (node.value.includes('\u0000')) found = true;
    },
  });
  return found;
}

/** Iterative, so a deeply nested variables object cannot overflow the stack; past MAX_NESTING GraphQL's own coercion refuses it anyway. */
function hasNul(value: unknown): boolean {
  const pending: Array<[unknown, number]> = [[value, 0]];
  while (pending.length > 0) {
    const [current, depth] = pending.pop()!;
    if (typeof current === 'string') {
      if (current.includes('\u0000')) return true;
    } else if (current && typeof current === 'object' && depth < MAX_NESTING) {
      for (const [key, item] of Object.entries(current)) {
        if (key.includes('\u0000')) return true;
        pending.push([item, depth + 1]);
      }
    }
  }
  return false;
}
