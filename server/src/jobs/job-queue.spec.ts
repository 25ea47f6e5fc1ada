import { describe, expect, it } from 'vitest';
import { createLogger } from '../shared/logger.js';
import { logJobQueueError } from './job-queue.js';

function lines(write: (logger: ReturnType<typeof createLogger>) => void): Array<Record<string, any>> {
  const written: string[] = [];
  write(createLogger('info', { write: (line: string) => void written.push(line) }));
  return written.map((line) => JSON.parse(line));
}

const adminShutdown = Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' });

describe(logJobQueueError.name, () => {
  it('notes PostgreSQL ending the connections while this process shuts down', () => {
    expect(lines((logger) => logJobQueueError(logger, adminShutdown, true))).toEqual([
      expect.objectContaining({ level: 30, code: '57P01', msg: 'job queue connection closed: PostgreSQL is shutting down too' }),
    ]);
  });

  it('notes PostgreSQL refusing new connections while both shut down (cannot_connect_now)', () => {
    const refusing = Object.assign(new Error('the database system is shutting down'), { code: '57P03' });
    expect(lines((logger) => logJobQueueError(logger, refusing, true))).toEqual([
      expect.objectContaining({ level: 30, code: '57P03', msg: 'job queue connection closed: PostgreSQL is shutting down too' }),
    ]);
  });

  it('reports the same as an error while the process is serving: the database went away under it', () => {
    expect(lines((logger) => logJobQueueError(logger, adminShutdown, false))).toEqual([
      expect.objectContaining({ level: 50, msg: 'job queue error', err: expect.objectContaining({ code: '57P01' }) }),
    ]);
  });

  it('takes a connection PostgreSQL reset or ended as it shut down for the shutdown, not a fault', () => {
    for (const dropped of [Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }), new Error('Connection terminated unexpectedly (Queue: file-cleanup)')]) {
      expect(lines((logger) => logJobQueueError(logger, dropped, true))).toEqual([expect.objectContaining({ level: 30 })]);
      expect(lines((logger) => logJobQueueError(logger, dropped, false))).toEqual([expect.objectContaining({ level: 50 })]);
    }
  });

  it('reports any other error during shutdown as an error', () => {
    const other = Object.assign(new Error('relation "pgboss.job" does not exist'), { code: '42P01' });
    expect(lines((logger) => logJobQueueError(logger, other, true))).toEqual([expect.objectContaining({ level: 50, msg: 'job queue error' })]);
  });
});
