import { GraphQLError } from 'graphql';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../shared/logger.js';
import { NotFoundError as OrmNotFoundError } from '@mikro-orm/core';
import { BadUserInputError } from '../shared/errors.js';
import { createFormatError } from './format-error.js';

const format = createFormatError(createLogger('silent'));
const thrownInResolver = (error: Error) => new GraphQLError(error.message, { path: ['x'], originalError: error });

describe(createFormatError.name, () => {
  it('passes app errors with their code and details', () => {
    const error = new BadUserInputError('Bad height', { field: 'input.thumbnailHeights' });
    expect(format({ message: error.message, extensions: {} }, thrownInResolver(error))).toMatchObject({
      message: 'Bad height',
      extensions: { code: 'BAD_USER_INPUT', field: 'input.thumbnailHeights' },
    });
  });

  it('masks anything else, keeping no message, SQL or stack', () => {
    const error = new Error('relation "users" does not exist at SELECT password_hash …');
    const formatted = format({ message: error.message, path: ['x'], extensions: { code: 'INTERNAL_SERVER_ERROR', stacktrace: ['at x'] } }, thrownInResolver(error));
    expect(formatted).toEqual({ message: 'Internal server error', path: ['x'], extensions: { code: 'INTERNAL_SERVER_ERROR' } });
  });

  it('maps the ORM’s not-found and lost connections to their codes', () => {
    expect(format({ message: 'x' }, thrownInResolver(new OrmNotFoundError('User not found'))).extensions?.code).toBe('NOT_FOUND');
    const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    expect(format({ message: 'x' }, thrownInResolver(refused)).extensions?.code).toBe('SERVICE_UNAVAILABLE');
  });

  it('answers graphql-js giving up on 50 bad variables as BAD_USER_INPUT, not an internal error (found by pnpm fuzz)', () => {
    const error = new GraphQLError('Too many errors processing variables, error limit reached. Execution aborted.');
    expect(format({ message: error.message, extensions: { code: 'INTERNAL_SERVER_ERROR' } }, error).extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('answers a statement cancelled by statement_timeout as SERVICE_UNAVAILABLE', () => {
    const cancelled = Object.assign(new Error('canceling statement due to statement timeout'), { code: '57014' });
    expect(format({ message: 'x' }, thrownInResolver(cancelled)).extensions?.code).toBe('SERVICE_UNAVAILABLE');
  });
});
