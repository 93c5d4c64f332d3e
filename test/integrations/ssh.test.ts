// The SSH client against a real OpenSSH server (Debian's openssh-server, started here on 127.0.0.1 with
// throwaway keys): output and exit codes, pinned host keys, refused credentials, timeouts, the output
// cap, and credentials in a command's output redacted in the evidence firebreak stores.

import { execFile } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { parseConfig, secretsOf, sshSettingsOf } from '../../src/config/config.ts';
import type { EvidenceInput } from '../../src/dsl/types.ts';
import { runbook, z } from '../../src/index.ts';
import {
  defaultSshSettings,
  fingerprint,
  parseKnownHosts,
  SshAuthError,
  SshConnectError,
  SshExitError,
  SshHostKeyError,
  type SshSettings,
  SshTimeoutError,
  sshClient,
} from '../../src/integrations/index.ts';
import { testFirebreak } from '../support/engine.ts';
import { freePort } from '../support/private-postgres.ts';
import { sshdMissing, startAgent, startSshd, type TestSshd } from '../support/sshd.ts';
import { until } from '../support/until.ts';

const missing = sshdMissing();
let sshd: TestSshd;

beforeAll(async () => {
  if (!missing) sshd = await startSshd();
}, 30_000);
afterAll(async () => {
  await sshd?.stop();
});

const settings = (over: Partial<SshSettings> = {}): SshSettings => ({
  ...defaultSshSettings(),
  knownHosts: parseKnownHosts(sshd.knownHosts),
  user: sshd.user,
  privateKey: sshd.userKey,
  ...over,
});
const target = () => `127.0.0.1:${sshd.port}`;

/** The timed-out test's remote command when OpenSSH would not signal it (root): ended by its pid. */
async function killLeftover(pattern: string): Promise<void> {
  const { stdout } = await promisify(execFile)('pgrep', ['-f', pattern]).catch(() => ({ stdout: '' }));
  for (const pid of stdout.split(/\s+/).filter(Boolean)) process.kill(Number(pid), 'SIGKILL');
}

/** What a thrown promise threw. */
async function thrown(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error('expected a failure');
}

describe.skipIf(missing)('commands on a host over SSH (real sshd)', () => {
  test('stdout, stderr and the exit code of a command, attached as evidence', async () => {
    const evidence: EvidenceInput[] = [];
    const r = await sshClient(settings()).run(target(), 'echo out; echo err >&2; printf "%s" "$USER"', {
      attach: (e) => evidence.push(e),
    });
    expect(r).toMatchObject({
      target: `${sshd.user}@127.0.0.1:${sshd.port}`,
      exitCode: 0,
      signal: null,
      stdout: `out\n${sshd.user}`,
      stderr: 'err\n',
      stdoutTruncated: false,
    });
    expect(evidence).toHaveLength(1);
    expect(evidence[0]).toMatchObject({ kind: 'text', title: `${r.target}: ${r.command}` });
    expect(evidence[0]!.content).toContain('--- stdout ---\nout\n');
    expect(evidence[0]!.content).toContain('--- stderr ---\nerr\n');
  });

  test('a non-zero exit is an error carrying the code and the end of stderr; okExitCodes accepts it', async () => {
    const client = sshClient(settings());
    const err = await thrown(client.run(target(), 'echo "disk on fire" >&2; exit 3'));
    expect(err).toBeInstanceOf(SshExitError);
    expect(err).toMatchObject({ code: 'ssh_exit', exitCode: 3, nonRetryable: true });
    expect((err as Error).message).toMatch(/ended with exit code 3: disk on fire/);
    const retried = await thrown(client.run(target(), 'exit 75', { retryExitCodes: [75] }));
    expect(retried).toMatchObject({ exitCode: 75, nonRetryable: false });
    const ok = await client.run(target(), 'exit 1', { okExitCodes: [0, 1] });
    expect(ok.exitCode).toBe(1);
  });

  test('an unknown or mismatched host key is refused, not retried, naming the host and fingerprint; nothing runs', async () => {
    const marker = join(sshd.dir, 'ran-with-unknown-key');
    const mismatch = await thrown(
      sshClient(settings({ knownHosts: parseKnownHosts(sshd.wrongKnownHosts) })).run(
        target(),
        `touch ${marker}`,
      ),
    );
    expect(mismatch).toBeInstanceOf(SshHostKeyError);
    expect(mismatch).toMatchObject({
      code: 'ssh_host_key',
      nonRetryable: true,
      details: { reason: 'mismatch' },
    });
    expect((mismatch as Error).message).toContain(`@127.0.0.1:${sshd.port}`);
    // The fingerprint is OpenSSH's own (ssh-keygen -l), so it can be compared with what the host prints.
    expect((mismatch as Error).message).toContain(`ssh-ed25519 ${sshd.hostFingerprint}`);

    const unknown = await thrown(sshClient(settings({ knownHosts: [] })).run(target(), `touch ${marker}`));
    expect(unknown).toMatchObject({ nonRetryable: true, details: { reason: 'unknown' } });
    expect((unknown as Error).message).toContain(sshd.hostFingerprint);
    // The same key pinned for port 22 does not vouch for this port.
    const port22 = sshd.knownHosts.replace(`[127.0.0.1]:${sshd.port}`, '127.0.0.1');
    const other = await thrown(
      sshClient(settings({ knownHosts: parseKnownHosts(port22) })).run(target(), `touch ${marker}`),
    );
    expect(other).toMatchObject({ details: { reason: 'unknown' } });
    expect(existsSync(marker)).toBe(false);

    // A per-call known_hosts line adds to the configured ones.
    const r = await sshClient(settings({ knownHosts: [] })).run(target(), 'true', {
      knownHosts: sshd.knownHosts,
    });
    expect(r.exitCode).toBe(0);
  });

  test('fingerprint() is ssh-keygen -l', () => {
    expect(fingerprint(parseKnownHosts(sshd.knownHosts)[0]!.key)).toBe(sshd.hostFingerprint);
  });

  test('a key the host does not accept is an auth error, not retried; nothing runs', async () => {
    const marker = join(sshd.dir, 'ran-with-wrong-key');
    const err = await thrown(
      sshClient(settings({ privateKey: sshd.wrongKey })).run(target(), `touch ${marker}`),
    );
    expect(err).toBeInstanceOf(SshAuthError);
    expect(err).toMatchObject({ code: 'ssh_auth', nonRetryable: true });
    expect((err as Error).message).toMatch(
      /authentication to .*@127\.0\.0\.1:\d+ failed \(tried: publickey\)/,
    );
    expect(existsSync(marker)).toBe(false);
  });

  test('an encrypted key with its passphrase; a wrong passphrase is an auth error, not retried', async () => {
    const file = join(sshd.dir, 'encrypted');
    writeFileSync(file, sshd.userKey, { mode: 0o600 });
    await promisify(execFile)('ssh-keygen', [
      '-q',
      '-p',
      '-P',
      '',
      '-N',
      'correct horse battery',
      '-f',
      file,
    ]);
    const encrypted = readFileSync(file, 'utf8');
    const r = await sshClient(settings({ privateKey: encrypted, passphrase: 'correct horse battery' })).run(
      target(),
      'echo unlocked',
    );
    expect(r.stdout).toBe('unlocked\n');
    const err = await thrown(
      sshClient(settings({ privateKey: encrypted, passphrase: 'wrong horse' })).run(target(), 'true'),
    );
    expect(err).toMatchObject({ code: 'ssh_auth', nonRetryable: true });
  });

  test('a host that does not answer is a connection error, retried', async () => {
    const closed = await freePort(); // nothing listens there
    const err = await thrown(sshClient(settings()).run(`127.0.0.1:${closed}`, 'true'));
    expect(err).toBeInstanceOf(SshConnectError);
    expect(err).toMatchObject({ code: 'ssh_connect', nonRetryable: false });
    expect((err as Error).message).toMatch(/cannot reach .*@127\.0\.0\.1:\d+ over SSH: connect ECONNREFUSED/);
  });

  test('agent auth: the keys of SSH_AUTH_SOCK', async () => {
    const agent = await startAgent(sshd);
    try {
      const r = await sshClient(settings({ privateKey: undefined, agent: agent.socket })).run(
        target(),
        'echo via-agent',
      );
      expect(r.stdout).toBe('via-agent\n');
    } finally {
      await agent.stop();
    }
  });

  test('a command past its timeout is killed and fails as retryable "timed out"', async () => {
    const evidence: EvidenceInput[] = [];
    const err = await thrown(
      sshClient(settings()).run(target(), 'echo started; exec sleep 1234', {
        timeout: '3s',
        attach: (e) => evidence.push(e),
      }),
    );
    expect(err).toBeInstanceOf(SshTimeoutError);
    expect(err).toMatchObject({ code: 'ssh_timeout', nonRetryable: false });
    expect((err as Error).message).toMatch(/timed out after 3000 ms/);
    // What it printed before is kept.
    expect(evidence[0]?.content).toContain('started');
    // The channel and the connection are closed, and the command is sent SIGKILL. OpenSSH refuses that
    // signal for root logins ("session signalling requires privilege separation", as on CI); for any
    // other user the command is gone too.
    await until(async () => (/Disconnected from user/.test(sshd.output()) ? true : null), 10_000);
    if (sshd.user !== 'root') {
      await until(async () => {
        const { stdout } = await promisify(execFile)('pgrep', ['-f', 'sleep 1234']).catch(() => ({
          stdout: '',
        }));
        return stdout.trim() === '' ? true : null;
      }, 10_000);
    } else {
      await killLeftover('sleep 1234');
    }
  });

  test('output is capped per stream, marked truncated', async () => {
    const r = await sshClient(settings()).run(target(), "head -c 300000 /dev/zero | tr '\\0' a", {
      maxOutputBytes: 4096,
    });
    expect(r.stdoutTruncated).toBe(true);
    expect(r.stdout.startsWith('a'.repeat(4096))).toBe(true);
    expect(r.stdout).not.toContain('a'.repeat(4097));
    expect(r.stdout).toMatch(/\[truncated: 300000 bytes of output, the first 4096 kept\]$/);
  });

  test('configuration: SSH_* parsed once, the key and passphrase are secrets with a _FILE form', () => {
    const config = parseConfig({
      SSH_KNOWN_HOSTS: sshd.knownHosts,
      SSH_USER: sshd.user,
      SSH_PRIVATE_KEY: sshd.userKey.trim(),
      SSH_COMMAND_TIMEOUT: '5s',
    });
    const s = sshSettingsOf(config);
    expect(s).toMatchObject({ user: sshd.user, commandTimeoutMs: 5000, connectTimeoutMs: 10_000 });
    expect(s.knownHosts).toHaveLength(1);
    const secrets = secretsOf(config);
    expect(secrets).toContain(sshd.userKey.trim());
    // Each base64 line of the key is hidden on its own too.
    expect(secrets).toContain(sshd.userKey.split('\n')[1]);
    // known_hosts is no secret, but long: it has the _FILE form too.
    const file = join(sshd.dir, 'known_hosts');
    writeFileSync(file, sshd.knownHosts);
    expect(sshSettingsOf(parseConfig({ SSH_KNOWN_HOSTS_FILE: file })).knownHosts).toEqual(s.knownHosts);
    expect(() => parseConfig({ SSH_KNOWN_HOSTS: 'not a known_hosts line' })).toThrow(
      /SSH_KNOWN_HOSTS: known_hosts line 1/,
    );
    expect(() => parseConfig({ SSH_PRIVATE_KEY: 'hunter22-hunter22' })).toThrow(
      /SSH_PRIVATE_KEY: must be a private key/,
    );
  });
});

describe.skipIf(missing)('ctx.ssh in a run: credentials in the output never reach the database', () => {
  test('the SSH key is hidden however the settings were given (here: no configuration, no secrets list)', async () => {
    const rb = runbook({ id: 'ssh-key-leak', title: 'ssh key leak', input: z.object({}) }).diagnostic(
      'keyFile',
      async ({ ssh }) => ({
        head: (await ssh(`127.0.0.1:${sshd.port}`, `head -3 ${join(sshd.dir, 'user')}`)).stdout,
      }),
    );
    await using fb = await testFirebreak([rb], { ssh: settings() });
    const { runId } = await fb.start('ssh-key-leak', {});
    expect((await fb.result(runId, { timeoutMs: 30_000 })).status).toBe('succeeded');
    const stored = JSON.stringify({
      steps: await fb.store.getSteps(runId),
      evidence: await fb.store.listEvidence({ runId }),
    });
    expect(stored).toContain('[REDACTED]');
    const lines = sshd.userKey.split('\n').filter((l) => l.length > 20 && !l.startsWith('-----'));
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) expect(stored).not.toContain(line);
  }, 60_000);

  const PASSWORD = 'Zq9-db-password-77xK';

  test('redacted in evidence, output and errors, also where the cap cuts through the secret', async () => {
    const creds = join(sshd.dir, 'creds.env');
    const rb = runbook({ id: 'ssh-leak', title: 'ssh leak', input: z.object({}) })
      .diagnostic('readCreds', async ({ ssh }) => {
        const r = await ssh(`127.0.0.1:${sshd.port}`, `printf 'DB_PASSWORD=%s\\n' "$(cat ${creds})"`);
        return { stdout: r.stdout };
      })
      .diagnostic('keyFile', async ({ ssh }) => {
        await ssh(`127.0.0.1:${sshd.port}`, `cat ${join(sshd.dir, 'user')}`, { evidence: 'the key file' });
        return {};
      })
      .diagnostic('cutThrough', async ({ ssh }) => {
        // The cap (1024 bytes) falls inside the password: no prefix of it may survive the cut.
        const r = await ssh(`127.0.0.1:${sshd.port}`, `head -c 1020 /dev/zero | tr '\\0' a; cat ${creds}`, {
          maxOutputBytes: 1024,
        });
        return { stdout: r.stdout };
      })
      .diagnostic('fails', async ({ ssh }) => {
        await ssh(`127.0.0.1:${sshd.port}`, `cat ${creds} >&2; exit 2`);
        return {};
      });
    const { writeFile } = await import('node:fs/promises');
    await writeFile(creds, PASSWORD);
    const config = parseConfig({
      SSH_KNOWN_HOSTS: sshd.knownHosts,
      SSH_USER: sshd.user,
      SSH_PRIVATE_KEY: sshd.userKey.trim(),
      DB_PASSWORD: PASSWORD,
    });
    await using fb = await testFirebreak([rb], {
      secrets: secretsOf(config),
      env: config.environment,
      ssh: sshSettingsOf(config),
    });
    const { runId } = await fb.start('ssh-leak', {});
    const run = await fb.result(runId, { timeoutMs: 30_000 });
    expect(run.status).toBe('failed');
    expect(run.error?.message).toMatch(/ended with exit code 2: \[REDACTED\]/);
    const steps = await fb.store.getSteps(runId);
    expect(steps.find((s) => s.stepKey === 'readCreds')?.output).toEqual({
      stdout: 'DB_PASSWORD=[REDACTED]\n',
    });
    const cut = steps.find((s) => s.stepKey === 'cutThrough')?.output as { stdout: string } | undefined;
    expect(cut?.stdout).toMatch(/^a{1020}\[RED\n\[truncated/);
    const evidence = await fb.store.listEvidence({ runId });
    expect(evidence.map((e) => e.title)).toContain('the key file');
    const stored = JSON.stringify({ run, steps, evidence });
    expect(stored).toContain('[REDACTED]');
    expect(stored).not.toContain(PASSWORD);
    expect(stored).not.toContain('Zq9-');
    for (const line of sshd.userKey.split('\n').filter((l) => l.length > 20 && !l.startsWith('-----'))) {
      expect(stored).not.toContain(line);
    }
  }, 60_000);
});
