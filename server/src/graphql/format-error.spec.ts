import { GraphQLError } from 'graphql';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../shared/logger.js';
import { NotFoundError as OrmNotFoundError } from '@mikro-orm/core';
import { BadUserInputError } from './errors.js';
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
});
