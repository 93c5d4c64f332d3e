// Shared pieces of the store contract: how a backend is opened, fixed clocks, and builders for runs,
// leases, steps and approvals. Tests keep to rows they created (fresh ids, keys and owners).
import { randomUUID } from 'node:crypto';
import type { ApprovalDecision } from '../../../src/store/records.ts';
import type { Lease, NewRun, StepWrite, Store } from '../../../src/store/store.ts';

export interface OpenedStore {
  store: Store;
  close(): Promise<void>;
  /**
   * Another store on the same database, as a second worker process would open it (closed by `close`).
   * Absent where only one process can open the database (PGlite): races then run on one store.
   */
  peer?: () => Promise<Store>;
}

export type OpenStore = () => Promise<OpenedStore>;

export interface Backend {
  /** The store the tests share. */
  shared(): Store;
  /** The shared store once no run is left that could ever become due: for tests of claims. */
  quiet(): Promise<Store>;
  /** `n` handles on the shared store's database, alternating between two workers when the backend has
   * a peer, so that races run between connection pools as between processes. */
  workers(n: number): Promise<Store[]>;
}

export const T0 = new Date('2030-01-01T00:00:00.000Z');

/** T0 plus `ms`. */
export const at = (ms: number): Date => new Date(T0.getTime() + ms);

export const LEASE_MS = 60_000;

export function newRun(over: Partial<NewRun> = {}): NewRun {
  return {
    id: randomUUID(),
    runbookId: 'contract',
    runbookVersion: 'v1',
    plan: [{ name: 'a', kind: 'diagnostic' }],
    input: { service: 'checkout' },
    dryRun: false,
    idempotencyKey: null,
    concurrencyKey: null,
    incidentId: null,
    requestedBy: null,
    leaseOwner: null,
    leaseExpiresAt: null,
    now: T0,
    ...over,
  };
}

export interface HeldRun {
  id: string;
  lease: Lease;
}

/** A run created already leased to `owner` (epoch 1), as a worker that runs it at once creates it. */
export async function heldRun(store: Store, owner: string, over: Partial<NewRun> = {}): Promise<HeldRun> {
  const run = newRun({ leaseOwner: owner, leaseExpiresAt: at(LEASE_MS), ...over });
  const [result] = await store.createRuns([run]);
  if (!result?.created) throw new Error('heldRun: run was not created');
  return { id: run.id, lease: { owner, epoch: 1 } };
}

export function stepWrite(stepKey: string, over: Partial<StepWrite> = {}): StepWrite {
  return {
    stepKey,
    kind: 'diagnostic',
    status: 'running',
    attempt: 1,
    idempotencyKey: `idem-${stepKey}`,
    ...over,
  };
}

export function decision(
  by: string,
  verdict: ApprovalDecision['decision'] = 'approve',
  reason: string | null = null,
): ApprovalDecision {
  return { by, via: 'api', decision: verdict, reason, at: T0.toISOString() };
}

export interface Gate extends HeldRun {
  approvalId: string;
  expiresAt: Date;
}

/** A run parked on a pending approval gate (lease released, waiting until the gate's deadline). */
export async function gatedRun(store: Store, policy: Record<string, unknown> = { quorum: 1 }): Promise<Gate> {
  const run = await heldRun(store, `gate-${randomUUID()}`);
  const approvalId = randomUUID();
  const expiresAt = at(15 * 60_000);
  await store.commit(run.lease, {
    runId: run.id,
    incidentId: null,
    steps: [stepWrite('gate', { kind: 'approval', status: 'awaiting_approval', state: { approvalId } })],
    approvals: [{ id: approvalId, stepKey: 'gate', policy, requestedBy: null, requestedAt: T0, expiresAt }],
    run: { status: 'waiting', wakeAt: expiresAt, expectWakeAt: T0, releaseLease: true },
  });
  return { ...run, approvalId, expiresAt };
}

/** Records every wake-up payload; `waitFor` resolves on the first match, seen before or after the call. */
export interface WakeRecorder extends AsyncDisposable {
  seen: string[];
  /** Waits until every notification committed so far has arrived; returns and forgets them. */
  settle(): Promise<string[]>;
  waitFor(payload: string | ((p: string) => boolean), timeoutMs?: number): Promise<string>;
  stop(): Promise<void>;
}

export async function recordWakes(store: Store): Promise<WakeRecorder> {
  const seen: string[] = [];
  const waiters = new Set<(p: string) => void>();
  const stop = await store.onWake((payload) => {
    seen.push(payload);
    for (const w of [...waiters]) w(payload);
  });
  const waitFor = (payload: string | ((p: string) => boolean), timeoutMs = 5_000) => {
    const matches = typeof payload === 'string' ? (p: string) => p === payload : payload;
    const already = seen.find(matches);
    if (already !== undefined) return Promise.resolve(already);
    return new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(
          new Error(`no wake-up matching ${String(payload)} within ${timeoutMs} ms; saw ${seen.join(', ')}`),
        );
      }, timeoutMs);
      const check = (p: string) => {
        if (!matches(p)) return;
        clearTimeout(timer);
        waiters.delete(check);
        resolve(p);
      };
      waiters.add(check);
    });
  };
  const settle = async () => {
    // Notifications arrive in commit order, so once this one is in, every earlier one is too.
    const barrier = `barrier-${randomUUID()}`;
    await store.setSetting(barrier, true, null, T0);
    await waitFor(`setting:${barrier}`);
    return seen.splice(0).filter((p) => p !== `setting:${barrier}`);
  };
  return { seen, settle, waitFor, stop, [Symbol.asyncDispose]: stop };
}
