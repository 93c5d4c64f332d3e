// The feature-flag service's HTTP API, for flags that carry a value (a pool size, a ratio), not only
// on/off. The API this client speaks:
//   GET {FEATURE_FLAGS_URL}/api/v1/flags/{key}  → 200 { key, value, version }   (404: no such flag)
//   PUT {FEATURE_FLAGS_URL}/api/v1/flags/{key}  { value, reason, ttlSeconds? }  → 200 { key, value, version }
//       If-Match: <version> makes the write conditional (412 when someone changed it meanwhile);
//       Idempotency-Key: a retried write with the same key is answered from the first one.
// Unleash, Flipt and LaunchDarkly spell this differently: adapt these two calls, not the runbooks.
import { endpoints } from './endpoints.ts';
import { type Http, requestJson } from './http.ts';

export interface Flag<T = unknown> {
  key: string;
  value: T;
  version: number;
}

export interface SetFlag<T> {
  value: T;
  reason: string;
  idempotencyKey: string;
  /** Only write when the flag is still at this version (someone else may have changed it). */
  ifVersion?: number;
  /** The service drops the override after this long (drills clean up after themselves). */
  ttlSeconds?: number;
}

export function flags(http: Http, base = endpoints().flags) {
  const url = (key: string) => `${base.url}/api/v1/flags/${encodeURIComponent(key)}`;
  return {
    get: <T>(key: string) => requestJson<Flag<T>>(http, url(key), { endpoint: base }),
    set: <T>(key: string, s: SetFlag<T>) =>
      requestJson<Flag<T>>(http, url(key), {
        method: 'PUT',
        endpoint: base,
        headers: {
          'idempotency-key': s.idempotencyKey,
          ...(s.ifVersion === undefined ? {} : { 'if-match': String(s.ifVersion) }),
        },
        body: {
          value: s.value,
          reason: s.reason,
          ...(s.ttlSeconds === undefined ? {} : { ttlSeconds: s.ttlSeconds }),
        },
      }),
  };
}

export type Flags = ReturnType<typeof flags>;
