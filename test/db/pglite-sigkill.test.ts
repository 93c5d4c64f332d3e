// PGlite keeps what it acknowledged: `firebreak serve` is SIGKILLed in the middle of ingesting webhooks
// 20 times in a row on one data directory; every restart succeeds (the lock of the killed process is
// taken over, the database opens) and every alert that got its 202 is there. Seen on main: after two
// processes had used one directory, every start failed with `RuntimeError: Aborted()`.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { startServe } from '../support/child.ts';
import { onPostgres } from '../support/db.ts';
import { fixtureJson } from '../support/senders.ts';

const KILLS = 20;
const SENDERS = 4;
// Runbooks without triggers: alerts open incidents and start nothing, so the kill lands in ingest.
const RUNBOOKS = fileURLToPath(new URL('../fixtures/runbooks-cli', import.meta.url));

function alert(groupKey: string): string {
  const base = fixtureJson('alertmanager/v0.25-single-alert.json');
  const [a] = base.alerts as Record<string, unknown>[];
  const labels = { alertname: 'Durability', group: groupKey };
  return JSON.stringify({
    ...base,
    groupKey,
    commonLabels: labels,
    groupLabels: labels,
    alerts: [{ ...a, labels, fingerprint: `fp-${groupKey}` }],
  });
}

describe.skipIf(onPostgres)('PGlite under SIGKILL', () => {
  test(`${KILLS} kills in the middle of ingest: every restart succeeds, every acknowledged alert is there`, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'firebreak-sigkill-'));
    const acknowledged = new Set<string>();
    let sent = 0;
    try {
      for (let round = 0; round <= KILLS; round++) {
        const serve = await startServe({ FIREBREAK_DATA_DIR: dir, RUNBOOKS_DIR: RUNBOOKS });
        try {
          const res = await fetch(`${serve.url}/api/incidents?limit=1000`);
          expect(res.status).toBe(200);
          const { incidents } = (await res.json()) as { incidents: { groupKey: string }[] };
          const stored = new Set(incidents.map((i) => i.groupKey));
          const lost = [...acknowledged].filter((k) => !stored.has(k));
          expect(lost, `round ${round}: acknowledged alerts missing after the restart`).toEqual([]);
          if (round === KILLS) break;

          // Senders post one alert group after another; when one of them has seen enough acknowledgements
          // the process is killed, with the other senders' requests in flight.
          const killAfter = acknowledged.size + 2 + (round % 5);
          let stop = false;
          const senders = Array.from({ length: SENDERS }, async () => {
            while (!stop) {
              const groupKey = `round-${round}-${sent++}`;
              try {
                const r = await fetch(`${serve.url}/webhooks/alertmanager`, {
                  method: 'POST',
                  headers: { 'content-type': 'application/json' },
                  body: alert(groupKey),
                });
                if (r.status === 202) acknowledged.add(groupKey);
              } catch {
                return; // the connection died with the process: not acknowledged
              }
              if (acknowledged.size >= killAfter) return;
            }
          });
          await Promise.race(senders);
          await serve.child.kill('SIGKILL');
          stop = true;
          await Promise.allSettled(senders);
        } finally {
          await serve.child.kill('SIGKILL');
        }
      }
      expect(acknowledged.size).toBeGreaterThanOrEqual(KILLS * 2);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    // 21 starts of a real server process: about 3 s each on a quiet machine.
  }, 600_000);
});
