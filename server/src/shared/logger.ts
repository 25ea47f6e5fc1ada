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
  return destination ? pino(options, destination) : pino(options);
}
