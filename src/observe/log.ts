import { AsyncLocalStorage } from 'node:async_hooks';
import { pino, stdSerializers, type DestinationStream, type Logger } from 'pino';

/**
 * The id of the HTTP request being served (src/observe/use-request-id.ts runs each request inside
 * it), so every line logged on its behalf, by Yoga or deep in the domain, carries it without threading
 * a logger.
 */
export const requestScope = new AsyncLocalStorage<string>();

/**
 * Fields that hold secrets wherever they are logged: API keys (the Authorization header, graphql-ws
 * connectionParams, STOCKGATE_API_KEYS) and connection strings (which may carry a password).
 */
const REDACTED_PATHS = [
  'authorization',
  'Authorization',
  '*.authorization',
  '*.Authorization',
  'headers.authorization',
  '*.headers.authorization',
  'req.headers.authorization',
  'request.headers.authorization',
  'connectionParams.authorization',
  '*.connectionParams.authorization',
  'password',
  '*.password',
  'DATABASE_URL',
  'REDIS_URL',
  'STOCKGATE_API_KEYS',
  '*.DATABASE_URL',
  '*.REDIS_URL',
  '*.STOCKGATE_API_KEYS',
];

/** `scheme://user:password@` in any text: the password goes. */
const URL_PASSWORD = /\b([a-z][a-z0-9+.-]*:\/\/[^\s:/?#@]*:)[^\s@/]*@/gi;
/** A bearer token quoted in a message. */
const BEARER = /\b(Bearer\s+)[^\s,;"']+/gi;

/** Text with connection-string passwords and bearer tokens blanked out. */
export function scrub(text: string): string {
  return text.replace(URL_PASSWORD, '$1***@').replace(BEARER, '$1[redacted]');
}

/** The service's logger: JSON lines, the request id on every line logged while serving a request, no secrets. */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  const options = {
    level,
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    mixin: () => {
      const requestId = requestScope.getStore();
      return requestId === undefined ? {} : { requestId };
    },
    serializers: {
      // Driver errors quote what they connected to, and Error messages are free text.
      err: (err: Error) => {
        const out = stdSerializers.err(err);
        if (typeof out.message === 'string') out.message = scrub(out.message);
        if (typeof out.stack === 'string') out.stack = scrub(out.stack);
        return out;
      },
    },
    hooks: {
      logMethod(this: Logger, args: unknown[], method: (...args: unknown[]) => void) {
        method.apply(
          this,
          args.map((a) => (typeof a === 'string' ? scrub(a) : a)),
        );
      },
    },
  };
  return destination ? pino(options, destination) : pino(options);
}

/** How often a failure that repeats (every attempt fails while a dependency is away) is logged, at most. */
export const REPEATED_FAILURE_LOG_MS = 10_000;

/**
 * A warning logged at most once per `intervalMs`: an outage fails every attempt, and one line per
 * interval is enough to see it (the live announcements, the change feed).
 */
export function warnAtMostEvery(log: Logger, message: string, intervalMs = REPEATED_FAILURE_LOG_MS): (fields: object) => void {
  let last = -Infinity;
  return (fields) => {
    const now = Date.now();
    if (now - last < intervalMs) return;
    last = now;
    log.warn(fields, message);
  };
}
