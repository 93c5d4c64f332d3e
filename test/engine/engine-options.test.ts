// Engine options are compiled once when the engine is made: defaults filled in, and settings that
// cannot work refused with a ValidationError that says why, before anything runs or opens.
import { describe, expect, test } from 'vitest';
import { ValidationError } from '../../src/core/errors.ts';
import { compileEngineOptions, Engine } from '../../src/engine/engine.ts';
import { createFirebreak } from '../../src/firebreak.ts';
import { RunbookRegistry } from '../../src/runbooks/registry.ts';
import type { Store } from '../../src/store/store.ts';

describe('engine options', () => {
  test('the documented defaults, with a fresh worker id', () => {
    const config = compileEngineOptions();
    expect(config).toMatchObject({
      maxConcurrentRuns: 200,
      leaseMs: 3_000,
      heartbeatMs: 1_000,
      pollIntervalMs: 1_000,
      claimBatch: 32,
      inlineWaitMaxMs: 1_000,
      killSwitchRecheckMs: 5_000,
      slotRetryMs: 2_000,
    });
    expect(config.workerId).toMatch(/^worker-[0-9a-f]{8}$/);
    expect(compileEngineOptions().workerId).not.toBe(config.workerId);
  });

  test('given options override the defaults, the rest keep theirs', () => {
    const config = compileEngineOptions({ workerId: 'w1', leaseMs: 9_000 });
    expect(config).toMatchObject({ workerId: 'w1', leaseMs: 9_000, heartbeatMs: 1_000 });
  });

  test('a heartbeat as long as the lease is refused when the engine is made', () => {
    const store = {} as Store;
    const make = () =>
      new Engine({ store, registry: new RunbookRegistry(), config: { leaseMs: 1_000, heartbeatMs: 1_000 } });
    expect(make).toThrow(ValidationError);
    expect(make).toThrow('heartbeatMs (1000) must be less than leaseMs (1000)');
    expect(() => compileEngineOptions({ heartbeatMs: 5_000 })).toThrow(
      'heartbeatMs (5000) must be less than leaseMs (3000)',
    );
  });

  test('other impossible settings are refused, each named', () => {
    const refused = (options: Parameters<typeof compileEngineOptions>[0]) => {
      try {
        compileEngineOptions(options);
      } catch (err) {
        expect(err).toBeInstanceOf(ValidationError);
        return (err as Error).message;
      }
      throw new Error('accepted');
    };
    expect(refused({ maxConcurrentRuns: 0 })).toContain('maxConcurrentRuns');
    expect(refused({ claimBatch: 1.5 })).toContain('claimBatch');
    expect(refused({ leaseMs: -1 })).toContain('leaseMs');
    expect(refused({ pollIntervalMs: 0 })).toContain('pollIntervalMs');
    expect(refused({ inlineWaitMaxMs: -5 })).toContain('inlineWaitMaxMs');
    expect(refused({ workerId: '' })).toContain('workerId');
  });

  test('createFirebreak refuses them before it opens the database', async () => {
    const opening = {
      get driver(): never {
        throw new Error('opened the database');
      },
    };
    await expect(
      createFirebreak({ engine: { leaseMs: 500, heartbeatMs: 800 }, opening } as never),
    ).rejects.toThrow(ValidationError);
  });
});
