import { randomUUID } from 'node:crypto';
import type { Plugin } from 'graphql-yoga';
import type { Logger } from 'pino';
import { requestScope } from './log.ts';

/**
 * A client's request id is kept when it looks like one (a UUID, a trace id): bounded printable ASCII
 * without spaces, so it cannot forge log lines or bloat them. Anything else gets a fresh one.
 */
const CLIENT_REQUEST_ID = /^[\x21-\x7e]{1,128}$/;

export interface RequestIdPluginOptions {
  /** Where the `request` line of each response goes. */
  log: Logger;
  /**
   * The header a client's id is read from and the id is echoed in.
   *
   * @default 'x-request-id'
   */
  header?: string;
}

/**
 * Gives every HTTP request an id (the client's, or a fresh UUID), echoes it in the response, runs the
 * request inside it (so every log line carries it: src/observe/log.ts), and logs one line when the
 * response goes: debug normally, warn for 5xx. Register it first, so everything after it is inside.
 */
export function useRequestId({ log, header = 'x-request-id' }: RequestIdPluginOptions): Plugin {
  const ids = new WeakMap<Request, { id: string; start: number }>();
  return {
    instrumentation: {
      request({ request }, wrapped) {
        const given = request.headers.get(header);
        const id = given && CLIENT_REQUEST_ID.test(given) ? given : randomUUID();
        ids.set(request, { id, start: performance.now() });
        return requestScope.run(id, wrapped);
      },
    },
    onResponse({ request, response }) {
      const seen = ids.get(request);
      if (!seen) return;
      response.headers.set(header, seen.id);
      const level = response.status >= 500 ? 'warn' : 'debug';
      // Built only when it is logged: on the hot path the line is usually below the level.
      if (!log.isLevelEnabled(level)) return;
      const url = new URL(request.url);
      log[level](
        {
          requestId: seen.id,
          method: request.method,
          path: url.pathname,
          status: response.status,
          ms: Math.round(performance.now() - seen.start),
        },
        'request',
      );
    },
  };
}
