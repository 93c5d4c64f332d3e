// Podman as these machines run it: runc as the runtime, host networking, and a containers.conf without
// default ulimits (the defaults cannot be applied in this sandbox). No registry is reachable, so the
// base image is made from the machine's own node (deploy/image/base-from-host.sh).
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

const conf = join(mkdtempSync(join(tmpdir(), 'firebreak-podman-')), 'containers.conf');
writeFileSync(conf, '[containers]\ndefault_ulimits = []\n');

export const podmanEnv = {
  ...process.env,
  CONTAINERS_CONF: conf,
  ENGINE: 'podman',
  ENGINE_FLAGS: '--runtime=runc',
};

export interface Result {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs podman and returns what it printed; throws with its output when it fails, unless `allowFail`. */
export function podman(args: string[], opts: { allowFail?: boolean; timeoutMs?: number } = {}): Result {
  const r = spawnSync('podman', ['--runtime=runc', ...args], {
    env: podmanEnv,
    encoding: 'utf8',
    timeout: opts.timeoutMs ?? 120_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  const result = { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
  if (r.status !== 0 && !opts.allowFail) {
    throw new Error(`podman ${args.join(' ')} exited ${r.status}:\n${result.stderr}${result.stdout}`);
  }
  return result;
}

/** Runs a script of this repository (a build) without blocking the test process's event loop. */
export function script(
  path: string,
  opts: { env?: Record<string, string>; args?: string[]; timeoutMs: number },
): Promise<Result> {
  const { env = {}, args = [], timeoutMs } = opts;
  return new Promise((resolve, reject) => {
    const child = spawn('sh', [join(ROOT, path), ...args], { cwd: ROOT, env: { ...podmanEnv, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', reject);
    child.once('exit', (status) => {
      clearTimeout(timer);
      const result = { status, stdout, stderr };
      if (status === 0) resolve(result);
      else reject(new Error(`${path} exited ${status}:\n${stderr.slice(-4000)}${stdout.slice(-4000)}`));
    });
  });
}

/** The base image made from this machine's node, made once and kept (it only changes with node). */
export async function hostNodeBase(): Promise<string> {
  const image = `localhost/firebreak-ci-base:node-${process.version.slice(1)}`;
  if (podman(['image', 'exists', image], { allowFail: true }).status === 0) return image;
  await script('deploy/image/base-from-host.sh', { args: [image], timeoutMs: 120_000 });
  return image;
}

/** A TCP port free right now on 127.0.0.1 (containers on the host network pick their own). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}
