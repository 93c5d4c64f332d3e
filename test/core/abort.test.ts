// raceAbort must not keep what it raced alive. Node holds a composite signal (AbortSignal.any) with an
// 'abort' listener until it aborts; a listener left behind kept every finished step's context and run
// executor for the life of the process. Collection is observed with a WeakRef and a real GC.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, test } from 'vitest';
import { raceAbort } from '../../src/core/abort.ts';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const nextTurn = () => new Promise((r) => setImmediate(r));

/** Races `fn` on a fresh composite of a signal that never aborts; returns a WeakRef to what it held. */
async function raced(fn: (held: object) => unknown): Promise<WeakRef<object>> {
  const never = new AbortController();
  const signal = AbortSignal.any([never.signal, new AbortController().signal]);
  const held = { signal, payload: new Array(1000).fill('x') };
  await raceAbort(signal, () => fn(held)).catch(() => {});
  return new WeakRef(held);
}

describe('raceAbort', () => {
  test('settles with the work, or with the reason when the signal aborts first', async () => {
    expect(await raceAbort(new AbortController().signal, async () => 42)).toBe(42);

    const c = new AbortController();
    const late = raceAbort(c.signal, () => new Promise(() => {}));
    c.abort(new Error('stopped'));
    await expect(late).rejects.toThrow('stopped');

    let called = false;
    const gone = AbortSignal.abort(new Error('already'));
    await expect(
      raceAbort(gone, () => {
        called = true;
      }),
    ).rejects.toThrow('already');
    expect(called).toBe(false);
  });

  test('what a finished race held is collectable, though its signal never aborts', async () => {
    const refs = [
      await raced(async () => 'done'),
      await raced(async () => {
        throw new Error('failed');
      }),
    ];
    await nextTurn();
    gc();
    await nextTurn();
    gc();
    expect(refs.map((r) => r.deref() === undefined)).toEqual([true, true]);
  });
});
