/** What a plugin's onRequest hook gets that answering a request needs. */
interface RequestHook {
  request: Request;
  endResponse: (response: Response) => void;
  fetchAPI: { Response: typeof Response };
}

/**
 * Ends a request to a read-only endpoint (/ready, /metrics) that is not GET or HEAD with 405 and the
 * methods it allows; true when it did, so the caller answers nothing more.
 */
export function refusedUnlessRead({ request, endResponse, fetchAPI }: RequestHook): boolean {
  if (request.method === 'GET' || request.method === 'HEAD') return false;
  endResponse(new fetchAPI.Response(null, { status: 405, headers: { allow: 'GET, HEAD' } }));
  return true;
}
