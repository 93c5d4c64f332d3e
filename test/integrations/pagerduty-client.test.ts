// The PagerDuty client against the fake, and the fake against requests in other layouts: it must refuse
// them as PagerDuty does, or the write-back tests could pass against a fake that accepts anything.
import { describe, expect, test } from 'vitest';
import { ApiError, pagerDutyClient } from '../../src/integrations/index.ts';
import { fakePagerDuty, PD_ACCEPT } from '../support/fake-pagerduty.ts';

const TOKEN = 'pd-api-key-y_Nbg3K9';
const FROM = 'firebreak-bot@acme.example';

async function setup() {
  const pd = await fakePagerDuty({ token: TOKEN, users: [FROM] });
  pd.addIncident('PGR0VU2');
  return pd;
}

describe('PagerDuty client', () => {
  test('acknowledges, adds and lists notes, resolves', async () => {
    await using pd = await setup();
    const client = pagerDutyClient({ fetch, token: TOKEN, from: FROM, apiUrl: pd.url });
    await client.acknowledge('PGR0VU2');
    const note = await client.addNote('PGR0VU2', 'firebreak: looking');
    expect(note).toMatchObject({ id: expect.stringMatching(/^P/), content: 'firebreak: looking' });
    expect((await client.listNotes('PGR0VU2')).map((n) => n.content)).toEqual(['firebreak: looking']);
    await client.resolve('PGR0VU2', 'fixed');
    expect(pd.writes('PGR0VU2')).toEqual(['acknowledged', 'note: firebreak: looking', 'resolved']);
    expect(pd.requests.at(-1)!.json).toEqual({
      incident: { type: 'incident_reference', status: 'resolved', resolution: 'fixed' },
    });
  });

  test('errors carry retryability: 4xx stops, 429 waits for Retry-After, 5xx retries', async () => {
    await using pd = await setup();
    const client = pagerDutyClient({ fetch, token: TOKEN, from: 'nobody@acme.example', apiUrl: pd.url });
    const refused = await client.acknowledge('PGR0VU2').catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ApiError);
    expect(refused).toMatchObject({ status: 400, nonRetryable: true });
    expect((refused as Error).message).toContain('Requester User Not Found');
    pd.failNext(1, { status: 429, retryAfterS: 7 });
    expect(await client.listNotes('PGR0VU2').catch((e: unknown) => e)).toMatchObject({
      status: 429,
      nonRetryable: false,
      nextRetryDelayMs: 7000,
    });
    pd.failNext(1, { status: 503 });
    expect(await client.listNotes('PGR0VU2').catch((e: unknown) => e)).toMatchObject({
      status: 503,
      nonRetryable: false,
    });
    const unknown = await client.listNotes('PNOPE').catch((e: unknown) => e);
    expect(unknown).toMatchObject({ status: 404, nonRetryable: true });
  });
});

describe('the fake PagerDuty refuses what PagerDuty refuses', () => {
  const good = {
    authorization: `Token token=${TOKEN}`,
    accept: PD_ACCEPT,
    'content-type': 'application/json',
    from: FROM,
  };
  const ack = JSON.stringify({ incident: { type: 'incident_reference', status: 'acknowledged' } });
  const cases: [string, Record<string, string | undefined>, string, number, string][] = [
    ['no Authorization', { authorization: undefined }, ack, 401, 'Unauthorized'],
    ['a Bearer token', { authorization: `Bearer ${TOKEN}` }, ack, 401, 'Unauthorized'],
    ['a wrong token', { authorization: 'Token token=nope-nope-nope' }, ack, 401, 'Unauthorized'],
    ['no versioned Accept', { accept: 'application/json' }, ack, 400, 'Accept'],
    ['no From', { from: undefined }, ack, 400, 'From header is required'],
    ['a From of no user', { from: 'x@y.example' }, ack, 400, 'Requester User Not Found'],
    ['a form body', { 'content-type': 'application/x-www-form-urlencoded' }, ack, 400, 'Content-Type'],
    ['status at the top level', {}, JSON.stringify({ status: 'acknowledged' }), 400, 'incident is required'],
    [
      'a bad status',
      {},
      JSON.stringify({ incident: { type: 'incident_reference', status: 'done' } }),
      400,
      'status',
    ],
    [
      'a bad type',
      {},
      JSON.stringify({ incident: { type: 'incident_ref', status: 'acknowledged' } }),
      400,
      'type',
    ],
  ];
  for (const [name, change, body, status, message] of cases) {
    test(`PUT /incidents/{id} with ${name}: ${status}`, async () => {
      await using pd = await setup();
      const headers = Object.fromEntries(
        Object.entries({ ...good, ...change }).filter((e): e is [string, string] => e[1] !== undefined),
      );
      const res = await fetch(`${pd.url}/incidents/PGR0VU2`, { method: 'PUT', headers, body });
      expect(res.status).toBe(status);
      expect(JSON.stringify(await res.json())).toContain(message);
      expect(pd.writes('PGR0VU2')).toEqual([]);
    });
  }

  test('a note without content, or content outside `note`: 400', async () => {
    await using pd = await setup();
    for (const body of [{ note: { content: '' } }, { content: 'hello' }, { note: 'hello' }]) {
      const res = await fetch(`${pd.url}/incidents/PGR0VU2/notes`, {
        method: 'POST',
        headers: good,
        body: JSON.stringify(body),
      });
      expect(res.status).toBe(400);
    }
    expect(pd.incidents.get('PGR0VU2')!.notes).toEqual([]);
  });
});
