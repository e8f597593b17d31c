import type { Plugin } from 'graphql-yoga';
import { refusal } from '../errors.ts';

/**
 * Largest request body accepted, in bytes. The largest legitimate request, an upsert of 100 SKUs with
 * every field at its longest (64-character ids, 200-character names of 3-byte characters), is about
 * 81 KB as plain JSON and about 200 KB with every character of its ids and names \u-escaped (in
 * variables, or inline in the query); 512 KiB passes that with room and bounds what one request makes
 * the server buffer before anything parses it.
 */
export const MAX_BODY_BYTES = 512 * 1024;

/** The typed answer to an oversized body: 413, as a GraphQL error a client can match on. */
function tooLarge(fetchAPI: { Response: typeof Response }, maxBytes: number): Response {
  return refusal(fetchAPI.Response, {
    status: 413,
    code: 'REQUEST_TOO_LARGE',
    message: `request body larger than ${maxBytes} bytes`,
    // Close the connection: otherwise Node would read (and throw away) the rest of the body, however long.
    headers: { connection: 'close' },
    details: { limit: maxBytes },
  });
}

export interface BodyLimitPluginOptions {
  /**
   * The largest body accepted, in bytes.
   *
   * @default MAX_BODY_BYTES (512 KiB)
   */
  maxBytes?: number;
}

/**
 * Refuses bodies over `maxBytes` before Yoga reads or parses them. A declared Content-Length is checked
 * as it is (Node's parser never delivers more than it declares); a body without one (chunked) is counted
 * while it is read and refused at the first byte over, then handed on, already in memory, to Yoga.
 */
export function useBodyLimit({ maxBytes = MAX_BODY_BYTES }: BodyLimitPluginOptions = {}): Plugin {
  return {
    async onRequest({ request, setRequest, endResponse, fetchAPI }) {
      const declared = request.headers.get('content-length');
      if (declared !== null) {
        if (Number(declared) > maxBytes) endResponse(tooLarge(fetchAPI, maxBytes));
        return;
      }
      if (!request.headers.has('transfer-encoding') || !request.body) return;
      const reader = request.body.getReader();
      const chunks: Uint8Array[] = [];
      let size = 0;
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        size += value.byteLength;
        if (size > maxBytes) {
          await reader.cancel();
          endResponse(tooLarge(fetchAPI, maxBytes));
          return;
        }
        chunks.push(value);
      }
      setRequest(new fetchAPI.Request(request.url, { method: request.method, headers: request.headers, body: Buffer.concat(chunks) }));
    },
  };
}
