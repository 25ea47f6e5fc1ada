import { pino, type DestinationStream, type Logger } from 'pino';
import { currentRequestId } from './request-scope.js';

export type { Logger };

/**
 * Errors as pino writes them, without the objects some libraries hang on them: node-postgres and
 * pg-boss attach the whole `client` (its pool, parser and socket state), kilobytes per line that say
 * nothing an operator can use.
 */
function serializeError(error: unknown): unknown {
  if (!(error instanceof Error)) return error;
  const { client: _client, ...rest } = pino.stdSerializers.err(error) as ReturnType<typeof pino.stdSerializers.err> & { client?: unknown };
  return rest;
}

let stdout: ReturnType<typeof pino.destination> | undefined;

/**
 * stdout written asynchronously: a synchronous write per request was a tenth of a small request's CPU
 * (issue 12's profile). What is still buffered when the process exits is written out then.
 */
function asyncStdout(): DestinationStream {
  if (!stdout) {
    const destination = pino.destination({ dest: 1, sync: false });
    process.once('exit', () => {
      try {
        destination.flushSync();
      } catch {
        // stdout already closed: nothing left to write to
      }
    });
    stdout = destination;
  }
  return stdout;
}

/** JSON lines on stdout; a line written while serving a request carries its `reqId`. */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  const options: pino.LoggerOptions = {
    level,
    base: undefined,
    serializers: { err: serializeError },
    redact: ['req.headers.authorization', 'req.headers.cookie', '*.password'],
    mixin() {
      const reqId = currentRequestId();
      return reqId ? { reqId } : {};
    },
  };
  return pino(options, destination ?? asyncStdout());
}
