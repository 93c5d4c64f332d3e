// A commit whose connection drops after the server committed it, before the answer reaches the
// engine: the engine cannot tell that it landed, so it sends the commit again. Its commit id makes the
// second try apply nothing: one attempt row, one journal line, one evidence item per step. The proxy
// lets the statement run to its end on the server (ReadyForQuery, idle: committed), then drops the
// connection instead of passing the answer on.
import { describe, expect, test } from 'vitest';
import { jsonLogger } from '../../src/core/logger.ts';
import { createFirebreak } from '../../src/firebreak.ts';
import { runbook, z } from '../../src/index.ts';
import { onPostgres, testDatabase } from '../support/db.ts';
import { TcpProxy } from '../support/tcp-proxy.ts';

const rb = runbook({
  id: 'lost-answer',
  title: 'Two steps with evidence',
  input: z.object({ i: z.number() }),
})
  .diagnostic('one', async ({ attach }) => {
    attach({ kind: 'text', title: 'first finding', content: 'p99 2.4 s' });
    return { found: 'latency' };
  })
  .diagnostic('two', async ({ steps }) => ({ after: steps.one.found }));

describe.skipIf(!onPostgres)('idempotent commits', () => {
  test('a commit retried after its answer was lost past COMMIT is applied once', async () => {
    await using db = await testDatabase();
    await using proxy = await TcpProxy.start({
      host: '127.0.0.1',
      port: Number(new URL(db.databaseUrl!).port),
    });
    const logs: string[] = [];
    await using fb = await createFirebreak({
      databaseUrl: proxy.urlFor(db.databaseUrl!),
      listenUrl: db.listenUrl,
      poolMode: db.poolMode,
      poolSize: 2,
      runbooks: [rb],
      logger: jsonLogger('warn', {}, (l) => logs.push(l)),
      engine: { pollIntervalMs: 100, heartbeatMs: 200, leaseMs: 5_000 },
    });

    // The group commit that carries step one's success (its attempt, evidence and journal line).
    const dropped = proxy.dropAnswerOnce((bytes) =>
      bytes.includes('"step_key":"one","type":"step.succeeded"'),
    );
    const run = await fb.run('lost-answer', { i: 1 }, { timeoutMs: 30_000 });
    await dropped;

    expect(run.status).toBe('succeeded');
    expect(logs.some((l) => l.includes('commit failed; retrying'))).toBe(true);
    const view = (await fb.view(run.id))!;
    expect(view.attempts.map((a) => [a.stepKey, a.attempt, a.status])).toEqual([
      ['one', 1, 'succeeded'],
      ['two', 1, 'succeeded'],
    ]);
    const journal = view.events.map((e) => `${e.type}${e.stepKey ? `:${e.stepKey}` : ''}`);
    expect(journal.filter((t) => t === 'step.succeeded:one')).toHaveLength(1);
    expect(journal.filter((t) => t === 'step.succeeded:two')).toHaveLength(1);
    expect(journal.filter((t) => t === 'run.succeeded')).toHaveLength(1);
    expect(await fb.store.listEvidence({ runId: run.id })).toHaveLength(1);
  });
});
