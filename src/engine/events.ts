// Typed lifecycle events of one engine process. Tests and `run --follow` wait on these instead of
// sleeping; they describe what this process did, the journal is the durable record.
import { EventEmitter } from 'node:events';
import type { RunStatus, StepStatus } from '../core/status.ts';

export interface EngineEventMap {
  'run.claimed': { runId: string; takeover: boolean };
  'run.parked': { runId: string; wakeAt: Date | null };
  'run.finished': { runId: string; status: RunStatus };
  'step.started': { runId: string; step: string; attempt: number };
  'step.finished': { runId: string; step: string; status: StepStatus; attempt: number; error?: string };
  'step.retrying': { runId: string; step: string; attempt: number; delayMs: number; error: string };
  'approval.requested': { runId: string; step: string; approvalId: string };
  'mitigation.applied': { runId: string; step: string };
  'mitigation.reverted': { runId: string; step: string; status: 'reverted' | 'revert_failed' };
}

export class EngineEvents {
  private readonly emitter = new EventEmitter();

  constructor() {
    this.emitter.setMaxListeners(0);
  }

  emit<K extends keyof EngineEventMap>(name: K, payload: EngineEventMap[K]): void {
    this.emitter.emit(name, payload);
  }

  on<K extends keyof EngineEventMap>(name: K, fn: (payload: EngineEventMap[K]) => void): () => void {
    this.emitter.on(name, fn);
    return () => this.emitter.off(name, fn);
  }

  /** Resolves with the first event for which `match` holds. */
  waitFor<K extends keyof EngineEventMap>(
    name: K,
    match: (payload: EngineEventMap[K]) => boolean = () => true,
    timeoutMs = 30_000,
  ): Promise<EngineEventMap[K]> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        off();
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${name}`));
      }, timeoutMs);
      const off = this.on(name, (p) => {
        if (!match(p)) return;
        clearTimeout(timer);
        off();
        resolve(p);
      });
    });
  }
}
