// Run-time settings the edges show and change: today the kill switch (API, web, Slack, CLI through the
// API). Pausing goes through the engine, so this process's workers hold mitigations at once.
import type { Engine } from '../engine/engine.ts';
import { KILL_SWITCH } from '../engine/engine.ts';
import { settingRecord } from '../store/settings.ts';
import type { Store } from '../store/store.ts';

export interface KillSwitchState {
  paused: boolean;
  updatedBy: string | null;
  updatedAt: string | null;
  reason: string | null;
}

export class Settings {
  constructor(private readonly deps: { engine: Engine; store: Store }) {}

  async killSwitch(): Promise<KillSwitchState> {
    const row = await settingRecord(this.deps.store, KILL_SWITCH);
    const value = (row?.value ?? {}) as { paused?: boolean; reason?: string };
    return {
      paused: value.paused === true,
      updatedBy: row?.updatedBy ?? null,
      updatedAt: row ? new Date(row.updatedAt).toISOString() : null,
      reason: value.reason ?? null,
    };
  }

  /** Pauses or resumes new mitigations; `by` is "api:alice" and the like. */
  async setKillSwitch(paused: boolean, by: string, reason?: string): Promise<KillSwitchState> {
    const { engine, store } = this.deps;
    await store.setSetting(KILL_SWITCH, { paused, ...(reason ? { reason } : {}) }, by, engine.clock.now());
    return this.killSwitch();
  }
}
