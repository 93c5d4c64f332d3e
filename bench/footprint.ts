// `npm run bench:footprint`: what one `firebreak serve` costs to start and to keep. The built server
// (bin/firebreak.js, plain node, the example runbooks of runbooks/) is started five times on PostgreSQL
// and five times on PGlite, each time on a new database (a fresh PostgreSQL database, an empty PGlite
// directory: migrations or the migrated snapshot included), then once more on the same database (a
// restart). ready = process start to the first 200 from /readyz; RSS = the process and its children
// after 30 s idle. Prints the medians:
//   RESULT bench:footprint pg_ready_ms=… pg_rss_mb=… pglite_ready_ms=… pglite_rss_mb=… package_kb=…
// Knobs: FOOTPRINT_RUNS (5), FOOTPRINT_IDLE_MS (30000), BENCH_PG_URL, FOOTPRINT_BIN (another checkout's
// bin/firebreak.js, to measure it the same way), FOOTPRINT_NODE_OPTIONS (NODE_OPTIONS for the server
// only, e.g. --max-semi-space-size=2: V8's young generation is most of the idle heap).
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../test/support/private-postgres.ts';
import { benchServerUrl, envInt } from './support/env.ts';
import { databaseUrl, recreateDatabase } from './support/pg.ts';

const repo = fileURLToPath(new URL('..', import.meta.url));
const bin = process.env.FOOTPRINT_BIN ?? join(repo, 'bin/firebreak.js');
/** The checkout the measured bin belongs to: its own runbooks are loaded. */
const checkout = join(dirname(bin), '..');
const runs = envInt('FOOTPRINT_RUNS', 5);
const idleMs = envInt('FOOTPRINT_IDLE_MS', 30_000);

interface Sample {
  readyMs: number;
  rssMb: number;
  restartReadyMs: number;
}

/** RSS of a process and all its descendants (esbuild's service while runbooks compile, say), in MB. */
function treeRssMb(pid: number): number {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {
      // the process ended while we looked
    }
  }
  let kb = 0;
  const visit = (p: number) => {
    try {
      const status = readFileSync(`/proc/${p}/status`, 'utf8');
      kb += Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
    } catch {
      return;
    }
    for (const c of children.get(p) ?? []) visit(c);
  };
  visit(pid);
  return kb / 1024;
}

async function start(env: Record<string, string>): Promise<{ child: ChildProcess; readyMs: number }> {
  const port = await freePort();
  const t0 = performance.now();
  const child = spawn(process.execPath, [bin, 'serve'], {
    cwd: checkout,
    stdio: ['ignore', 'ignore', 'inherit'],
    env: {
      PATH: process.env.PATH ?? '',
      ...(process.env.FOOTPRINT_NODE_OPTIONS ? { NODE_OPTIONS: process.env.FOOTPRINT_NODE_OPTIONS } : {}),
      ...env,
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      RUNBOOKS_DIR: join(checkout, 'runbooks'),
    },
  });
  for (;;) {
    if (child.exitCode !== null) throw new Error(`serve exited with ${child.exitCode} before it was ready`);
    const ok = await fetch(`http://127.0.0.1:${port}/readyz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return { child, readyMs: performance.now() - t0 };
    if (performance.now() - t0 > 120_000) throw new Error('serve was not ready within 120 s');
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  await exited;
  clearTimeout(timer);
}

async function sample(
  env: () => Promise<Record<string, string>>,
  cleanup: () => Promise<void>,
): Promise<Sample> {
  const e = await env();
  try {
    const first = await start(e);
    await new Promise((r) => setTimeout(r, idleMs));
    const rssMb = treeRssMb(first.child.pid!);
    await stop(first.child);
    const again = await start(e);
    await stop(again.child);
    return { readyMs: first.readyMs, rssMb, restartReadyMs: again.readyMs };
  } finally {
    await cleanup();
  }
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

function packageKb(): { packed: number; unpacked: number } {
  const r = spawnSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
    cwd: repo,
    encoding: 'utf8',
  });
  const [info] = JSON.parse(r.stdout.slice(r.stdout.indexOf('['))) as {
    size: number;
    unpackedSize: number;
  }[];
  return { packed: Math.round(info!.size / 1024), unpacked: Math.round(info!.unpackedSize / 1024) };
}

async function main(): Promise<void> {
  if (!process.env.FOOTPRINT_BIN) {
    const build = spawnSync(process.execPath, [join(repo, 'scripts/build.mjs'), '--if-stale'], {
      stdio: 'inherit',
    });
    if (build.status !== 0) throw new Error('build failed');
  }
  const pg: Sample[] = [];
  const pglite: Sample[] = [];
  for (let i = 0; i < runs; i++) {
    const db = `firebreak_footprint_${process.pid}_${i}`;
    pg.push(
      await sample(
        async () => {
          await recreateDatabase(benchServerUrl, db);
          return { DATABASE_URL: databaseUrl(benchServerUrl, db) };
        },
        async () => {
          const postgres = (await import('postgres')).default;
          const admin = postgres(databaseUrl(benchServerUrl, 'postgres'), { max: 1, onnotice: () => {} });
          await admin.unsafe(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
          await admin.end();
        },
      ),
    );
    const dir = mkdtempSync(join(tmpdir(), 'firebreak-footprint-'));
    pglite.push(
      await sample(
        async () => ({ FIREBREAK_DATA_DIR: join(dir, 'data') }),
        async () => rmSync(dir, { recursive: true, force: true }),
      ),
    );
    const last = (xs: Sample[]) => xs.at(-1)!;
    console.error(
      `run ${i + 1}/${runs}: pg ready ${Math.round(last(pg).readyMs)} ms (restart ${Math.round(last(pg).restartReadyMs)}), ` +
        `rss ${last(pg).rssMb.toFixed(0)} MB; pglite ready ${Math.round(last(pglite).readyMs)} ms ` +
        `(restart ${Math.round(last(pglite).restartReadyMs)}), rss ${last(pglite).rssMb.toFixed(0)} MB`,
    );
  }
  const pkg = packageKb();
  const m = (xs: Sample[], k: keyof Sample) => Math.round(median(xs.map((x) => x[k])));
  console.log(
    `RESULT bench:footprint pg_ready_ms=${m(pg, 'readyMs')} pg_rss_mb=${m(pg, 'rssMb')} ` +
      `pglite_ready_ms=${m(pglite, 'readyMs')} pglite_rss_mb=${m(pglite, 'rssMb')} package_kb=${pkg.packed} ` +
      `pg_restart_ready_ms=${m(pg, 'restartReadyMs')} pglite_restart_ready_ms=${m(pglite, 'restartReadyMs')} ` +
      `package_unpacked_kb=${pkg.unpacked} runs=${runs} idle_ms=${idleMs}` +
      (process.env.FOOTPRINT_NODE_OPTIONS ? ` node_options="${process.env.FOOTPRINT_NODE_OPTIONS}"` : ''),
  );
}

await main();
