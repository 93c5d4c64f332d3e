// The circuit breakers of one engine process, one per target host (scheme + host + port), shared by
// every run: `ctx.http` of a runbook that keeps circuit breaking on goes through `guard`, so 50 runs
// against a host that is down send it at most `failures` requests, then one trial per cool-down.
import {
  type Admission,
  admit,
  type CircuitSettings,
  type CircuitState,
  closedCircuit,
  recordAbandoned,
  recordFailure,
  recordSuccess,
} from '../core/circuit-breaker.ts';
import type { Clock } from '../core/clock.ts';
import { CircuitOpenError, StepTimeoutError } from '../core/errors.ts';
import type { Logger } from '../core/logger.ts';
import type { EngineEvents } from './events.ts';
import type { FetchLike } from './step-context.ts';

/** A request refused while a trial is under way asks again this soon (the trial's end is unknown). */
export const TRIAL_WAIT_MS = 1_000;

export class CircuitBreakers {
  private readonly circuits = new Map<string, CircuitState>();
  /** Requests waiting for one of their host's requests in flight to end (see core/circuit-breaker.ts). */
  private readonly waiting = new Map<string, Set<() => void>>();

  constructor(
    private readonly clock: Clock,
    private readonly events: EngineEvents,
    private readonly logger: Logger,
  ) {}

  /** The circuit of `host` as it is now (closed when nothing was called there yet). */
  state(host: string): CircuitState {
    return this.circuits.get(host) ?? closedCircuit;
  }

  /** `fetch` behind the breaker of each request's host, under `settings`; `runbookId` labels refusals. */
  guard(fetch: FetchLike | undefined, settings: CircuitSettings, runbookId: string): FetchLike {
    return async (url, init) => {
      const host = hostOf(url);
      const trial = await this.admitted(host, settings, runbookId, init?.signal ?? undefined);
      let res: Response;
      try {
        res = await (fetch ?? globalThis.fetch)(url, init);
      } catch (err) {
        if (saysNothingAboutHost(init?.signal)) this.update(host, (c) => recordAbandoned(c, trial));
        else this.update(host, (c) => recordFailure(c, this.clock.now().getTime(), settings));
        throw err;
      }
      if (res.status >= 500) this.update(host, (c) => recordFailure(c, this.clock.now().getTime(), settings));
      else this.update(host, recordSuccess);
      return res;
    };
  }

  /** Resolves when the request may go (true: as the trial); throws CircuitOpenError when refused. */
  private async admitted(
    host: string,
    settings: CircuitSettings,
    runbookId: string,
    signal: AbortSignal | undefined,
  ): Promise<boolean> {
    for (;;) {
      signal?.throwIfAborted();
      const now = this.clock.now();
      let admission: Admission | undefined;
      this.update(host, (c) => {
        const r = admit(c, now.getTime(), settings, TRIAL_WAIT_MS);
        admission = r.admission;
        return r.circuit;
      });
      const a = admission!;
      if (a.admit) return a.trial;
      if (a.wait) {
        await this.nextOutcome(host, signal);
        continue;
      }
      this.events.emit('circuit.rejected', { host, runbookId });
      const { failures } = this.state(host);
      const halfOpensAt = a.halfOpensAt === null ? null : new Date(a.halfOpensAt);
      throw new CircuitOpenError(host, failures, new Date(a.retryAt), halfOpensAt, now);
    }
  }

  /** Resolves when a request to `host` ends (or rejects when `signal` aborts). */
  private nextOutcome(host: string, signal: AbortSignal | undefined): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const waiters = this.waiting.get(host) ?? new Set<() => void>();
      this.waiting.set(host, waiters);
      const onAbort = () => {
        waiters.delete(wake);
        reject(signal?.reason);
      };
      const wake = () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      };
      waiters.add(wake);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  private update(host: string, change: (c: CircuitState) => CircuitState): void {
    const before = this.state(host);
    const after = change(before);
    this.circuits.set(host, after);
    if (after.inFlight < before.inFlight) this.wakeWaiters(host);
    if (after.state === before.state) return;
    const halfOpensAt = after.state === 'open' ? new Date(after.halfOpensAt) : null;
    if (after.state === 'open') {
      this.logger.warn('circuit opened: requests to this host are refused until it half-opens', {
        host,
        failures: after.failures,
        halfOpensAt: halfOpensAt!.toISOString(),
      });
    } else this.logger.info(`circuit ${after.state.replace('_', '-')}`, { host });
    this.events.emit('circuit.changed', { host, state: after.state, failures: after.failures, halfOpensAt });
  }

  private wakeWaiters(host: string): void {
    const waiters = this.waiting.get(host);
    if (!waiters) return;
    this.waiting.delete(host);
    for (const wake of waiters) wake();
  }
}

/** scheme://host:port, the default port left out (URL's origin): what one breaker stands for. */
export function hostOf(url: string | URL): string {
  try {
    return new URL(String(url)).origin;
  } catch {
    return String(url);
  }
}

/**
 * A request aborted by its caller (a cancelled run, a lost lease) says nothing about the host; one
 * aborted because it took too long (the step's timeout, AbortSignal.timeout) counts as a failure.
 */
function saysNothingAboutHost(signal: AbortSignal | null | undefined): boolean {
  if (!signal?.aborted) return false;
  const reason: unknown = signal.reason;
  const timedOut =
    reason instanceof StepTimeoutError || (reason instanceof Error && reason.name === 'TimeoutError');
  return !timedOut;
}
