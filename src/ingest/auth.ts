// Pure request authentication for the webhook senders. Every comparison of a secret-derived value is
// constant-time, and an empty configured secret never authenticates anything: HMAC with an empty key is
// computable by anyone, and an empty token would match an empty header.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

const SHA256_HEX_LENGTH = 64;
const DEFAULT_MAX_SKEW_S = 300;

/** `Authorization: Bearer <token>`; the scheme is case-insensitive (RFC 7235). */
export function verifyBearer(header: string | null, token: string): boolean {
  if (header === null || token === '') return false;
  const match = /^bearer +(\S+) *$/i.exec(header.trim());
  const presented = match?.[1];
  if (presented === undefined) return false;
  // Hashing first gives equal-length buffers, so neither the comparison nor its length check leaks the token.
  return timingSafeEqual(sha256(presented), sha256(token));
}

export interface GrafanaSignatureOptions {
  /** Header Grafana puts the signing time in, when one is configured; the body is then signed as "<ts>:<body>". */
  timestampHeader?: string;
  /** Largest accepted distance between that time and `now`, against replays. Default 300 s. */
  maxSkewS?: number;
  now?: Date;
}

/** `X-Grafana-Alerting-Signature`: hex HMAC-SHA256 of the raw body (or of "<unix seconds>:" + body). */
export function verifyGrafanaSignature(
  rawBody: string,
  headers: Headers,
  secret: string,
  opts: GrafanaSignatureOptions = {},
): boolean {
  const signature = headers.get('x-grafana-alerting-signature')?.trim() ?? null;
  if (signature === null || secret === '') return false;
  if (opts.timestampHeader === undefined) return hexEquals(hmacSha256(secret, rawBody), signature);
  const timestamp = headers.get(opts.timestampHeader)?.trim() ?? '';
  if (!isFresh(timestamp, opts.now ?? new Date(), opts.maxSkewS ?? DEFAULT_MAX_SKEW_S)) return false;
  // Signed over the header text exactly as sent, not a re-formatted number.
  return hexEquals(hmacSha256(secret, `${timestamp}:${rawBody}`), signature);
}

/**
 * `X-PagerDuty-Signature`: comma-separated `v1=<hex>` values, several while a secret is being rotated. Any
 * v1 value matching any configured secret authenticates; other versions are ignored.
 */
export function verifyPagerDutySignature(rawBody: string, header: string | null, secrets: string[]): boolean {
  if (header === null) return false;
  const signatures = header
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part.startsWith('v1='))
    .map((part) => part.slice('v1='.length));
  return secrets
    .filter((secret) => secret !== '')
    .some((secret) => {
      const expected = hmacSha256(secret, rawBody);
      return signatures.some((signature) => hexEquals(expected, signature));
    });
}

function isFresh(timestamp: string, now: Date, maxSkewS: number): boolean {
  if (!/^\d{1,15}$/.test(timestamp)) return false;
  return Math.abs(now.getTime() / 1000 - Number(timestamp)) <= maxSkewS;
}

/** Malformed or wrong-length hex is rejected before timingSafeEqual, which throws on unequal lengths. */
function hexEquals(expected: Buffer, presentedHex: string): boolean {
  if (presentedHex.length !== SHA256_HEX_LENGTH || !/^[0-9a-f]+$/i.test(presentedHex)) return false;
  return timingSafeEqual(expected, Buffer.from(presentedHex, 'hex'));
}

function hmacSha256(secret: string, message: string): Buffer {
  return createHmac('sha256', secret).update(message, 'utf8').digest();
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}
