import { describe, expect, it } from 'vitest';
import { createLogger } from './logger.js';

function logged(write: (logger: ReturnType<typeof createLogger>) => void): Record<string, any> {
  const lines: string[] = [];
  write(createLogger('info', { write: (line: string) => void lines.push(line) }));
  return JSON.parse(lines[0]!);
}

describe(createLogger.name, () => {
  it('writes an error with its type, message, code and stack, but not the database client a library hung on it', () => {
    const error = Object.assign(new Error('terminating connection due to administrator command'), {
      code: '57P01',
      client: { connectionParameters: { host: '127.0.0.1' }, _queryQueue: [] },
    });
    const line = logged((logger) => logger.error({ err: error }, 'job queue error'));
    expect(line.err).toMatchObject({ type: 'Error', message: 'terminating connection due to administrator command', code: '57P01' });
    expect(line.err.stack).toContain('logger.spec');
    expect(line.err).not.toHaveProperty('client');
  });

  it('writes what is not an Error as it is', () => {
    expect(logged((logger) => logger.warn({ err: 'plain text' }, 'odd')).err).toBe('plain text');
  });
});
