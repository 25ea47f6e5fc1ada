import { ApolloClient, HttpLink, InMemoryCache } from '@apollo/client';
import { HttpError } from 'react-admin';
import { describe, expect, test } from 'vitest';
import { CreateTierMutation, TierQuery } from './documents';
import { toHttpError } from './errors';

type Answer = () => Promise<Response>;

/**
 * Sends an operation through a real Apollo client over a fake fetch that answers like the server, wraps
 * the rejection the way ra-data-graphql 5 does (`handleError` in its dist/index.js: it is not imported
 * here because, outside a bundler, Node cannot load its named imports from Apollo Client 3), and returns
 * what react-admin would get from toHttpError.
 */
async function failure(answer: Answer, operation: 'query' | 'mutation' = 'query') {
  const client = new ApolloClient({ link: new HttpLink({ uri: 'http://api.test/graphql', fetch: answer }), cache: new InMemoryCache() });
  const request =
    operation === 'query'
      ? client.query({ query: TierQuery, variables: { id: 't1' }, fetchPolicy: 'network-only' })
      : client.mutate({ mutation: CreateTierMutation, variables: { input: { name: 'Pro', thumbnailHeights: [100] } } });
  const rejection = await request.then(
    () => expect.unreachable('the call should have failed'),
    (error: { message: string; networkError?: { message: string; statusCode?: number } | null }) =>
      error.networkError ? new HttpError(error.networkError.message, error.networkError.statusCode) : new HttpError(error.message, 200, error),
  );
  return toHttpError(rejection);
}

/** The server's answer to an operation whose resolver threw: HTTP 200 with `errors`. */
const graphQLErrors =
  (...errors: Array<{ message: string; extensions?: Record<string, unknown> }>): Answer =>
  async () =>
    Response.json({ data: null, errors });

describe(toHttpError.name, () => {
  test.each([
    ['UNAUTHENTICATED', 'Authentication required', 401],
    ['FORBIDDEN', 'Admins only', 403],
    ['NOT_FOUND', 'Tier not found', 404],
    ['CONFLICT', 'The tier still has users', 409],
    ['RATE_LIMITED', 'Too many requests, try again shortly', 429],
    ['SERVICE_UNAVAILABLE', 'Service temporarily unavailable', 503],
    ['BAD_USER_INPUT', 'offset must be 0 or more', 400],
  ])('%s keeps its message and becomes status %i', async (code, message, status) => {
    const error = await failure(graphQLErrors({ message, extensions: { code } }));

    expect(error).toBeInstanceOf(HttpError);
    expect(error).toMatchObject({ message, status, body: { code } });
    expect((error as HttpError).body).not.toHaveProperty('errors');
  });

  test('BAD_USER_INPUT naming an input field becomes body.errors.<field>, shown beside that field', async () => {
    const message = 'A tier named Pro already exists';

    const error = await failure(graphQLErrors({ message, extensions: { code: 'BAD_USER_INPUT', field: 'input.name', reason: 'NAME_TAKEN' } }), 'mutation');

    expect(error).toBeInstanceOf(HttpError);
    expect(error).toMatchObject({ message, status: 400, body: { code: 'BAD_USER_INPUT', errors: { name: message } } });
  });

  test('a field outside the input keeps its name', async () => {
    const message = 'You cannot delete your own account';

    const error = await failure(graphQLErrors({ message, extensions: { code: 'BAD_USER_INPUT', field: 'id' } }), 'mutation');

    expect(error).toMatchObject({ message, status: 400, body: { code: 'BAD_USER_INPUT', errors: { id: message } } });
  });

  test('only the first error counts', async () => {
    const error = await failure(
      graphQLErrors({ message: 'Tier not found', extensions: { code: 'NOT_FOUND' } }, { message: 'Admins only', extensions: { code: 'FORBIDDEN' } }),
    );

    expect(error).toMatchObject({ message: 'Tier not found', status: 404, body: { code: 'NOT_FOUND' } });
  });

  test('an unknown code is a 500 that still says what the server said', async () => {
    const error = await failure(graphQLErrors({ message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } }));

    expect(error).toMatchObject({ message: 'Internal server error', status: 500, body: { code: 'INTERNAL_SERVER_ERROR' } });
  });

  test('an error without extensions is a 500 with an empty code', async () => {
    const error = await failure(graphQLErrors({ message: 'Something odd' }));

    expect(error).toMatchObject({ message: 'Something odd', status: 500, body: { code: '' } });
  });

  test('a network failure passes through with its message and no status', async () => {
    const error = await failure(async () => {
      throw new TypeError('fetch failed');
    });

    expect(error).toBeInstanceOf(HttpError);
    expect(error).toMatchObject({ message: 'fetch failed', status: undefined, body: null });
  });

  test('a non-2xx answer passes through with its HTTP status', async () => {
    const error = await failure(async () => new Response('<html>Bad gateway</html>', { status: 502, headers: { 'content-type': 'text/html' } }));

    expect(error).toBeInstanceOf(HttpError);
    expect(error).toMatchObject({ message: 'Response not successful: Received status code 502', status: 502, body: null });
  });

  test('what is not an HttpError, such as a verb buildQuery refuses, is returned untouched', () => {
    const refused = new Error('images getOne is not supported');

    expect(toHttpError(refused)).toBe(refused);
  });

  test('an HttpError without GraphQL errors is returned untouched', () => {
    const error = new HttpError('Unauthorized', 401);

    expect(toHttpError(error)).toBe(error);
  });
});
