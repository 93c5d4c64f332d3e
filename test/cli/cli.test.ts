// The CLI as an operator uses it, against a real `firebreak serve` process that holds the database: every
// command goes through the HTTP API as the identity of its token. Most commands run in this process
// (main() with FIREBREAK_URL pointing at the server); the ones whose process matters (exit codes, one
// line on stderr, a decision "from another shell") run as `node bin/firebreak.js` processes.
// Seen on main: `reject` printed `rejected` and exited 0 while the server still showed the gate pending,
// `run` executed in its own process and the server never saw the run, and `incidents` read the PGlite
// directory happily while serve had it open.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { main } from '../../src/cli/main.ts';
import { LOCK_FILE } from '../../src/db/data-dir-lock.ts';
import { runCli, type ServeProcess, startServe } from '../support/child.ts';
import { onPostgres, type TestDatabase, testDatabase } from '../support/db.ts';
import { freePort } from '../support/private-postgres.ts';
import { fixtureJson, fixtureRaw } from '../support/senders.ts';
import { until } from '../support/until.ts';

const RUNBOOKS = fileURLToPath(new URL('../fixtures/runbooks-cli', import.meta.url));
const TOKENS = {
  ops: 'ops-operator-token',
  alice: 'alice-approver-token',
  mallory: 'mallory-approver-token',
  viewer: 'viewer-only-token',
};

let db: TestDatabase;
let serve: ServeProcess;
let base: Record<string, string | undefined>;

beforeAll(async () => {
  db = await testDatabase({ durable: true });
  base = { DATABASE_URL: db.databaseUrl, FIREBREAK_DATA_DIR: db.dataDir, RUNBOOKS_DIR: RUNBOOKS };
  serve = await startServe({
    ...base,
    API_TOKENS: `${TOKENS.ops}=operator:ops,${TOKENS.alice}=approver:alice,${TOKENS.mallory}=approver:mallory,${TOKENS.viewer}=viewer:vera`,
  });
});
afterAll(async () => {
  await serve?.stop();
  await db?.drop();
});

/** `firebreak …` in this process, as `who` (a token name), against the server. */
async function cli(
  argv: string[],
  who: keyof typeof TOKENS | null = 'ops',
  env: Record<string, string> = {},
) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(
    argv,
    { out: (l) => out.push(l), err: (l) => err.push(l) },
    {
      LOG_LEVEL: 'silent',
      ...base,
      FIREBREAK_URL: serve.url,
      ...(who ? { FIREBREAK_TOKEN: TOKENS[who] } : {}),
      ...env,
    },
  );
  return { code, out: out.join('\n'), err: err.join('\n') };
}

/** The same, in a process of its own. */
const shell = (argv: string[], who: keyof typeof TOKENS, env: Record<string, string> = {}) =>
  runCli(argv, { ...base, FIREBREAK_URL: serve.url, FIREBREAK_TOKEN: TOKENS[who], ...env });

async function api<T>(path: string, init: RequestInit = {}): Promise<T> {
  const res = await fetch(`${serve.url}${path}`, {
    ...init,
    headers: { authorization: `Bearer ${TOKENS.ops}`, 'content-type': 'application/json', ...init.headers },
  });
  if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

async function gatedRun(): Promise<{ runId: string; approvalId: string }> {
  const started = await cli(['run', 'gated', '--detach']);
  expect(started).toMatchObject({ code: 0, err: '' });
  const runId = started.out.trim();
  const approvalId = await until(async () => {
    const r = await api<{ approvals: { id: string }[] }>(`/api/approvals?run=${runId}&status=pending`);
    return r.approvals[0]?.id ?? null;
  });
  return { runId, approvalId };
}

describe('firebreak CLI against a running server', () => {
  test('approve from another shell: the server sees the decision and the run goes on', async () => {
    const { runId, approvalId } = await gatedRun();
    const listed = await cli(['approvals'], 'viewer');
    expect(listed.code).toBe(0);
    expect(listed.out).toMatch(
      new RegExp(`^${approvalId}\\s+pending\\s+ok\\s+run ${runId.slice(0, 8)}`, 'm'),
    );

    const approved = await shell(['approve', approvalId], 'alice');
    expect(approved.stderr).toBe('');
    expect(approved.code).toBe(0);
    expect(approved.stdout).toBe(`approval ${approvalId}: approved (approve by alice)\n`);
    // The server, not the CLI's process, recorded it (via the API, as alice) and the run finished there.
    const gate = await api<{ approvals: { status: string; decisions: { by: string; via: string }[] }[] }>(
      `/api/approvals?run=${runId}`,
    );
    expect(gate.approvals[0]).toMatchObject({ status: 'approved', decisions: [{ by: 'alice', via: 'api' }] });
    const followed = await cli(['runs', runId, '--follow']);
    expect(followed.code).toBe(0);
    expect(followed.out).toMatch(new RegExp(`run ${runId} succeeded in`));
  });

  test('reject: a reason is required, the gate policy decides who, and the server records it', async () => {
    const { runId, approvalId } = await gatedRun();
    const noReason = await cli(['reject', approvalId], 'alice');
    expect(noReason.code).toBe(2);
    expect(noReason.err).toContain('a rejection needs --reason');

    const stranger = await cli(['reject', approvalId, '--reason', 'no'], 'mallory');
    expect(stranger.code).toBe(1);
    expect(stranger.err).toBe('firebreak reject: mallory is not an approver of this gate');

    const rejected = await shell(['reject', approvalId, '--reason', 'not during the sale'], 'alice');
    expect(rejected).toMatchObject({ code: 0, stderr: '' });
    expect(rejected.stdout).toContain('rejected (reject by alice)');
    const run = await until(async () => {
      const v = await api<{ run: { status: string; failure: { summary: string } } }>(`/api/runs/${runId}`);
      return v.run.status === 'failed' ? v : null;
    });
    expect(run.run.failure.summary).toBe('step ok: approval of ok was rejected: not during the sale');

    const again = await cli(['approve', approvalId], 'alice');
    expect(again.code).toBe(1);
    expect(again.err).toMatch(/already rejected by alice via api/);
    expect((await cli(['approve', '00000000-0000-4000-8000-000000000000'], 'alice')).code).toBe(1);
    expect((await cli(['approve', '--as', 'bob', approvalId], 'alice')).err).toContain('--as is gone');
  });

  test('run --follow prints each step, says why it failed, and exits 1', async () => {
    const port = await freePort();
    const r = await cli([
      'run',
      'refused',
      '--input',
      JSON.stringify({ url: `http://127.0.0.1:${port}/` }),
      '--follow',
    ]);
    expect(r.code).toBe(1);
    const refused = `connect ECONNREFUSED 127.0.0.1:${port}`;
    expect(r.out).toContain(`  ✗ recentDeploy: ${refused} (fetch failed)`);
    expect(r.out).toMatch(/run [0-9a-f-]{36} failed in /);
    expect(r.out).toContain(`  why: step recentDeploy: ${refused} (fetch failed)`);
    const runId = /run ([0-9a-f-]{36}) failed/.exec(r.out)![1]!;
    const shown = await cli(['runs', runId]);
    expect(shown.out).toContain(`why: step recentDeploy: ${refused} (fetch failed)`);
    const listed = await cli(['runs', '--status', 'failed']);
    expect(listed.out).toMatch(
      new RegExp(`^${runId}\\s+failed\\s+refused .*step recentDeploy: ${refused}`, 'm'),
    );

    const ok = await cli(['run', 'drill', '--follow']);
    expect(ok.code).toBe(0);
    expect(ok.out).toMatch(/✓ look[\s\S]*… apply restart[\s\S]*⚑ restart applied[\s\S]*… verify restart/);
    expect(ok.out).not.toMatch(/attempt 2|try 2/);

    const invalid = await cli(['run', 'refused', '--input', '{"url":42}']);
    expect(invalid.code).toBe(1);
    expect(invalid.err).toContain('input for runbook refused is invalid');
    expect(invalid.err).toMatch(/ {2}url: /);
    const json = await cli(['run', 'drill', '--json']);
    expect(JSON.parse(json.out)).toMatchObject({
      runbookId: 'drill',
      status: 'succeeded',
      requestedBy: 'api:ops',
    });
  });

  test('unreachable server, refused token, a role that may not: exit 3 with one line saying which', async () => {
    const port = await freePort();
    const down = await runCli(['incidents'], { FIREBREAK_URL: `http://127.0.0.1:${port}` });
    expect(down.code).toBe(3);
    expect(down.stdout).toBe('');
    expect(down.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(
        new RegExp(
          `^firebreak incidents: cannot reach the firebreak server at http://127.0.0.1:${port}: connect ECONNREFUSED`,
        ),
      ),
    ]);
    const wrong = await cli(['incidents'], null, { FIREBREAK_TOKEN: 'not-a-token-at-all' });
    expect(wrong.code).toBe(3);
    expect(wrong.err).toContain('refused the request (401)');
    expect(wrong.err).toContain('FIREBREAK_TOKEN is not one of its API_TOKENS');
    const none = await cli(['incidents'], null);
    expect(none.code).toBe(3);
    expect(none.err).toContain('set FIREBREAK_TOKEN to one of its API_TOKENS');
    const viewer = await cli(['pause'], 'viewer');
    expect(viewer.code).toBe(3);
    expect(viewer.err).toBe(
      `firebreak pause: the server at ${serve.url} refused the token (403): vera (viewer) may not operate; use a token whose role allows it`,
    );
  });

  test('incidents, postmortem and dead letters as the server has them', async () => {
    const fired = await api<{ incidentId: string }>('/webhooks/alertmanager', {
      method: 'POST',
      body: fixtureRaw('alertmanager/firing-two-alerts.json'),
    });
    const list = await cli(['incidents', '--status', 'firing'], 'viewer');
    expect(list.code).toBe(0);
    expect(list.out).toMatch(new RegExp(`^${fired.incidentId}\\s+firing\\s+critical`, 'm'));
    const one = await cli(['incidents', fired.incidentId], 'viewer');
    expect(one.out).toContain(`${serve.url}/incidents/${fired.incidentId}`);
    const asJson = JSON.parse((await cli(['incidents', fired.incidentId, '--json'], 'viewer')).out);
    expect(asJson.incident.id).toBe(fired.incidentId);

    const pm = await cli(['postmortem', fired.incidentId], 'viewer');
    expect(pm.code).toBe(0);
    expect(pm.out).toContain('## Key times');
    expect(JSON.parse((await cli(['postmortem', fired.incidentId, '--json'], 'viewer')).out)).toMatchObject({
      incidentId: fired.incidentId,
    });
    expect((await cli(['postmortem', '00000000-0000-4000-8000-000000000000'], 'viewer')).code).toBe(1);

    // A resolve for a group nobody has seen: valid, unroutable, kept as a dead letter.
    const stray = { ...fixtureJson('alertmanager/resolved.json'), groupKey: '{}:{alertname="NeverSeen"}' };
    const dead = await api<{ deadLetterId: string }>('/webhooks/alertmanager', {
      method: 'POST',
      body: JSON.stringify(stray),
    });
    const letters = await cli(['dead-letters', '--json'], 'viewer');
    expect(letters.code).toBe(0);
    expect((JSON.parse(letters.out) as { id: string }[]).map((d) => d.id)).toContain(dead.deadLetterId);
    expect((await cli(['dead-letters'], 'viewer')).out).toMatch(
      new RegExp(
        `^${dead.deadLetterId}\\s+\\S+\\s+alertmanager\\s+resolved notification for unknown alert group`,
        'm',
      ),
    );
    const replay = await cli(['dead-letters', 'replay', dead.deadLetterId]);
    expect(replay.code).toBe(0);
    expect(replay.out).toContain(`dead letter ${dead.deadLetterId} replayed`);
  });

  test('the kill switch: pause and resume change what the server does', async () => {
    const paused = await cli(['pause', '--reason', 'failover in progress']);
    expect(paused.code).toBe(0);
    expect(paused.out).toMatch(
      /^kill switch ON: new mitigations are paused since .* by api:ops \(failover in progress\)/,
    );
    expect(await api('/api/kill-switch')).toMatchObject({ paused: true, updatedBy: 'api:ops' });
    expect(JSON.parse((await cli(['pause', '--status', '--json'], 'viewer')).out)).toMatchObject({
      paused: true,
    });
    const resumed = await cli(['resume']);
    expect(resumed.out).toMatch(/^kill switch OFF/);
    expect(await api('/api/kill-switch')).toMatchObject({ paused: false });
  });

  test('runbooks list is what the server loaded, and exits 1 for a file it could not load', async () => {
    const list = await cli(['runbooks', 'list'], 'viewer');
    expect(list.code).toBe(1);
    expect(list.out).toMatch(/^gated\s+[0-9a-f]{16}\s+2 steps\s+Behind a gate$/m);
    expect(list.err).toMatch(/^not loaded: .*unfinished\.ts: exports no runbook$/m);
    const json = JSON.parse((await cli(['runbooks', 'list', '--json'], 'viewer')).out);
    expect(json.runbooks.map((r: { id: string }) => r.id)).toContain('drill');
  });

  test('gameday run through the server prints the drill scorecard', async () => {
    const list = await cli(['gameday', 'list'], 'viewer');
    expect(list.code).toBe(0);
    expect(list.out).toMatch(/^drill:weekly\s+dry-run\s+"0 10 \* \* 3" UTC\s+next /m);
    const r = await cli(['gameday', 'run', 'drill:weekly', '--timeout', '1m']);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^drill [0-9a-f-]{36}: incident [0-9a-f-]{36}, run [0-9a-f-]{36}$/m);
    expect(r.out).toContain('scorecard drill:weekly (dry-run): PASSED');
  });

  test.skipIf(onPostgres)(
    'the serve process holds the PGlite directory: --local is refused naming it',
    async () => {
      const lock = JSON.parse(await readFile(join(db.dataDir, LOCK_FILE), 'utf8')) as { pid: number };
      expect(lock.pid).toBe(serve.child.pid);
      const local = await cli(['incidents', '--local'], 'viewer');
      expect(local.code).toBe(1);
      expect(local.err).toContain(`is in use by firebreak serve, pid ${serve.child.pid}`);
      expect(local.err).toContain('stop it, or use the CLI, which talks to the running server over HTTP');
      // Over HTTP the same command works while serve holds the directory.
      expect((await cli(['incidents'], 'viewer')).code).toBe(0);
    },
  );
});
