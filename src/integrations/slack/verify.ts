// Slack signs every request: X-Slack-Signature = v0=HMAC-SHA256(signing secret, "v0:" + ts + ":" + raw body).
// Bolt's own verifySlackRequest checks the signature in constant time and refuses stale timestamps; it lets
// timestamps from the future through, so those are refused here too: a captured request cannot be
// post-dated to outlive the five-minute window.
import { verifySlackRequest } from '@slack/bolt';

export const MAX_SKEW_S = 5 * 60;

export type Verdict = { ok: true } | { ok: false; reason: string };

export function verifySlackSignature(secret: string, raw: string, headers: Headers, nowMs: number): Verdict {
  const signature = headers.get('x-slack-signature');
  const timestamp = headers.get('x-slack-request-timestamp');
  if (!signature || !timestamp) return { ok: false, reason: 'missing X-Slack-Signature or timestamp' };
  if (!/^\d{1,12}$/.test(timestamp))
    return { ok: false, reason: 'X-Slack-Request-Timestamp is not a number' };
  const ts = Number(timestamp);
  if (Math.abs(nowMs / 1000 - ts) > MAX_SKEW_S) {
    return { ok: false, reason: 'X-Slack-Request-Timestamp is more than 5 minutes from now' };
  }
  try {
    verifySlackRequest({
      signingSecret: secret,
      body: raw,
      headers: { 'x-slack-signature': signature, 'x-slack-request-timestamp': ts },
      nowMilliseconds: nowMs,
    });
    return { ok: true };
  } catch (err) {
    return { ok: false, reason: (err as Error).message };
  }
}
