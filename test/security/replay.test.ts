// Finding 5 of issue 9: without GRAFANA_TIMESTAMP_HEADER a captured signed "resolved" could be sent
// again later and close a firing incident again. A delivery signed without a timestamp is a duplicate
// when its body was accepted in the last 24 h, and a "resolved" older than the alert's latest start is
// ignored with a timeline note, however late it comes.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ManualClock } from '../../src/core/clock.ts';
import { fixtureJson, signedHeaders, WEBHOOK_ENV } from '../support/senders.ts';
import { type TestServer, testServer } from '../support/server.ts';

type Body = ReturnType<typeof fixtureJson> & { alerts: Record<string, unknown>[] };

function grafana(status: 'firing' | 'resolved', startsAt: string, endsAt = '0001-01-01T00:00:00Z'): string {
  const body = fixtureJson('grafana/firing.json') as Body;
  body.status = status;
  body.alerts = body.alerts.map((a) => ({ ...a, status, startsAt, endsAt }));
  return JSON.stringify(body);
}

describe('Grafana signed without a timestamp', () => {
  const clock = new ManualClock(new Date('2026-09-10T07:00:30Z'));
  let srv: TestServer;
  const send = (raw: string) =>
    srv.post<{ incidentId: string; outcome: string }>(
      '/webhooks/grafana',
      raw,
      signedHeaders('grafana', raw),
    );
  const minutes = (n: number) => clock.advance(n * 60_000);

  const firing = grafana('firing', '2026-09-10T07:00:00Z');
  const resolved = grafana('resolved', '2026-09-10T07:00:00Z', '2026-09-10T07:10:00Z');
  const firingAgain = grafana('firing', '2026-09-10T07:14:00Z');
  let incidentId: string;

  beforeAll(async () => {
    srv = await testServer({
      env: { GRAFANA_HMAC_SECRET: WEBHOOK_ENV.GRAFANA_HMAC_SECRET },
      server: { clock },
    });
    const opened = await send(firing);
    expect(opened.body.outcome).toBe('opened');
    incidentId = opened.body.incidentId;
    minutes(10);
    expect((await send(resolved)).body.outcome).toBe('resolved');
  });
  afterAll(async () => {
    await srv?.close();
  });

  const incident = async () => (await srv.incident(incidentId)).incident;

  test('the captured firing sent again within 24 h is a duplicate: nothing reopens, nothing runs', async () => {
    const again = await send(firing);
    expect(again.status).toBe(202);
    expect(again.body).toMatchObject({ incidentId, outcome: 'duplicate' });
    expect((await incident()).status).toBe('resolved');
  });

  test('after a real re-fire, the captured resolved sent again is a duplicate and closes nothing', async () => {
    minutes(4);
    expect((await send(firingAgain)).body).toMatchObject({ incidentId, outcome: 'reopened' });
    const replay = await send(resolved);
    expect(replay.status).toBe(202);
    expect(replay.body).toMatchObject({ incidentId, outcome: 'duplicate' });
    expect((await incident()).status).toBe('firing');
  });

  test('a day later the digest is forgotten, but a resolved older than the re-fire is ignored, with a note', async () => {
    minutes(25 * 60);
    const late = await send(resolved);
    expect(late.status).toBe(202);
    expect(late.body.outcome).not.toBe('resolved');
    expect((await incident()).status).toBe('firing');
    const notes = (await srv.incident(incidentId)).timeline.filter((e) => e.type === 'alert.stale_resolve');
    expect(notes).toHaveLength(1);
    expect(notes[0]?.data).toMatchObject({ alerts: 1 });
    // A resolved of the current firing closes it as usual.
    const real = grafana('resolved', '2026-09-10T07:14:00Z', '2026-09-11T08:00:00Z');
    expect((await send(real)).body).toMatchObject({ incidentId, outcome: 'resolved' });
  });
});
