// Reading the journal and the evidence back: by run, by incident, and paging through events.
import { randomUUID } from 'node:crypto';
import { expect, test } from 'vitest';
import type { EvidenceWrite, Store } from '../../../src/store/store.ts';
import { at, type Backend, heldRun } from './support.ts';

function evidence(title: string, ms: number): EvidenceWrite {
  return {
    id: randomUUID(),
    stepKey: 'a',
    attempt: 1,
    kind: 'text',
    title,
    content: title,
    contentHash: `hash-${title}`,
    createdAt: at(ms),
  };
}

async function incidentWithTwoRuns(store: Store) {
  const incidentId = randomUUID();
  const otherIncident = randomUUID();
  const r1 = await heldRun(store, 'journalist', { incidentId });
  const r2 = await heldRun(store, 'journalist', { incidentId });
  const elsewhere = await heldRun(store, 'journalist', { incidentId: otherIncident });
  const runs = [
    { run: r1, name: 'r1', incident: incidentId, ms: 20 },
    { run: r2, name: 'r2', incident: incidentId, ms: 10 },
    { run: elsewhere, name: 'elsewhere', incident: otherIncident, ms: 10 },
  ];
  for (const { run, name, incident, ms } of runs) {
    await store.commit(run.lease, {
      runId: run.id,
      incidentId: incident,
      events: [
        { type: `${name}.one`, at: at(1) },
        { type: `${name}.two`, at: at(2) },
      ],
      evidence: [evidence(`${name}-evidence`, ms)],
    });
  }
  return { incidentId, r1, r2, elsewhere };
}

export function journalContract(b: Backend): void {
  test('listEvents by run and by incident, in journal order', async () => {
    const store = b.shared();
    const { incidentId, r1 } = await incidentWithTwoRuns(store);
    expect((await store.listEvents({ runId: r1.id })).map((e) => e.type)).toEqual([
      'run.created',
      'r1.one',
      'r1.two',
    ]);
    const byIncident = await store.listEvents({ incidentId });
    expect(byIncident.map((e) => e.type)).toEqual([
      'run.created',
      'run.created',
      'r1.one',
      'r1.two',
      'r2.one',
      'r2.two',
    ]);
    expect(byIncident.every((e) => e.incidentId === incidentId)).toBe(true);
  });

  test('listEvents pages with afterSeq and limit', async () => {
    const store = b.shared();
    const { r1 } = await incidentWithTwoRuns(store);
    const all = await store.listEvents({ runId: r1.id });
    expect(await store.listEvents({ runId: r1.id, limit: 2 })).toEqual(all.slice(0, 2));
    expect(await store.listEvents({ runId: r1.id, afterSeq: all[1]!.seq })).toEqual(all.slice(2));
    expect(await store.listEvents({ runId: r1.id, afterSeq: all[2]!.seq })).toEqual([]);
  });

  test('listEvidence by run and by incident, oldest first', async () => {
    const store = b.shared();
    const { incidentId, r1, elsewhere } = await incidentWithTwoRuns(store);
    expect((await store.listEvidence({ runId: r1.id })).map((e) => e.title)).toEqual(['r1-evidence']);
    expect((await store.listEvidence({ incidentId })).map((e) => [e.title, e.incidentId])).toEqual([
      ['r2-evidence', incidentId],
      ['r1-evidence', incidentId],
    ]);
    expect((await store.listEvidence({ runId: elsewhere.id })).map((e) => e.title)).toEqual([
      'elsewhere-evidence',
    ]);
  });

  test('evidenceTitles: the titles of one step, oldest first, and no other step', async () => {
    const store = b.shared();
    const run = await heldRun(store, 'titles');
    await store.commit(run.lease, {
      runId: run.id,
      incidentId: null,
      evidence: [
        evidence('second', 2_000),
        { ...evidence('other step', 500), stepKey: 'b' },
        evidence('first', 1_000),
      ],
    });
    expect(await store.evidenceTitles(run.id, 'a')).toEqual(['first', 'second']);
    expect(await store.evidenceTitles(run.id, 'b')).toEqual(['other step']);
    expect(await store.evidenceTitles(run.id, 'c')).toEqual([]);
    expect(await store.evidenceTitles('not-a-uuid', 'a')).toEqual([]);
  });
}
