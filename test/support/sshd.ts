// A real OpenSSH server (Debian's openssh-server) for the SSH tests: its own config, host key and user
// key in a temp directory, listening on 127.0.0.1 on a free port, in the foreground (-D -e), logging in
// only the user running the tests with the throwaway key.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './private-postgres.ts';

export const SSHD_BIN = process.env.SSHD_BIN ?? '/usr/sbin/sshd';
const run = promisify(execFile);

export interface TestSshd {
  host: '127.0.0.1';
  port: number;
  user: string;
  dir: string;
  /** The private key sshd accepts, and one it does not. */
  userKey: string;
  wrongKey: string;
  /** known_hosts lines: this server's key, and another key under this server's name. */
  knownHosts: string;
  wrongKnownHosts: string;
  /** `ssh-keygen -l` of the server's key: the fingerprint an error must name. */
  hostFingerprint: string;
  output(): string;
  stop(): Promise<void>;
}

/** Skips (or, in CI, fails) when this machine has no sshd. */
export function sshdMissing(): string | null {
  if (existsSync(SSHD_BIN)) return null;
  if (process.env.CI) throw new Error(`${SSHD_BIN} not found: .ci/run installs openssh-server`);
  return `needs ${SSHD_BIN}: apt-get install openssh-server`;
}

async function keygen(file: string): Promise<void> {
  await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'firebreak-test', '-f', file]);
}

export async function startSshd(): Promise<TestSshd> {
  const dir = await mkdtemp(join(tmpdir(), 'firebreak-sshd-'));
  await Promise.all(['host', 'other_host', 'user', 'wrong_user'].map((k) => keygen(join(dir, k))));
  await writeFile(join(dir, 'authorized_keys'), await readFile(join(dir, 'user.pub')));
  // Privilege separation needs this directory when sshd starts as root (CI); a package install made it,
  // but a container's /run is often fresh.
  if (process.getuid?.() === 0) await mkdir('/run/sshd', { recursive: true, mode: 0o755 });
  const port = await freePort();
  const config = [
    'ListenAddress 127.0.0.1',
    `HostKey ${join(dir, 'host')}`,
    `PidFile ${join(dir, 'sshd.pid')}`,
    `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
    // The temp directory is not owned the way StrictModes wants; PAM would ask the system's user setup.
    'StrictModes no',
    'UsePAM no',
    'PermitRootLogin prohibit-password',
    'PubkeyAuthentication yes',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'AllowTcpForwarding no',
    'X11Forwarding no',
    'PrintMotd no',
    'LogLevel VERBOSE',
    // The signal a timed-out command gets travels as a "signal" channel request: accepted by default.
  ].join('\n');
  await writeFile(join(dir, 'sshd_config'), `${config}\n`);
  const child = spawn(SSHD_BIN, ['-D', '-e', '-f', join(dir, 'sshd_config'), '-p', String(port)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  const append = (c: Buffer) => {
    log = (log + c.toString()).slice(-20_000);
  };
  child.stdout.on('data', append);
  child.stderr.on('data', append);
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.once('error', (err) => {
      append(Buffer.from(`spawn failed: ${err.message}\n`));
      resolve();
    });
  });
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await exited;
    }
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await waitForBanner(port, child, () => log);
  } catch (err) {
    await stop();
    throw err;
  }
  const pub = async (name: string) => (await readFile(join(dir, `${name}.pub`), 'utf8')).trim();
  const entry = (line: string) => `[127.0.0.1]:${port} ${line.split(' ').slice(0, 2).join(' ')}\n`;
  const { stdout } = await run('ssh-keygen', ['-l', '-f', join(dir, 'host.pub')]);
  return {
    host: '127.0.0.1',
    port,
    user: userInfo().username,
    dir,
    userKey: await readFile(join(dir, 'user'), 'utf8'),
    wrongKey: await readFile(join(dir, 'wrong_user'), 'utf8'),
    knownHosts: entry(await pub('host')),
    wrongKnownHosts: entry(await pub('other_host')),
    hostFingerprint: stdout.split(' ')[1]!,
    output: () => log,
    stop,
  };
}

/** sshd accepts connections once a client gets its `SSH-2.0-…` banner. */
async function waitForBanner(port: number, child: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`sshd exited:\n${log()}`);
    if (await banner(port)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`sshd not accepting connections within 15 s:\n${log()}`);
}

function banner(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect(port, '127.0.0.1');
    const done = (ok: boolean) => {
      sock.destroy();
      resolve(ok);
    };
    sock.once('data', (d) => done(d.toString().startsWith('SSH-')));
    sock.once('error', () => done(false));
    sock.setTimeout(2_000, () => done(false));
  });
}

/** An ssh-agent holding the user key, for agent authentication. */
export async function startAgent(sshd: TestSshd): Promise<{ socket: string; stop(): Promise<void> }> {
  const socket = join(sshd.dir, 'agent.sock');
  const child = spawn('ssh-agent', ['-D', '-a', socket], { stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const deadline = Date.now() + 10_000;
  while (!existsSync(socket)) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error('ssh-agent did not start');
    await new Promise((r) => setTimeout(r, 50));
  }
  await run('ssh-add', ['-q', join(sshd.dir, 'user')], { env: { ...process.env, SSH_AUTH_SOCK: socket } });
  return {
    socket,
    stop: async () => {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await exited;
      }
    },
  };
}
