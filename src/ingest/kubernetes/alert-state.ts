// What the watcher has told the ingest path is firing, kept so that only changes are sent: an alert
// fires once, resolves once, and a resumed watch or a re-list repeats nothing. The database's open
// alerts of source `kubernetes` are the truth it starts from (loadOpen), so a restart or a new leader
// resolves what stopped holding while nobody watched.
import type { KubernetesBatch } from '../sources/kubernetes.ts';
import { type KubeAlert, type KubeResource, locate } from './conditions.ts';

/** An alert as the database keeps it open: what a resolve of it needs. */
export type OpenAlert = Omit<KubeAlert, 'objectKey' | 'startsAt'>;

/** Hands one group's changes to the ingest path (one batch, committed before it resolves). */
export type SendBatch = (batch: KubernetesBatch) => Promise<void>;

interface Held {
  alert: OpenAlert;
  objectKey: string;
  resource: KubeResource;
}

export class AlertState {
  private readonly firing = new Map<string, Held>();
  /** Changes go out one at a time, in the order the watch saw them. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly send: SendBatch,
    private readonly now: () => Date,
  ) {}

  get size(): number {
    return this.firing.size;
  }

  /** Starts over from the alerts the database has open (a new leader, a restart). */
  loadOpen(open: readonly OpenAlert[]): void {
    this.firing.clear();
    for (const alert of open) {
      const where = locate(alert.labels);
      if (where) this.firing.set(alert.fingerprint, { alert, ...where });
    }
  }

  /** The alerts that hold for one object now: new ones fire, its others resolve. */
  object(resource: KubeResource, objectKey: string, alerts: readonly KubeAlert[]): Promise<void> {
    return this.serial(() =>
      this.apply(alerts, (h) => h.resource === resource && h.objectKey === objectKey, resource),
    );
  }

  /** A full list of `resource` within `inScope`: whatever fires there and is not in `alerts` resolves. */
  relist(
    resource: KubeResource,
    inScope: (labels: Record<string, string>) => boolean,
    alerts: readonly KubeAlert[],
  ): Promise<void> {
    return this.serial(() =>
      this.apply(alerts, (h) => h.resource === resource && inScope(h.alert.labels), resource),
    );
  }

  private serial(fn: () => Promise<void>): Promise<void> {
    const next = this.queue.then(fn);
    this.queue = next.catch(() => {});
    return next;
  }

  private async apply(
    alerts: readonly KubeAlert[],
    covers: (h: Held) => boolean,
    resource: KubeResource,
  ): Promise<void> {
    const holding = new Set(alerts.map((a) => a.fingerprint));
    const batches = new Map<string, KubernetesBatch>();
    const add = (a: OpenAlert, status: 'firing' | 'resolved', startsAt: Date | null) => {
      const batch = batches.get(a.groupKey) ?? {
        groupKey: a.groupKey,
        title: a.title,
        severity: a.groupLabels.severity ?? null,
        groupLabels: a.groupLabels,
        alerts: [],
      };
      batch.alerts.push({
        fingerprint: a.fingerprint,
        status,
        labels: a.labels,
        annotations: a.annotations,
        startsAt: startsAt?.toISOString() ?? null,
        endsAt: status === 'resolved' ? this.now().toISOString() : null,
      });
      batches.set(a.groupKey, batch);
    };
    const fired: Held[] = [];
    for (const a of alerts) {
      if (this.firing.has(a.fingerprint)) continue;
      add(a, 'firing', a.startsAt);
      fired.push({ alert: a, objectKey: a.objectKey, resource });
    }
    for (const [fingerprint, h] of this.firing) {
      if (!holding.has(fingerprint) && covers(h)) {
        add(h.alert, 'resolved', null);
      }
    }
    // Firing before resolved within a group: a batch that resolves one alert and fires another keeps
    // its incident open.
    for (const batch of batches.values()) {
      batch.alerts.sort((x, y) => (x.status === y.status ? 0 : x.status === 'firing' ? -1 : 1));
      await this.send(batch);
      // Recorded per committed batch: a failure leaves the rest to the next re-list.
      for (const a of batch.alerts) {
        if (a.status === 'resolved') this.firing.delete(a.fingerprint);
        else {
          const h = fired.find((f) => f.alert.fingerprint === a.fingerprint);
          if (h) this.firing.set(a.fingerprint, h);
        }
      }
    }
  }
}
