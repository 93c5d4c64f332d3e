import { inputFromAlert, stubHttp, testRunbook } from 'firebreak/testing';
import { beforeAll, describe, expect, test, vi } from 'vitest';
import { pageTriage } from '../../runbooks/page-triage.ts';
import { vector } from './fixtures.ts';

const FROM = 'firebreak-bot@acme.example';
const KEY = 'pd-api-key-y_Nbg3K9';
const env = { PAGERDUTY_API_TOKEN: KEY };
/** What a PagerDuty webhook makes of a page (src/ingest/sources/pagerduty.ts). */
const alert = {
  labels: { service: 'payments-api', service_id: 'PF9KMXH', priority: 'P1', urgency: 'high' },
  annotations: { summary: 'Payments API 5xx', incident_id: 'PGR0VU2' },
};
const NOTES = '/incidents/PGR0VU2/notes';

beforeAll(() => {
  vi.stubEnv('PAGERDUTY_FROM_EMAIL', FROM);
});

function services(existing: { id: string; content: string }[] = []) {
  return stubHttp({
    'GET /api/v1/query': (req) =>
      vector(String(req.query.query).includes('histogram_quantile') ? 0.84 : 0.071),
    [`GET ${NOTES}`]: { json: { notes: existing } },
    [`POST ${NOTES}`]: (req) => ({
      status: 201,
      json: { note: { id: 'PWL7QX1', content: (req.json as { note: { content: string } }).note.content } },
    }),
  });
}

describe('page-triage runbook', () => {
  test('its input comes from the page (the incident id is an annotation)', () => {
    expect(inputFromAlert(pageTriage, alert)).toMatchObject({ page: 'PGR0VU2', service: 'payments-api' });
  });

  test('writes the 5xx ratio and p99 into the page as a note, in the layout PagerDuty documents', async () => {
    const http = services();
    await using t = await testRunbook(pageTriage, { alert, http, env });
    expect((await t.finish()).status).toBe('succeeded');
    const [post] = http.find('POST', NOTES);
    expect(post!.json).toEqual({
      note: { content: 'firebreak findings for payments-api: 5xx ratio 7.1% over 5m, p99 latency 840 ms.' },
    });
    expect(post!.headers).toMatchObject({
      authorization: `Token token=${KEY}`,
      from: FROM,
      accept: 'application/vnd.pagerduty+json;version=2',
      'content-type': 'application/json',
    });
    expect(await t.output('noteFindings')).toEqual({
      content: (post!.json as { note: { content: string } }).note.content,
      noteId: 'PWL7QX1',
      dryRun: false,
    });
    expect(http.unmatched()).toEqual([]);
  });

  test('a note that already landed (a retried attempt) is not written again', async () => {
    const content = 'firebreak findings for payments-api: 5xx ratio 7.1% over 5m, p99 latency 840 ms.';
    const http = services([{ id: 'PWL7QX0', content }]);
    await using t = await testRunbook(pageTriage, { alert, http, env });
    expect((await t.finish()).status).toBe('succeeded');
    expect(http.find('POST', NOTES)).toEqual([]);
    expect(await t.output('noteFindings')).toMatchObject({ noteId: 'PWL7QX0' });
  });

  test('PagerDuty throttling (429 with Retry-After) is retried by the step; a 400 is not', async () => {
    const http = services();
    http.on({
      [`POST ${NOTES}`]: [
        { status: 429, headers: { 'retry-after': '2' }, json: { error: { message: 'Rate Limit Exceeded' } } },
        { status: 201, json: { note: { id: 'PWL7QX2', content: 'x' } } },
      ],
    });
    await using t = await testRunbook(pageTriage, { alert, http, env });
    expect((await t.finish()).status).toBe('succeeded');
    expect(http.find('POST', NOTES)).toHaveLength(2);

    const refused = services();
    refused.on({
      [`POST ${NOTES}`]: {
        status: 400,
        json: { error: { message: 'Invalid Input Provided', errors: ['Requester User Not Found'] } },
      },
    });
    await using u = await testRunbook(pageTriage, { alert, http: refused, env });
    expect((await u.finish()).status).toBe('failed');
    expect(refused.find('POST', NOTES)).toHaveLength(1);
    expect((await u.step('noteFindings')).error?.message).toContain('Requester User Not Found');
  });

  test('the API key never reaches a step output, error or log', async () => {
    const http = services();
    http.on({ [`POST ${NOTES}`]: { status: 400, json: { error: { message: `bad key ${KEY}` } } } });
    await using t = await testRunbook(pageTriage, { alert, http, env });
    await t.finish();
    const dump = JSON.stringify(await t.firebreak.view(t.runId));
    expect(dump).toContain('[REDACTED]');
    expect(dump).not.toContain(KEY);
  });

  test('dry run (the drill): measures, writes nothing', async () => {
    const http = services();
    await using t = await testRunbook(pageTriage, { gameDay: 'monday-drill', http, env });
    expect((await t.finish()).status).toBe('succeeded');
    expect(http.mutations()).toEqual([]);
    expect(await t.output('noteFindings')).toMatchObject({ dryRun: true, noteId: null });
  });
});
