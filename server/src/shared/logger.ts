import { pino, type DestinationStream, type Logger } from 'pino';
import { currentRequestId } from './request-scope.js';

export type { Logger };

/** JSON lines on stdout; a line written while serving a request carries its `reqId`. */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  const options: pino.LoggerOptions = {
    level,
    base: undefined,
    redact: ['req.headers.authorization', 'req.headers.cookie', '*.password'],
    mixin() {
      const reqId = currentRequestId();
      return reqId ? { reqId } : {};
    },
  };
  return destination ? pino(options, destination) : pino(options);
}
