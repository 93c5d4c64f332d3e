// The CLI as an operator uses it: exit codes and what it prints, on the test database.
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { main } from '../../src/cli/main.ts';
import { createFirebreak } from '../../src/firebreak.ts';
import { testDatabase } from '../support/db.ts';

const RUNBOOKS = fileURLToPath(new URL('../fixtures/runbooks-cli', import.meta.url));
const EXAMPLES = fileURLToPath(new URL('../../runbooks', import.meta.url));

async function cli(argv: string[], env: Record<string, string | undefined>) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(
    argv,
    { out: (l) => out.push(l), err: (l) => err.push(l) },
    { LOG_LEVEL: 'silent', ...env },
  );
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('firebreak CLI', () => {
  test('run --follow prints each step and exits 0 only when the run succeeded', async () => {
    await using db = await testDatabase({ durable: true });
    const env = { DATABASE_URL: db.databaseUrl, FIREBREAK_DATA_DIR: db.dataDir };
    const ok = await cli(['run', 'hello', '--input', '{"name":"ops"}', '--follow'], {
      ...env,
      RUNBOOKS_DIR: EXAMPLES,
    });
    expect(ok.code).toBe(0);
    expect(ok.out).toMatch(/✓ greet[\s\S]*✓ summary[\s\S]*succeeded in \d+ ms/);

    const bad = await cli(['run', 'broken', '--follow'], { ...env, RUNBOOKS_DIR: RUNBOOKS });
    expect(bad.code).toBe(1);
    expect(bad.out).toContain('✗ boom');
    expect(bad.out).toContain('the thing is broken');

    const invalid = await cli(['run', 'hello', '--input', '{"name":42}'], { ...env, RUNBOOKS_DIR: EXAMPLES });
    expect(invalid.code).toBe(1);
    expect(invalid.err).toContain('name');
  });

  test('runbooks validate / list / graph', async () => {
    const v = await cli(['runbooks', 'validate'], { RUNBOOKS_DIR: EXAMPLES });
    expect(v.code).toBe(0);
    expect(v.out).toMatch(/\d+ valid, 0 invalid/);
    const g = await cli(['runbooks', 'graph', 'hello'], { RUNBOOKS_DIR: EXAMPLES });
    expect(g.out).toContain('flowchart TD');
    expect(g.out).toContain('greet --> summary');
  });

  test('approve and reject decide a gate under its policy, with the reason a rejection needs', async () => {
    await using db = await testDatabase({ durable: true });
    const env = { DATABASE_URL: db.databaseUrl, FIREBREAK_DATA_DIR: db.dataDir, RUNBOOKS_DIR: RUNBOOKS };
    const gatedRun = async () => {
      const fb = await createFirebreak({
        databaseUrl: db.databaseUrl,
        dataDir: db.dataDir,
        runbooksDir: RUNBOOKS,
      });
      const parked = fb.engine.events.waitFor('run.parked');
      const { runId } = await fb.start('gated', {});
      await parked;
      const [approval] = await fb.store.listApprovals({ runId });
      await fb.close();
      return { runId, approvalId: approval!.id };
    };

    const first = await gatedRun();
    const stranger = await cli(['approve', first.approvalId, '--as', 'mallory'], env);
    expect(stranger.code).toBe(1);
    expect(stranger.err).toContain('mallory is not an approver');
    const approved = await cli(['approve', first.approvalId, '--as', 'alice'], env);
    expect(approved).toMatchObject({ code: 0 });
    expect(approved.out).toContain('approved');
    const again = await cli(['approve', first.approvalId, '--as', 'bob'], env);
    expect(again.code).toBe(1);
    expect(again.err).toContain('already approved by alice via cli');

    const second = await gatedRun();
    const noReason = await cli(['reject', second.approvalId, '--as', 'bob'], env);
    expect(noReason.code).toBe(1);
    expect(noReason.err).toContain('a rejection needs a reason');
    expect(
      (await cli(['reject', second.approvalId, '--as', 'bob', '--reason', 'not at night'], env)).code,
    ).toBe(0);

    // A worker picks both runs up: the approved one finishes, the rejected one fails at its gate.
    const fb = await createFirebreak({
      databaseUrl: db.databaseUrl,
      dataDir: db.dataDir,
      runbooksDir: RUNBOOKS,
    });
    try {
      expect((await fb.result(first.runId)).status).toBe('succeeded');
      expect((await fb.result(second.runId)).status).toBe('failed');
    } finally {
      await fb.close();
    }
  });
});
