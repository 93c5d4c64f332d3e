// `firebreak export` as an operator runs it before retention: JSON lines on stdout, one journal event
// each, a count on stderr, and a clear refusal of times it cannot read.
import { expect, test } from 'vitest';
import { main } from '../../src/cli/main.ts';
import { createFirebreak } from '../../src/firebreak.ts';
import { runbook, z } from '../../src/index.ts';
import { testDatabase } from '../support/db.ts';

const rb = runbook({ id: 'to-export', title: 'One step', input: z.object({}) }).diagnostic(
  'one',
  async () => ({
    ok: true,
  }),
);

async function cli(argv: string[], env: Record<string, string | undefined>) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(
    argv,
    { out: (l) => out.push(l), err: (l) => err.push(l) },
    { LOG_LEVEL: 'silent', ...env },
  );
  return { code, out, err: err.join('\n') };
}

test('export --since 1d prints the journal as JSON lines; --audit keeps the audit trail only', async () => {
  await using db = await testDatabase({ durable: true });
  const fb = await createFirebreak({ databaseUrl: db.databaseUrl, dataDir: db.dataDir, runbooks: [rb] });
  const run = await fb.run('to-export', {}, { timeoutMs: 30_000 });
  await fb.close();
  const env = { DATABASE_URL: db.databaseUrl, FIREBREAK_DATA_DIR: db.dataDir };

  const all = await cli(['export', '--since', '1d'], env);
  expect(all.code).toBe(0);
  const lines = all.out.map(
    (l) => JSON.parse(l) as { seq: number; type: string; runId: string; runbookId: string },
  );
  expect(lines.map((l) => l.type)).toEqual([
    'run.created',
    'step.started',
    'step.succeeded',
    'run.succeeded',
  ]);
  expect(lines.every((l) => l.runId === run.id && l.runbookId === 'to-export')).toBe(true);
  expect(lines.map((l) => l.seq)).toEqual([...lines.map((l) => l.seq)].sort((a, b) => a - b));
  expect(all.err).toMatch(/^exported 4 journal events from /);

  const audit = await cli(['export', '--since', '2020-01-01', '--audit'], env);
  expect(audit.code).toBe(0);
  expect(audit.out).toEqual([]);

  const bad = await cli(['export', '--since', 'last tuesday'], env);
  expect(bad.code).toBe(2); // a usage error (README, exit codes)
  expect(bad.err).toContain('--since last tuesday: not an ISO time nor an age such as 90d');
  expect((await cli(['export'], env)).err).toContain('export needs --since');
});
