// Body size limit for routes that read the body as text. hono's bodyLimit touches `request.body`, which
// under @hono/node-server builds a full WHATWG Request and a web stream over the socket for every request
// (a tenth of the server's CPU under webhook load, see bench/ingest.ts); `c.req.text()` alone reads the
// socket directly. So a declared Content-Length is checked here without touching the body — Node's HTTP
// parser never delivers more bytes than it declares — and only a body without one (chunked) is counted
// as it streams, by hono's middleware.
import type { MiddlewareHandler } from 'hono';
import { bodyLimit as streamingBodyLimit } from 'hono/body-limit';
import { HttpError } from './errors.ts';

export function bodyLimit(maxSize: number): MiddlewareHandler {
  const tooLarge = () => {
    throw new HttpError(413, 'payload_too_large', `body is larger than ${maxSize} bytes`);
  };
  const streaming = streamingBodyLimit({ maxSize, onError: tooLarge });
  return async (c, next) => {
    const length = c.req.header('content-length');
    if (length !== undefined && /^\d+$/.test(length) && c.req.header('transfer-encoding') === undefined) {
      if (Number(length) > maxSize) tooLarge();
      return next();
    }
    return streaming(c, next);
  };
}

/** For a body already read: an in-process Request (app.request) is not held to its Content-Length. */
export function assertWithinLimit(text: string, maxSize: number): void {
  if (text.length > maxSize || Buffer.byteLength(text) > maxSize)
    throw new HttpError(413, 'payload_too_large', `body is larger than ${maxSize} bytes`);
}
