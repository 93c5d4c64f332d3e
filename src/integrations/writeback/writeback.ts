// PagerDuty and Grafana write-back, wired into a process that executes runs (`serve`, `firebreak
// worker`): the follower turns engine (and, in serve, ingest) events into outbox rows, and the deliverer
// sends the rows of any process, so a row queued by a worker that died is sent by another.

import type { Clock } from '../../core/clock.ts';
import type { Logger } from '../../core/logger.ts';
import type { Redactor } from '../../core/redact.ts';
import type { Engine } from '../../engine/engine.ts';
import type { Ingestor } from '../../ingest/ingest.ts';
import type { RunbookRegistry } from '../../runbooks/registry.ts';
import type { DbDriver } from '../../store/database.ts';
import { databaseOf, incidentStoreOf } from '../../store/database.ts';
import type { Store } from '../../store/store.ts';
import { grafanaClient } from '../grafana/client.ts';
import { pagerDutyClient } from '../pagerduty/client.ts';
import { WritebackDeliverer } from './deliverer.ts';
import { WritebackFollower } from './follower.ts';
import { WritebackOutbox } from './outbox.ts';
import { grafanaSender, pagerDutySender, type Sender } from './senders.ts';
import type { WritebackSettings } from './settings.ts';

export interface WriteBack {
  outbox: WritebackOutbox;
  follower: WritebackFollower;
  deliverer: WritebackDeliverer;
  /** Stop the engine first: this waits for listeners, queues what is left, then stops delivering. */
  close(): Promise<void>;
}

/** What write-back needs of the process's firebreak (a Firebreak is one). */
export interface WriteBackHost {
  engine: Pick<Engine, 'clock' | 'events'>;
  store: Pick<Store, 'getRun' | 'getSteps'> & { readonly driver: DbDriver };
  registry: RunbookRegistry;
}

export interface WriteBackDeps {
  fb: WriteBackHost;
  logger: Logger;
  redact: Redactor;
  clock?: Clock;
  /** serve: incidents opened and resolved become Grafana annotations. */
  ingestor?: Ingestor;
  /** Behind the clients (default global fetch, each call limited to 10 s). */
  fetch?: typeof fetch;
}

export function startWriteBack(settings: WritebackSettings, deps: WriteBackDeps): WriteBack {
  const clock = deps.clock ?? deps.fb.engine.clock;
  const logger = deps.logger.child({ component: 'writeback' });
  const outbox = new WritebackOutbox(databaseOf(deps.fb.store), clock, deps.redact);
  const follower = new WritebackFollower({
    outbox,
    store: deps.fb.store,
    incidents: incidentStoreOf(deps.fb.store),
    registry: deps.fb.registry,
    clock,
    logger,
    pagerduty: settings.pagerduty ? { resolve: settings.pagerduty.resolve } : null,
    grafana: settings.grafana ? { dashboardUID: settings.grafana.dashboardUID } : null,
    publicUrl: settings.publicUrl,
  });
  const base = deps.fetch ?? fetch;
  const limited: typeof fetch = (url, init) => base(url, { ...init, signal: AbortSignal.timeout(10_000) });
  const now = () => clock.now();
  const senders: { pagerduty?: Sender; grafana?: Sender } = {};
  if (settings.pagerduty) {
    const { token, from, apiUrl } = settings.pagerduty;
    senders.pagerduty = pagerDutySender(pagerDutyClient({ fetch: limited, token, from, apiUrl, now }));
  }
  if (settings.grafana) {
    const { url, token } = settings.grafana;
    senders.grafana = grafanaSender(grafanaClient({ fetch: limited, url, token, now }), outbox);
  }
  const deliverer = new WritebackDeliverer({
    outbox,
    senders,
    clock,
    logger,
    retry: settings.retry,
    pollMs: settings.pollMs,
  });
  const unfollow = follower.follow(deps.fb.engine.events);
  deps.ingestor?.onAccepted((r) => follower.incidentChanged(r.incidentId, r.outcome));
  outbox.onEnqueued(() => deliverer.poke());
  deliverer.start();
  return {
    outbox,
    follower,
    deliverer,
    async close() {
      unfollow();
      await follower.close();
      await deliverer.stop();
    },
  };
}
