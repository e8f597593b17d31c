import type { Plugin } from 'graphql-yoga';
import { refusal } from '../errors.ts';

/** The request bodies Yoga parses, as a client is told when it sends another. */
const ACCEPTED_MEDIA_TYPES = 'application/json (or application/graphql, application/x-www-form-urlencoded, multipart/form-data)';
/** How much of a refused Content-Type the message quotes: enough to recognise, too little to bloat it. */
const QUOTED_CONTENT_TYPE_LENGTH = 100;

/**
 * A POST whose Content-Type no parser takes (text/plain, none at all) is answered 415 with a typed
 * GraphQL error, UNSUPPORTED_MEDIA_TYPE, not Yoga's bare 415, so clients can match on it like on every
 * other refusal. Yoga's own parsers register before this hook, so an unset parser here means none of
 * them matched. No options.
 */
export function useTypedMediaType(): Plugin {
  return {
    onRequestParse({ request, requestParser, endResponse, fetchAPI }) {
      if (requestParser) return;
      const given = request.headers.get('content-type');
      const what = given ? `Content-Type ${JSON.stringify(given.slice(0, QUOTED_CONTENT_TYPE_LENGTH))}` : 'no Content-Type';
      endResponse(
        refusal(fetchAPI.Response, {
          status: 415,
          code: 'UNSUPPORTED_MEDIA_TYPE',
          message: `${what} is not supported: send ${ACCEPTED_MEDIA_TYPES}`,
        }),
      );
    },
  };
}
