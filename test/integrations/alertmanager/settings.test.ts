// The Alertmanager settings: only an http(s) ALERTMANAGER_URL turns silences on (and registers the
// built-in runbook); one way to authenticate; the credentials are redacted and sent as headers only.
import { describe, expect, test } from 'vitest';
import { parseConfig, secretsOf } from '../../../src/config/config.ts';
import { firebreakOptionsOf } from '../../../src/firebreak.ts';
import { alertmanagerClient } from '../../../src/integrations/alertmanager/client.ts';
import { silenceTargetOf } from '../../../src/integrations/alertmanager/request.ts';
import { alertmanagerSettings } from '../../../src/integrations/alertmanager/settings.ts';
import { SILENCE_RUNBOOK_ID } from '../../../src/integrations/alertmanager/silence-runbook.ts';
import { incidentMessage } from '../../../src/integrations/slack/messages.ts';

const URL_ = 'http://alertmanager.monitoring:9093';

describe('Alertmanager settings', () => {
  test('without ALERTMANAGER_URL there are no silences and no built-in runbook', () => {
    const config = parseConfig({});
    expect(alertmanagerSettings(config)).toBeNull();
    expect(firebreakOptionsOf(config).runbooks).toEqual([]);
  });

  test('with it, the built-in runbook is in every process firebreak opens (serve, worker, --local)', () => {
    const config = parseConfig({ ALERTMANAGER_URL: URL_, ALERTMANAGER_SILENCE_GROUPS: 'sre-oncall, leads' });
    expect(firebreakOptionsOf(config).runbooks.map((r) => r.id)).toEqual([SILENCE_RUNBOOK_ID]);
    expect(alertmanagerSettings(config)).toMatchObject({
      endpoint: { url: URL_ },
      groups: ['sre-oncall', 'leads'],
    });
  });

  test('only an http(s) URL; one way to authenticate', () => {
    expect(() => parseConfig({ ALERTMANAGER_URL: 'file:///etc/passwd' })).toThrow(
      /ALERTMANAGER_URL: must be an http\(s\) URL/,
    );
    expect(() => parseConfig({ ALERTMANAGER_URL: URL_, ALERTMANAGER_API_USER: 'firebreak' })).toThrow(
      /ALERTMANAGER_API_PASSWORD: set with ALERTMANAGER_API_USER/,
    );
    expect(() =>
      parseConfig({
        ALERTMANAGER_URL: URL_,
        ALERTMANAGER_API_TOKEN: 'token-1234567',
        ALERTMANAGER_API_USER: 'firebreak',
        ALERTMANAGER_API_PASSWORD: 'password-123',
      }),
    ).toThrow(/ALERTMANAGER_API_TOKEN: set a token or a user and password, not both/);
  });

  test('the token and the password are redacted secrets, and travel as headers only', async () => {
    const bearer = parseConfig({ ALERTMANAGER_URL: URL_, ALERTMANAGER_API_TOKEN: 'am-bearer-token-1' });
    const basic = parseConfig({
      ALERTMANAGER_URL: URL_,
      ALERTMANAGER_API_USER: 'firebreak',
      ALERTMANAGER_API_PASSWORD: 'am-basic-password-1',
    });
    expect(secretsOf(bearer)).toContain('am-bearer-token-1');
    expect(secretsOf(basic)).toContain('am-basic-password-1');
    const seen: { url: string; auth: string | null }[] = [];
    const http = async (url: string | URL, init?: RequestInit) => {
      seen.push({ url: String(url), auth: new Headers(init?.headers).get('authorization') });
      return new Response('[]', { headers: { 'content-type': 'application/json' } });
    };
    await alertmanagerClient(http, alertmanagerSettings(bearer)!.endpoint).listSilences();
    await alertmanagerClient(http, alertmanagerSettings(basic)!.endpoint).listSilences();
    expect(seen).toEqual([
      { url: `${URL_}/api/v2/silences`, auth: 'Bearer am-bearer-token-1' },
      {
        url: `${URL_}/api/v2/silences`,
        auth: `Basic ${Buffer.from('firebreak:am-basic-password-1').toString('base64')}`,
      },
    ]);
  });
});

describe('the Slack incident message', () => {
  const incident = {
    id: '01a23d18-0000-7000-8000-000000000001',
    source: 'alertmanager',
    groupKey: '{}:{alertname="HighErrorRate"}',
    status: 'firing' as const,
    title: 'HighErrorRate',
    severity: 'critical',
    labels: {},
    drill: false,
    startedAt: null,
    openedAt: new Date('2026-01-01T00:00:00Z'),
    acknowledgedAt: null,
    resolvedAt: null,
    lastNotifiedAt: new Date('2026-01-01T00:00:00Z'),
    reopenedCount: 0,
  };
  const button = (body: { blocks?: unknown[] }) =>
    JSON.stringify(body.blocks ?? []).includes(`"action_id":"silence_alert","text"`);

  test('has "Silence for 1h" only with silences on, for a firing, real Alertmanager incident', () => {
    expect(button(incidentMessage(incident, { silence: true }))).toBe(true);
    expect(JSON.stringify(incidentMessage(incident, { silence: true }).blocks)).toContain(
      `"value":"${incident.id}"`,
    );
    expect(button(incidentMessage(incident))).toBe(false);
    expect(button(incidentMessage({ ...incident, status: 'resolved' }, { silence: true }))).toBe(false);
    expect(button(incidentMessage({ ...incident, drill: true }, { silence: true }))).toBe(false);
    expect(button(incidentMessage({ ...incident, source: 'grafana' }, { silence: true }))).toBe(false);
  });
});

describe('what a silence of an incident would match', () => {
  const firing = [
    { status: 'firing', labels: { alertname: 'HighErrorRate', service: 'checkout', instance: 'a' } },
    { status: 'firing', labels: { alertname: 'HighErrorRate', service: 'checkout', instance: 'b' } },
  ];
  const incident = { id: 'i-1', source: 'alertmanager' as const, status: 'firing' as const };

  test('the labels the firing alerts share; none for a drill, nor for alertname alone', () => {
    expect(silenceTargetOf(true, incident, firing)).toEqual({
      labels: { alertname: 'HighErrorRate', service: 'checkout' },
    });
    expect(silenceTargetOf(true, { ...incident, drill: true }, firing)).toEqual({
      refusal: expect.stringContaining('drill'),
    });
    const sparse = [firing[0]!, { status: 'firing', labels: { alertname: 'HighErrorRate' } }];
    expect(silenceTargetOf(true, incident, sparse)).toEqual({
      refusal: expect.stringContaining('share only their alertname'),
    });
  });
});
