// The Grafana annotations client against the fake, and the fake against requests in other layouts.
import { describe, expect, test } from 'vitest';
import { grafanaClient } from '../../src/integrations/index.ts';
import { fakeGrafana } from '../support/fake-grafana.ts';

const TOKEN = 'glsa_sa-token-7Qm2xV4p';

describe('Grafana client', () => {
  test('posts an annotation, turns it into a region, finds it by its dashboard or (organization annotations) by tags', async () => {
    await using g = await fakeGrafana({ token: TOKEN });
    const client = grafanaClient({ fetch, url: g.url, token: TOKEN });
    const id = await client.annotate({
      time: 1_000,
      tags: ['firebreak', 'mitigation'],
      text: 'applied',
      dashboardUID: 'abc',
      panelId: 2,
    });
    await client.patch(id, { timeEnd: 5_000 });
    expect(g.annotations).toEqual([
      {
        id,
        time: 1_000,
        timeEnd: 5_000,
        tags: ['firebreak', 'mitigation'],
        text: 'applied',
        dashboardUID: 'abc',
        panelId: 2,
      },
    ]);
    // A dashboard's annotation is found by its dashboard; tags find organization annotations only.
    expect((await client.find({ from: 0, to: 2_000, dashboardUID: 'abc' })).map((a) => a.id)).toEqual([id]);
    expect(await client.find({ from: 0, to: 2_000, tags: ['firebreak'] })).toEqual([]);
    const org = await client.annotate({ time: 1_500, tags: ['firebreak'], text: 'opened' });
    expect((await client.find({ from: 0, to: 2_000, tags: ['firebreak'] })).map((a) => a.id)).toEqual([org]);
    expect(await client.find({ from: 1_600, to: 2_000, tags: ['firebreak'] })).toEqual([]);
    const missing = await client.patch(999, { timeEnd: 1 }).catch((e: unknown) => e);
    expect(missing).toMatchObject({ status: 404, nonRetryable: true });
  });
});

describe('the fake Grafana refuses what Grafana refuses', () => {
  const headers = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };
  const good = { time: 1_000, tags: ['a'], text: 'x' };
  const cases: [string, Record<string, string>, unknown, number][] = [
    ['no Authorization', { 'content-type': 'application/json' }, good, 401],
    ['a Basic Authorization', { ...headers, authorization: 'Basic YWRtaW46YWRtaW4=' }, good, 401],
    ['a wrong token', { ...headers, authorization: 'Bearer nope-nope-nope' }, good, 401],
    ['time as an ISO string', headers, { ...good, time: '2026-12-03T18:00:00Z' }, 400],
    ['tags as a string', headers, { ...good, tags: 'a,b' }, 400],
    ['no text', headers, { time: 1_000, tags: ['a'] }, 400],
    ['panelId as a string', headers, { ...good, panelId: '2' }, 400],
    ['a text/plain body', { ...headers, 'content-type': 'text/plain' }, good, 400],
  ];
  for (const [name, h, body, status] of cases) {
    test(`POST /api/annotations with ${name}: ${status}`, async () => {
      await using g = await fakeGrafana({ token: TOKEN });
      const res = await fetch(`${g.url}/api/annotations`, {
        method: 'POST',
        headers: h,
        body: JSON.stringify(body),
      });
      expect(res.status).toBe(status);
      expect(await res.json()).toHaveProperty('message');
      expect(g.annotations).toEqual([]);
    });
  }
});
