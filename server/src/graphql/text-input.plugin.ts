import type { ApolloServerPlugin } from '@apollo/server';
import { GraphQLError, Kind, visit, type DocumentNode } from 'graphql';
import { HTTP_STATUS } from '../shared/errors.js';

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
          const field = nulInVariables(request.variables) ?? nulInDocument(document);
          if (field === undefined) return;
          throw new GraphQLError('Text may not contain NUL characters', {
            extensions: { code: 'BAD_USER_INPUT', reason: 'NUL_CHARACTER', ...(field ? { field } : {}), http: { status: HTTP_STATUS.BAD_USER_INPUT } },
          });
        },
      };
    },
  };
}

/** The dotted path (argument, then input fields) of a string literal holding NUL, `''` at top level, or undefined. */
function nulInDocument(document: DocumentNode): string | undefined {
  let found: string | undefined;
  visit(document, {
    [Kind.STRING]: (node, _key, _parent, _path, ancestors) => {
      if (found !== undefined || !node.value.includes('\u0000')) return;
      found = ancestors
        .flatMap((ancestor) => {
          if (Array.isArray(ancestor) || !('kind' in ancestor)) return [];
          return ancestor.kind === Kind.ARGUMENT || ancestor.kind === Kind.OBJECT_FIELD ? [ancestor.name.value] : [];
        })
        .join('.');
    },
  });
  return found;
}

/**
 * The dotted path of a string holding NUL in the variables (clients name variables after the
 * arguments they feed, so this is the field a form shows the error beside), or undefined. Iterative,
 * so deeply nested variables cannot overflow the stack; only plain objects and arrays are walked
 * (uploads are not text: their file names are cleaned where they are stored).
 */
function nulInVariables(variables: Record<string, unknown> | undefined): string | undefined {
  const pending: Array<[unknown, string[]]> = [[variables, []]];
  while (pending.length > 0) {
    const [value, path] = pending.pop()!;
    if (typeof value === 'string') {
      if (value.includes('\u0000')) return path.join('.');
    } else if (Array.isArray(value) || (value && typeof value === 'object' && isPlain(value))) {
      if (path.length >= MAX_NESTING) continue;
      for (const [key, item] of Object.entries(value)) {
        if (key.includes('\u0000')) return path.join('.');
        pending.push([item, [...path, key]]);
      }
    }
  }
  return undefined;
}

function isPlain(value: object): boolean {
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}
