import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { buildPostmortem, postmortemMarkdown } from '../../src/services/postmortem/draft.ts';
import { journalFixture } from '../fixtures/postmortem/journal.ts';
import { testServer } from '../support/server.ts';
import { until } from '../support/until.ts';

const fixture = (name: string) =>
  readFileSync(new URL(`../fixtures/alertmanager/${name}`, import.meta.url), 'utf8');
const GOLDEN = new URL('../fixtures/postmortem/golden.md', import.meta.url);

describe('postmortem drafts', () => {
  test('the same journal gives the same Markdown, byte for byte (golden file)', () => {
    const input = journalFixture();
    const md = postmortemMarkdown(buildPostmortem(input), input.evidence);
    if (process.env.UPDATE_GOLDEN === '1') {
      // Regenerate deliberately: UPDATE_GOLDEN=1 npx vitest run test/incidents/postmortem.test.ts
      writeFileSync(GOLDEN, md);
    }
    expect(md).toBe(readFileSync(GOLDEN, 'utf8'));
    expect(postmortemMarkdown(buildPostmortem(journalFixture()), input.evidence)).toBe(md);
  });

  test('a resolved Alertmanager incident has a draft an SRE would keep; edits survive regeneration unless forced', async () => {
    await using s = await testServer();
    const opened = await s.post<{ incidentId: string; runIds: string[] }>(
      '/webhooks/alertmanager',
      fixture('firing-two-alerts.json'),
    );
    expect(opened.status).toBe(202);
    const { incidentId, runIds } = opened.body;
    await s.finalRun(runIds[0]!);
    expect((await s.post('/webhooks/alertmanager', fixture('resolved.json'))).body).toMatchObject({
      outcome: 'resolved',
    });

    // Written when the incident resolved.
    await until(async () => {
      const rows = await s.fb.store.driver.query('select 1 from postmortems where incident_id = $1', [
        incidentId,
      ]);
      return rows.length > 0 ? true : null;
    });
    const first = await s.get(`/api/incidents/${incidentId}/postmortem`);
    expect(first.status).toBe(200);
    expect(first.headers.get('content-type')).toContain('text/markdown');
    for (const heading of [
      '# Postmortem: ',
      '## Summary',
      '## Key times',
      '## Timeline',
      '## Diagnostic findings',
      '## Mitigations',
      '## Evidence',
      '## What went well',
      '## What did not go well',
      '## Action items',
    ]) {
      expect(first.text).toContain(heading);
    }
    expect(first.text).toContain('incident.resolved');
    expect(first.text).toContain('error ratio of checkout');
    expect(first.text).toMatch(
      /\| time to detect \| \d[^|]* \| the alert started → firebreak received it \|/,
    );
    // Rebuilt from the journal: same bytes again.
    expect((await s.get(`/api/incidents/${incidentId}/postmortem`)).text).toBe(first.text);

    const json = await s.get<{ incidentId: string; times: { resolveMs: number | null }; edited: unknown }>(
      `/api/incidents/${incidentId}/postmortem?format=json`,
    );
    expect(json.body).toMatchObject({ incidentId, edited: null });
    expect(json.body.times.resolveMs).toBeGreaterThanOrEqual(0);

    const edited = '# Postmortem: checkout 5xx\n\nWritten by a human.\n';
    expect(
      (
        await s.request('PUT', `/api/incidents/${incidentId}/postmortem`, edited, {
          'content-type': 'text/markdown',
        })
      ).status,
    ).toBe(200);
    expect((await s.get(`/api/incidents/${incidentId}/postmortem`)).text).toBe(edited);
    await s.post(`/api/incidents/${incidentId}/postmortem/regenerate`);
    expect((await s.get(`/api/incidents/${incidentId}/postmortem`)).text).toBe(edited);
    await s.post(`/api/incidents/${incidentId}/postmortem/regenerate?force=true`);
    expect((await s.get(`/api/incidents/${incidentId}/postmortem`)).text).toBe(first.text);
  });
});
