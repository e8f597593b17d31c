import type { Plugin } from 'graphql-yoga';
import { graphqlError } from './http.ts';

/**
 * Only the paths this service serves get past this; every other one is 404 NOT_FOUND, as a GraphQL
 * error. Yoga itself hands to GraphQL any URL that merely ends in its path (`/graphql/`, `//graphql`,
 * `/x/graphql`, even `/?q=/graphql`), while the rate limit and the drain guard match the path exactly:
 * refusing every other spelling here, before them, means each GraphQL request they see is one they
 * count. An allowlist rather than a copy of Yoga's matching, so a Yoga upgrade that matches more
 * opens no new way around them. (Yoga's /health and GraphiQL's page answer before any plugin of ours.)
 */
export function servedPathsOnly(opts: { graphql: string; served: (pathname: string) => boolean }): Plugin {
  return {
    onRequest({ url, endResponse, fetchAPI }) {
      if (url.pathname === opts.graphql || opts.served(url.pathname)) return;
      endResponse(graphqlError(fetchAPI.Response, 404, 'NOT_FOUND', `nothing is served at this path; GraphQL is at ${opts.graphql}`, {}));
    },
  };
}

/** The request bodies Yoga parses, as a client is told when it sends another. */
const ACCEPTED_MEDIA_TYPES = 'application/json (or application/graphql, application/x-www-form-urlencoded, multipart/form-data)';

/**
 * A POST whose Content-Type no parser takes (text/plain, none at all) is answered 415 with a typed
 * GraphQL error, not Yoga's bare 415, so clients can match on it like on every other refusal. Yoga's
 * own parsers register before this hook, so an unset parser here means none of them matched.
 */
export function typedUnsupportedMediaType(): Plugin {
  return {
    onRequestParse({ request, requestParser, endResponse, fetchAPI }) {
      if (requestParser) return;
      const given = request.headers.get('content-type');
      endResponse(
        graphqlError(
          fetchAPI.Response,
          415,
          'UNSUPPORTED_MEDIA_TYPE',
          `${given ? `Content-Type ${JSON.stringify(given.slice(0, 100))}` : 'no Content-Type'} is not supported: send ${ACCEPTED_MEDIA_TYPES}`,
          {},
        ),
      );
    },
  };
}
