import type { Plugin } from 'graphql-yoga';

/**
 * Largest request body accepted, in bytes. The largest legitimate request, an upsert of 100 SKUs with
 * every field at its longest (64-character ids, 200-character names of 3-byte characters), is about
 * 81 KB as plain JSON and about 200 KB with every character of its ids and names \u-escaped (in
 * variables, or inline in the query); 512 KiB passes that with room and bounds what one request makes
 * the server buffer before anything parses it.
 */
export const MAX_BODY_BYTES = 512 * 1024;

/** The typed answer to an oversized body: 413, as a GraphQL error a client can match on. */
function tooLarge(fetchAPI: { Response: typeof Response }, limit: number): Response {
  const body = {
    errors: [{ message: `request body larger than ${limit} bytes`, extensions: { code: 'REQUEST_TOO_LARGE', limit } }],
  };
  return new fetchAPI.Response(JSON.stringify(body), {
    status: 413,
    // Close the connection: otherwise Node would read (and throw away) the rest of the body, however long.
    headers: { 'content-type': 'application/json; charset=utf-8', connection: 'close' },
  });
}

/**
 * Refuses bodies over `limit` before Yoga reads or parses them. A declared Content-Length is checked
 * as it is (Node's parser never delivers more than it declares); a body without one (chunked) is counted
 * while it is read and refused at the first byte over, then handed on, already in memory, to Yoga.
 */
export function bodyLimit(limit = MAX_BODY_BYTES): Plugin {
  return {
    async onRequest({ request, setRequest, endResponse, fetchAPI }) {
      const declared = request.headers.get('content-length');
      if (declared !== null) {
        if (Number(declared) > limit) endResponse(tooLarge(fetchAPI, limit));
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
        if (size > limit) {
          await reader.cancel();
          endResponse(tooLarge(fetchAPI, limit));
          return;
        }
        chunks.push(value);
      }
      setRequest(new fetchAPI.Request(request.url, { method: request.method, headers: request.headers, body: Buffer.concat(chunks) }));
    },
  };
}
