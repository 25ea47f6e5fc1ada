import { HttpError } from 'react-admin';

interface GraphQLErrorLike {
  message: string;
  extensions?: { code?: string; field?: string };
}

const STATUS: Record<string, number> = {
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  BAD_USER_INPUT: 400,
  RATE_LIMITED: 429,
  SERVICE_UNAVAILABLE: 503,
};

/**
 * Turns what ra-data-graphql throws into the HttpError react-admin understands: 401 logs out, and an
 * error naming an input field (`input.name`) becomes `body.errors.name`, shown beside that field.
 */
export function toHttpError(error: unknown): unknown {
  if (!(error instanceof HttpError)) return error;
  const graphQLErrors: GraphQLErrorLike[] = (error.body as { graphQLErrors?: GraphQLErrorLike[] } | undefined)?.graphQLErrors ?? [];
  const first = graphQLErrors[0];
  if (!first) return error;
  const code = first.extensions?.code ?? '';
  const field = first.extensions?.field?.replace(/^input\./, '');
  const errors = field ? { [field]: first.message } : undefined;
  return new HttpError(first.message, STATUS[code] ?? 500, errors ? { errors, code } : { code });
}

interface ApolloFailure {
  message: string;
  networkError?: { message: string; statusCode?: number } | null;
}

/**
 * The HttpError ra-data-graphql 5 makes of an Apollo Client failure (`handleError` in its dist/index.js),
 * for the operations the app sends itself, so that toHttpError reads theirs like every other.
 */
export function fromApolloError(error: ApolloFailure): HttpError {
  return error.networkError ? new HttpError(error.networkError.message, error.networkError.statusCode) : new HttpError(error.message, 200, error);
}
