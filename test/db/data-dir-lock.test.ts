// One process per PGlite data directory: a second opener is refused at once with the holder's name; a
// lock left by a process that was SIGKILLed (or whose pid was reused, or that ran on another host and
// went quiet) is taken over; racing takers of one stale lock end with exactly one holder.
import { mkdtemp, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { DataDirLockedError, LOCK_FILE, lockDataDir } from '../../src/db/data-dir-lock.ts';
import { Child, cleanEnv, runCli } from '../support/child.ts';

const HOLDER = fileURLToPath(new URL('../support/lock-holder.ts', import.meta.url));

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'firebreak-lock-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

let n = 0;
const freshDir = () => join(root, `d${n++}`);

function holder(dir: string, mode: 'pglite' | 'lock'): Child {
  return Child.spawn(['--import', 'tsx', HOLDER, dir, mode], cleanEnv({}));
}

async function lockFile(dir: string) {
  return JSON.parse(await readFile(join(dir, LOCK_FILE), 'utf8')) as { pid: number; command: string };
}

async function deadPid(): Promise<number> {
  const c = Child.spawn(['-e', ''], cleanEnv({}));
  await c.exited;
  return c.pid;
}

describe('PGlite data directory lock', () => {
  test('a second opener exits at once naming the holder; after SIGKILL the directory is taken over', async () => {
    const dir = freshDir();
    await using serve = holder(dir, 'pglite');
    await serve.waitFor(/"event":"held"/);
    expect((await lockFile(dir)).pid).toBe(serve.pid);

    const refused = await runCli(['migrate'], { FIREBREAK_DATA_DIR: dir });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`pid ${serve.pid}`);
    expect(refused.stderr).toContain('stop it, or use the CLI, which talks to the running server over HTTP');
    expect(refused.stderr).not.toMatch(/\n\s+at /); // one message, no stack trace

    await serve.kill();
    // The killed holder released nothing: its lock file is still there, naming it.
    expect((await lockFile(dir)).pid).toBe(serve.pid);
    const after = await runCli(['migrate'], { FIREBREAK_DATA_DIR: dir });
    expect(after.stderr).toBe('');
    expect(after.code).toBe(0);
    expect(after.stdout).toContain(`migrations applied to PGlite in ${dir}`);
    // …and migrate released the lock when it finished.
    await expect(readFile(join(dir, LOCK_FILE))).rejects.toThrow(/ENOENT/);
  });

  test('the same process cannot open a directory twice; release frees it', async () => {
    const dir = freshDir();
    const first = await lockDataDir(dir, 'first');
    await expect(lockDataDir(dir, 'second')).rejects.toBeInstanceOf(DataDirLockedError);
    first.release();
    const second = await lockDataDir(dir, 'second');
    expect(second.tookOverFrom).toBeNull();
    second.release();
  });

  test('stale locks are taken over: dead pid, reused pid, our own pid from an earlier life', async () => {
    const stale = [
      { pid: await deadPid(), startedAt: new Date().toISOString() },
      // pid 1 is alive, but it did not start a moment ago: the pid was reused after a reboot.
      { pid: 1, startedAt: new Date().toISOString() },
      // A container restarted as the same pid: this process holds nothing, so the lock is from before.
      { pid: process.pid, startedAt: '2020-01-01T00:00:00.000Z' },
    ];
    for (const h of stale) {
      const dir = freshDir();
      await lockDataDir(dir, 'setup').then((l) => l.release());
      await writeFile(join(dir, LOCK_FILE), JSON.stringify({ ...h, host: hostname(), command: 'ghost' }));
      const lock = await lockDataDir(dir, 'heir');
      expect(lock.tookOverFrom).toMatchObject({ pid: h.pid, command: 'ghost' });
      expect((await lockFile(dir)).command).toBe('heir');
      lock.release();
    }
  });

  test('a live holder on this host is never taken over', async () => {
    const dir = freshDir();
    await using other = holder(dir, 'lock');
    await other.waitFor(/"event":"held"/);
    const err = await lockDataDir(dir, 'me').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DataDirLockedError);
    expect((err as DataDirLockedError).holder).toMatchObject({ pid: other.pid, command: 'lock-holder' });
  });

  test('a holder on another host counts until it stops refreshing the lock', async () => {
    const dir = freshDir();
    await lockDataDir(dir, 'setup').then((l) => l.release());
    const file = join(dir, LOCK_FILE);
    const ghost = {
      pid: 4242,
      host: 'elsewhere',
      startedAt: new Date().toISOString(),
      command: 'firebreak serve',
    };
    await writeFile(file, JSON.stringify(ghost));
    await expect(lockDataDir(dir, 'me')).rejects.toThrow(/firebreak serve, pid 4242 on elsewhere/);
    const twoMinutesAgo = new Date(Date.now() - 120_000);
    await utimes(file, twoMinutesAgo, twoMinutesAgo);
    const lock = await lockDataDir(dir, 'me');
    expect(lock.tookOverFrom).toMatchObject({ host: 'elsewhere' });
    lock.release();
  });

  test('processes racing to take over one stale lock end with exactly one holder', async () => {
    const dir = freshDir();
    await lockDataDir(dir, 'setup').then((l) => l.release());
    await writeFile(
      join(dir, LOCK_FILE),
      JSON.stringify({
        pid: await deadPid(),
        host: hostname(),
        startedAt: new Date().toISOString(),
        command: 'x',
      }),
    );
    const racers = [0, 1, 2, 3].map(() => holder(dir, 'lock'));
    try {
      const outcomes = await Promise.all(racers.map((r) => r.waitFor(/"event":"(held|refused)"/)));
      const winners = racers.filter((_, i) => outcomes[i]![1] === 'held');
      expect(winners).toHaveLength(1);
      expect((await lockFile(dir)).pid).toBe(winners[0]!.pid);
      for (const [i, o] of outcomes.entries()) {
        if (o[1] === 'refused') expect(racers[i]!.stdout).toContain(`pid ${winners[0]!.pid}`);
      }
    } finally {
      await Promise.all(racers.map((r) => r.kill()));
    }
  });
});
