import { createHmac } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { verifyBearer, verifyGrafanaSignature, verifyPagerDutySignature } from '../../src/ingest/auth.ts';
import { fixtureText } from './support.ts';

function hmacHex(secret: string, message: string): string {
  return createHmac('sha256', secret).update(message).digest('hex');
}

describe('verifyBearer', () => {
  test('accepts the configured token, whatever the scheme case', () => {
    expect(verifyBearer('Bearer s3cret-token', 's3cret-token')).toBe(true);
    expect(verifyBearer('bearer s3cret-token', 's3cret-token')).toBe(true);
  });

  test.each([
    ['a missing header', null],
    ['another token', 'Bearer s3cret-tokem'],
    ['a prefix of the token', 'Bearer s3cret'],
    ['a longer token', 'Bearer s3cret-token-and-more'],
    ['another scheme', 'Basic s3cret-token'],
    ['the bare token', 's3cret-token'],
    ['an empty token', 'Bearer '],
  ])('refuses %s', (_name, header) => {
    expect(verifyBearer(header, 's3cret-token')).toBe(false);
  });

  test('an empty configured token authenticates nothing', () => {
    expect(verifyBearer('Bearer ', '')).toBe(false);
    expect(verifyBearer('Bearer x', '')).toBe(false);
  });
});

describe('verifyGrafanaSignature', () => {
  const body = fixtureText('grafana/firing.json');
  const secret = 'grafana-hmac-secret';
  const signed = (signature: string, extra: Record<string, string> = {}) =>
    new Headers({ 'X-Grafana-Alerting-Signature': signature, ...extra });

  test('accepts the HMAC of the raw body', () => {
    expect(verifyGrafanaSignature(body, signed(hmacHex(secret, body)), secret)).toBe(true);
  });

  test('refuses a wrong secret, a tampered body or a missing header', () => {
    expect(verifyGrafanaSignature(body, signed(hmacHex('other', body)), secret)).toBe(false);
    expect(verifyGrafanaSignature(body.replace('2.4', '0.4'), signed(hmacHex(secret, body)), secret)).toBe(
      false,
    );
    expect(verifyGrafanaSignature(body, new Headers(), secret)).toBe(false);
  });

  test('refuses hex of the wrong length and non-hex', () => {
    const good = hmacHex(secret, body);
    for (const bad of [good.slice(0, 62), `${good}00`, good.slice(0, 32), `${good.slice(0, 63)}z`, '']) {
      expect(verifyGrafanaSignature(body, signed(bad), secret)).toBe(false);
    }
  });

  test('an empty configured secret authenticates nothing', () => {
    expect(verifyGrafanaSignature(body, signed(hmacHex('', body)), '')).toBe(false);
  });

  describe('with a timestamp header', () => {
    const timestampHeader = 'X-Grafana-Alerting-Timestamp';
    const now = new Date('2026-09-10T07:00:30Z');
    const ts = String(Math.floor(now.getTime() / 1000) - 30);
    const opts = { timestampHeader, now };

    test('accepts the HMAC of "<ts>:" + body', () => {
      const headers = signed(hmacHex(secret, `${ts}:${body}`), { [timestampHeader]: ts });
      expect(verifyGrafanaSignature(body, headers, secret, opts)).toBe(true);
    });

    test('refuses the plain body signature, a changed timestamp or a missing one', () => {
      expect(
        verifyGrafanaSignature(body, signed(hmacHex(secret, body), { [timestampHeader]: ts }), secret, opts),
      ).toBe(false);
      const other = String(Number(ts) + 1);
      const moved = signed(hmacHex(secret, `${ts}:${body}`), { [timestampHeader]: other });
      expect(verifyGrafanaSignature(body, moved, secret, opts)).toBe(false);
      expect(verifyGrafanaSignature(body, signed(hmacHex(secret, `${ts}:${body}`)), secret, opts)).toBe(
        false,
      );
    });

    test('refuses a signing time outside the allowed skew', () => {
      const old = String(Number(ts) - 600);
      const headers = signed(hmacHex(secret, `${old}:${body}`), { [timestampHeader]: old });
      expect(verifyGrafanaSignature(body, headers, secret, opts)).toBe(false);
      expect(verifyGrafanaSignature(body, headers, secret, { ...opts, maxSkewS: 900 })).toBe(true);
    });

    test('refuses a timestamp that is not unix seconds', () => {
      const iso = now.toISOString();
      const headers = signed(hmacHex(secret, `${iso}:${body}`), { [timestampHeader]: iso });
      expect(verifyGrafanaSignature(body, headers, secret, opts)).toBe(false);
    });
  });
});

describe('verifyPagerDutySignature', () => {
  const body = fixtureText('pagerduty/incident-triggered.json');
  const secret = 'pd-webhook-secret';

  test('accepts a v1 signature made with the secret', () => {
    expect(verifyPagerDutySignature(body, `v1=${hmacHex(secret, body)}`, [secret])).toBe(true);
  });

  test('refuses a wrong secret, a tampered body and a missing header', () => {
    expect(verifyPagerDutySignature(body, `v1=${hmacHex('other', body)}`, [secret])).toBe(false);
    expect(verifyPagerDutySignature(`${body} `, `v1=${hmacHex(secret, body)}`, [secret])).toBe(false);
    expect(verifyPagerDutySignature(body, null, [secret])).toBe(false);
    expect(verifyPagerDutySignature(body, `v1=${hmacHex(secret, body)}`, [])).toBe(false);
  });

  test('during rotation any v1 value may match any configured secret', () => {
    const header = `v1=${hmacHex('old-secret', body)}, v1=${hmacHex('new-secret', body)}`;
    expect(verifyPagerDutySignature(body, header, ['new-secret'])).toBe(true);
    expect(verifyPagerDutySignature(body, header, ['old-secret'])).toBe(true);
    expect(verifyPagerDutySignature(body, header, ['unrelated', 'new-secret'])).toBe(true);
    expect(verifyPagerDutySignature(body, header, ['unrelated'])).toBe(false);
  });

  test('ignores other signature versions and malformed hex', () => {
    const good = hmacHex(secret, body);
    expect(verifyPagerDutySignature(body, `v2=${good}`, [secret])).toBe(false);
    expect(verifyPagerDutySignature(body, `v1=${good.slice(0, 60)}`, [secret])).toBe(false);
    expect(verifyPagerDutySignature(body, `v1=${good}ab`, [secret])).toBe(false);
    expect(verifyPagerDutySignature(body, `v1=${'g'.repeat(64)},v1=${good}`, [secret])).toBe(true);
  });

  test('an empty configured secret authenticates nothing', () => {
    expect(verifyPagerDutySignature(body, `v1=${hmacHex('', body)}`, [''])).toBe(false);
  });
});
