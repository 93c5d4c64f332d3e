// METRICS_TOKEN as a bearer token: the check /metrics makes on both listeners (the server's hono app,
// the worker's node:http one). The same comparison as the API's tokens (src/api/auth.ts findToken).
import { createHash, timingSafeEqual } from 'node:crypto';

const digest = (s: string) => createHash('sha256').update(s).digest();

/** True when `header` is `Bearer <token>`. */
export function bearerMatches(token: string, header: string | undefined): boolean {
  const m = /^Bearer\s+(.+)$/i.exec(header ?? '');
  if (!m?.[1]) return false;
  // Compare digests so neither timing nor length says anything about the token.
  return timingSafeEqual(digest(token), digest(m[1].trim()));
}
