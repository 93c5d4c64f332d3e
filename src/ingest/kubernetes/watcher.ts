// Kubernetes as an alert source (FIREBREAK_KUBERNETES_WATCH): Pods, Nodes and Deployments are watched
// and their bad states become alerts of source `kubernetes`, handed to the same Ingestor as webhook
// deliveries (parse → route → one commit with the incident and its runs). One replica watches: it holds
// the `kubernetes-watch` lease and keeps each stream's last resourceVersion in it, so the next holder
// resumes where it stopped (Nodes are listed again: a Node's NotReady minute may be running).
import { wait } from '../../core/abort.ts';
import type { Clock } from '../../core/clock.ts';
import type { Logger } from '../../core/logger.ts';
import { type RetryPolicy, retryPolicy } from '../../core/retry.ts';
import { TypedEvents } from '../../core/typed-events.ts';
import type { KubernetesEndpoint } from '../../integrations/kubernetes/endpoint.ts';
import type { Db } from '../../store/database.ts';
import { openKubernetesAlerts } from '../../store/ingest.ts';
import { type LeaseHolding, Leases } from '../../store/leases.ts';
import type { Ingestor } from '../ingest.ts';
import { AlertState } from './alert-state.ts';
import { KubernetesApi } from './api.ts';
import type { KubeResource } from './conditions.ts';
import { Informer, streamName, type WatcherEvents } from './informer.ts';

export const WATCH_LEASE = 'kubernetes-watch';

export interface KubernetesWatchOptions {
  endpoint: KubernetesEndpoint;
  /** Empty: every namespace. Nodes are cluster-scoped and always watched. */
  namespaces: readonly string[];
  ingestor: Ingestor;
  db: Db;
  clock: Clock;
  logger: Logger;
  /** This replica's name in the lease (the worker id). */
  holder: string;
  /** Lease length (default 15 s); renewed every third of it. */
  leaseMs?: number;
  /** Back-off between failed attempts (default 0.5 s doubling to 30 s, half of it jitter). */
  backoff?: Partial<RetryPolicy>;
  /** A watch silent this long is taken as dead (default 5 min). */
  idleMs?: number;
  /** Called when a batch resolved its incident (serve writes the postmortem draft, as for a webhook). */
  onResolved?: (incidentId: string) => void;
}

const RESOURCES: readonly KubeResource[] = ['pods', 'nodes', 'deployments'];

export class KubernetesWatcher {
  readonly events = new TypedEvents<WatcherEvents>('kubernetes watcher');
  private readonly leases: Leases;
  private readonly api: KubernetesApi;
  private readonly leaseMs: number;
  private readonly backoff: RetryPolicy;
  private readonly stop$ = new AbortController();
  private loop: Promise<void> | null = null;
  private holding: LeaseHolding | null = null;

  constructor(private readonly o: KubernetesWatchOptions) {
    this.leases = new Leases(o.db);
    this.api = new KubernetesApi(o.endpoint, o.idleMs);
    this.leaseMs = o.leaseMs ?? 15_000;
    this.backoff = retryPolicy({
      initialDelayMs: 500,
      backoffFactor: 2,
      maxDelayMs: 30_000,
      jitter: 0.5,
      ...o.backoff,
    });
  }

  /** Whether this replica holds the lease (and so watches). */
  get leading(): boolean {
    return this.holding !== null;
  }

  /** For the start-up banner: where and what. */
  describe(): string {
    const where = this.o.namespaces.length ? `namespaces ${this.o.namespaces.join(', ')}` : 'every namespace';
    return `pods, deployments in ${where} and nodes at ${this.o.endpoint.url} (${this.o.endpoint.source})`;
  }

  start(): void {
    this.loop ??= this.campaign(this.stop$.signal);
  }

  /** Stops watching and gives the lease up, so another replica takes over at once. */
  async stop(): Promise<void> {
    this.stop$.abort();
    await this.loop;
  }

  /** Tries for the lease every third of its length; leads while it holds it. */
  private async campaign(stop: AbortSignal): Promise<void> {
    while (!stop.aborted) {
      try {
        const h = await this.leases.acquire(WATCH_LEASE, this.o.holder, this.leaseMs, this.o.clock.now());
        if (h) await this.lead(h, stop);
      } catch (err) {
        this.o.logger.warn('kubernetes watch lease failed', { error: (err as Error).message });
      }
      await wait(this.leaseMs / 3, stop);
    }
  }

  private async lead(h: LeaseHolding, stop: AbortSignal): Promise<void> {
    this.holding = h;
    this.o.logger.info('kubernetes watch: leading', { holder: h.holder, takenOverFrom: h.takenOverFrom });
    this.events.emit('leading', { holder: h.holder, takenOverFrom: h.takenOverFrom });
    const lost = new AbortController();
    let lostLease = false;
    const signal = AbortSignal.any([stop, lost.signal]);
    const saved = (h.state.resourceVersions ?? {}) as Record<string, string>;
    const reached: Record<string, string> = {};
    const state = new AlertState(
      (batch) => this.send(batch),
      () => this.o.clock.now(),
    );
    const informers: Promise<void>[] = [];
    try {
      state.loadOpen(await openKubernetesAlerts(this.o.db));
      const namespaces: (string | null)[] = this.o.namespaces.length ? [...this.o.namespaces] : [null];
      for (const resource of RESOURCES) {
        for (const namespace of resource === 'nodes' ? [null] : namespaces) {
          const informer = new Informer({
            api: this.api,
            state,
            resource,
            namespace,
            clock: this.o.clock,
            logger: this.o.logger,
            backoff: this.backoff,
            events: this.events,
            resumeFrom: resource === 'nodes' ? undefined : saved[streamName(resource, namespace)],
            reached: (rv) => {
              reached[streamName(resource, namespace)] = rv;
            },
          });
          informers.push(informer.run(signal));
        }
      }
      // Renew until the lease is lost or the process stops; each renewal keeps the resourceVersions.
      while (!signal.aborted) {
        await wait(this.leaseMs / 3, signal);
        if (signal.aborted) break;
        const ok = await this.leases
          .renew(h, this.leaseMs, this.o.clock.now(), { resourceVersions: { ...saved, ...reached } })
          .catch((err: unknown) => {
            this.o.logger.warn('kubernetes watch lease renewal failed', { error: (err as Error).message });
            return true; // the lease may still be ours: try again; expiry decides
          });
        if (!ok) {
          lostLease = true;
          lost.abort();
        }
      }
    } finally {
      lost.abort();
      await Promise.allSettled(informers);
      this.holding = null;
      if (!lostLease) {
        await this.leases
          .release(h, this.o.clock.now(), { resourceVersions: { ...saved, ...reached } })
          .catch(() => {});
      }
      if (lostLease) {
        this.o.logger.warn('kubernetes watch: lease lost', { holder: h.holder });
        this.events.emit('lost', { holder: h.holder });
      }
    }
  }

  /** Through the one ingest path; anything but a commit is an error, so the change is tried again. */
  private async send(batch: unknown): Promise<void> {
    const raw = JSON.stringify(batch);
    const result = await this.o.ingestor.ingest('kubernetes', raw, batch, new Headers());
    if (result.kind === 'schema')
      throw new Error(`kubernetes batch refused: ${JSON.stringify(result.issues)}`);
    if (result.kind !== 'accepted') {
      this.o.logger.warn('kubernetes alert kept as dead letter', { reason: result.reason });
    } else if (result.outcome === 'resolved') this.o.onResolved?.(result.incidentId);
  }
}
