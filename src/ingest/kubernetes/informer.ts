// One list-then-watch loop for one resource in one namespace (or cluster-wide): list, hand every
// object's alerts over, watch from the list's resourceVersion; after a dropped connection watch again
// from the last resourceVersion seen (events are not repeated); after 410 Gone list again; back off
// on errors, exponentially with jitter, capped.
import { wait } from '../../core/abort.ts';
import type { Clock } from '../../core/clock.ts';
import type { Logger } from '../../core/logger.ts';
import { type RetryPolicy, retryDelayMs } from '../../core/retry.ts';
import type { TypedEvents } from '../../core/typed-events.ts';
import type { AlertState } from './alert-state.ts';
import { type KubernetesApi, KubernetesApiError, type WatchEvent } from './api.ts';
import { evaluate, type KubeObject, type KubeResource, objectKey } from './conditions.ts';

export interface WatcherEvents {
  leading: { holder: string; takenOverFrom: string | null };
  lost: { holder: string };
  listed: { stream: string; resourceVersion: string; items: number };
  watching: { stream: string; resourceVersion: string };
  event: { stream: string; type: WatchEvent['type']; resourceVersion: string };
  gone: { stream: string };
  failed: { stream: string; error: string; retryInMs: number };
}

export interface InformerOptions {
  api: KubernetesApi;
  state: AlertState;
  resource: KubeResource;
  /** null: every namespace (and Nodes, which have none). */
  namespace: string | null;
  clock: Clock;
  logger: Logger;
  backoff: RetryPolicy;
  events: TypedEvents<WatcherEvents>;
  /** Where the previous holder stopped (resume without a list), if anywhere. */
  resumeFrom: string | undefined;
  /** Called with each resourceVersion reached, so the lease keeps it for the next leader. */
  reached: (resourceVersion: string) => void;
}

const GROUPS: Record<KubeResource, string> = {
  pods: '/api/v1',
  nodes: '/api/v1',
  deployments: '/apis/apps/v1',
};

/** A watch that ends sooner than this without an event counts as failed (and backs off). */
const EMPTY_STREAM_MS = 1_000;

export function streamName(resource: KubeResource, namespace: string | null): string {
  return namespace === null ? resource : `${resource}@${namespace}`;
}

export class Informer {
  readonly stream: string;
  private readonly path: string;
  /** Nodes NotReady for less than a minute, looked at again when their minute is up. */
  private readonly rechecks = new Map<string, AbortController>();

  constructor(private readonly o: InformerOptions) {
    this.stream = streamName(o.resource, o.namespace);
    const ns = o.namespace === null ? '' : `/namespaces/${encodeURIComponent(o.namespace)}`;
    this.path = `${GROUPS[o.resource]}${ns}/${o.resource}`;
  }

  async run(signal: AbortSignal): Promise<void> {
    let resourceVersion = this.o.resumeFrom;
    let failures = 0;
    try {
      while (!signal.aborted) {
        try {
          if (!resourceVersion) resourceVersion = await this.list(signal);
          this.o.events.emit('watching', { stream: this.stream, resourceVersion });
          const started = Date.now();
          let events = 0;
          await this.o.api.watch(this.path, resourceVersion, signal, async (e) => {
            resourceVersion = (await this.handle(e, signal)) ?? resourceVersion;
            events += 1;
            failures = 0;
          });
          // A stream that ends at once with nothing in it (a proxy cutting watches, say) is a failure:
          // watching again at once would hammer the API server.
          if (events === 0 && Date.now() - started < EMPTY_STREAM_MS) {
            throw new KubernetesApiError(0, `watch ${this.path} ended at once without an event`);
          }
        } catch (err) {
          if (signal.aborted) return;
          if (err instanceof KubernetesApiError && err.gone) {
            // The resourceVersion is older than the server keeps: only a new list knows the present.
            this.o.events.emit('gone', { stream: this.stream });
            resourceVersion = undefined;
            continue;
          }
          failures += 1;
          const retryInMs = retryDelayMs(this.o.backoff, failures + 1);
          const error = (err as Error).message;
          this.o.logger.warn('kubernetes watch failed', { stream: this.stream, error, retryInMs });
          this.o.events.emit('failed', { stream: this.stream, error, retryInMs });
          // Wall-clock time (how long the API server gets to recover), not the injected clock.
          await wait(retryInMs, signal);
        }
      }
    } finally {
      for (const c of this.rechecks.values()) c.abort();
    }
  }

  private async list(signal: AbortSignal): Promise<string> {
    const { items, resourceVersion } = await this.o.api.list(this.path, signal);
    const now = this.o.clock.now();
    const alerts = items.flatMap((item) => this.evaluate(item, now, signal));
    const ns = this.o.namespace;
    await this.o.state.relist(this.o.resource, (labels) => ns === null || labels.namespace === ns, alerts);
    this.o.reached(resourceVersion);
    this.o.events.emit('listed', { stream: this.stream, resourceVersion, items: items.length });
    return resourceVersion;
  }

  private async handle(e: WatchEvent, signal: AbortSignal): Promise<string | undefined> {
    const resourceVersion = e.object.metadata?.resourceVersion;
    if (e.type !== 'BOOKMARK') {
      const key = objectKey(this.o.resource, e.object);
      const alerts = e.type === 'DELETED' ? [] : this.evaluate(e.object, this.o.clock.now(), signal);
      if (e.type === 'DELETED') this.rechecks.get(key)?.abort();
      await this.o.state.object(this.o.resource, key, alerts);
    }
    if (resourceVersion) this.o.reached(resourceVersion);
    this.o.events.emit('event', {
      stream: this.stream,
      type: e.type,
      resourceVersion: resourceVersion ?? '',
    });
    return resourceVersion;
  }

  /** The object's alerts now; a Node not yet NotReady for a minute is looked at again when it is. */
  private evaluate(obj: KubeObject, now: Date, signal: AbortSignal) {
    const key = objectKey(this.o.resource, obj);
    const { alerts, recheckAt } = evaluate(this.o.resource, obj, now);
    this.rechecks.get(key)?.abort();
    this.rechecks.delete(key);
    if (recheckAt) {
      const c = new AbortController();
      this.rechecks.set(key, c);
      const both = AbortSignal.any([signal, c.signal]);
      this.o.clock
        .sleep(Math.max(0, recheckAt.getTime() - now.getTime()), both)
        .then(() => {
          if (both.aborted) return;
          this.rechecks.delete(key);
          const later = this.evaluate(obj, this.o.clock.now(), signal);
          return this.o.state.object(this.o.resource, key, later);
        })
        // Not lost: the next list (after any watch failure or a new leader) compares again.
        .catch((err: unknown) => {
          // An aborted wait is a newer look at the Node (or the end of the watch), not a failure.
          if (both.aborted) return;
          this.o.logger.warn('kubernetes recheck failed', {
            stream: this.stream,
            error: (err as Error).message,
          });
        });
    }
    return alerts;
  }
}
