import { unwrapResolverError } from '@apollo/server/errors';
import { NotFoundError as OrmNotFoundError } from '@mikro-orm/core';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { isDatabaseUnavailable } from '../db/postgres-errors.js';
import type { Logger } from '../shared/logger.js';
import { asStorageFaultError, osFaultOf } from '../shared/os-errors.js';
import { AppError, NotFoundError, ServiceUnavailableError } from '../shared/errors.js';
import { asTokenLimitError, withoutSuggestions } from './operation-limits.js';


/** Turns what a resolver threw into an AppError when we know what it means; `undefined` when we don't. */
export function toAppError(error: unknown): AppError | undefined {
  if (error instanceof AppError) return error;
  if (error instanceof OrmNotFoundError) return new NotFoundError();
  if (isDatabaseUnavailable(error) || osFaultOf(error) === 'CONNECTION_LOST') return new ServiceUnavailableError();
  return asStorageFaultError(error);
}

/**
 * The one place that decides what a client sees of an error: AppErrors and the errors GraphQL itself
 * raises (parse, validation, variable coercion) pass; everything else becomes a bare internal error,
 * logged here with its stack, so no stack trace or SQL ever reaches a client.
 */
export function createFormatError(logger: Logger, { hideSuggestions = false }: { hideSuggestions?: boolean } = {}) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const shown = format(formatted, error);
    // Apollo's hideSchemaDetailsFromClientErrors strips "Did you mean" from validation errors only, not
    // from variable coercion errors ("Value \"NAM\" does not exist in \"TierSortField\" enum. Did you mean …")
    return hideSuggestions ? { ...shown, message: withoutSuggestions(shown.message) } : shown;
  };

  function format(formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError {
    const original = unwrapResolverError(error);
    const known = toAppError(original);
    if (known) {
      // `http` is for Apollo (the response's status and headers, see RateLimitedError), not for the client
      const { http: _forApollo, ...extensions } = known.extensions;
      return { message: known.message, path: formatted.path, locations: formatted.locations, extensions };
    }
    // parse, validation and coercion errors arrive as GraphQLErrors; anything thrown from our code that
    // is not an AppError arrives as the plain error it was
    const tokenLimit = asTokenLimitError(formatted);
    if (tokenLimit) return tokenLimit;
    // graphql-js stops coercing variables after 50 errors with an error of its own that carries no code
    if (original instanceof GraphQLError && original.message.startsWith('Too many errors processing variables')) {
      return { message: original.message, locations: formatted.locations, extensions: { code: 'BAD_USER_INPUT' } };
    }
    // Apollo's own refusals without a code, answered 400 (a persisted-query hash that does not match its text)
    if (original instanceof GraphQLError && original.extensions.code === undefined && (original.extensions.http as { status?: number } | undefined)?.status === 400) {
      return { message: original.message, extensions: { code: 'BAD_REQUEST' } };
    }
    if (original instanceof GraphQLError && formatted.extensions?.code !== 'INTERNAL_SERVER_ERROR') {
      const { stacktrace: _dropped, ...extensions } = formatted.extensions ?? {};
      return { ...formatted, extensions };
    }
    logger.error({ err: original, path: formatted.path }, 'unexpected error in GraphQL operation');
    return { message: 'Internal server error', path: formatted.path, extensions: { code: 'INTERNAL_SERVER_ERROR' } };
  }
}
