import type { Plugin } from 'graphql-yoga';
import { refusal } from '../errors.ts';

export interface ServedPathsPluginOptions {
  /**
   * GraphQL's path, matched exactly (a query string aside).
   *
   * @default '/graphql' (Yoga's)
   */
  graphql?: string;
  /** Whether the service answers at another path (/ready, /metrics, the ticker page). */
  served: (pathname: string) => boolean;
}

/**
 * Only the paths this service serves get past this; every other one is 404 NOT_FOUND, as a GraphQL
 * error. Yoga itself hands to GraphQL any URL that merely ends in its path (`/graphql/`, `//graphql`,
 * `/x/graphql`, even `/?q=/graphql`), while the rate limit and the drain guard match the path exactly:
 * refusing every other spelling here, before them, means each GraphQL request they see is one they
 * count. An allowlist rather than a copy of Yoga's matching, so a Yoga upgrade that matches more
 * opens no new way around them. (Yoga's /health and GraphiQL's page answer before any plugin of ours.)
 */
export function useServedPaths({ graphql = '/graphql', served }: ServedPathsPluginOptions): Plugin {
  return {
    onRequest({ url, endResponse, fetchAPI }) {
      if (url.pathname === graphql || served(url.pathname)) return;
      endResponse(
        refusal(fetchAPI.Response, { status: 404, code: 'NOT_FOUND', message: `nothing is served at this path; GraphQL is at ${graphql}` }),
      );
    },
  };
}
