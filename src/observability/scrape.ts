// What /metrics answers: the event-fed series plus the values read at scrape time (database gauges,
// this process's active runs, Slack's delivery counts). Database gauges are database-wide, so every
// process reports the same value: aggregate them with max(), not sum().

import type { Logger } from '../core/logger.ts';
import type { Db } from '../store/database.ts';
import { oldestHistoryAge, pendingApprovalCount } from '../store/health.ts';
import { type BudgetSpec, refreshBudgetGauges } from './budget-metrics.ts';
import type { FirebreakMetrics } from './metrics.ts';

/** SlackCounters (src/integrations/slack/counters.ts), read through its snapshot. */
export interface SlackDeliveryCounts {
  snapshot(): { failedAttempts: number; rateLimited: number; abandoned: number };
}

/** WritebackDeliverer (src/integrations/writeback/deliverer.ts): totals per service. */
export interface WritebackDeliveryCounts {
  snapshot(): Record<
    string,
    { delivered: number; failedAttempts: number; rateLimited: number; abandoned: number }
  >;
}

export interface ScrapeSources {
  driver: Db;
  /** IncidentStore.counts(): firing incidents (drills excluded) and unreplayed dead letters. */
  incidents: { counts(): Promise<{ activeIncidents: number; deadLetters: number }> };
  engine: { readonly activeRuns: number };
  logger: Logger;
  /** The mitigation budgets of the loaded runbooks (budget-metrics.ts) and the engine's now. */
  budgets?: () => { specs: readonly BudgetSpec[]; now: Date };
}

export class MetricsScraper {
  private slack: SlackDeliveryCounts | null = null;
  private writeback: WritebackDeliveryCounts | null = null;

  constructor(
    readonly metrics: FirebreakMetrics,
    private readonly sources: ScrapeSources,
  ) {}

  /** Slack starts after the engine (it needs it), so its counters arrive later, when configured. */
  watchSlack(counters: SlackDeliveryCounts): void {
    this.slack = counters;
  }

  /** PagerDuty and Grafana write-back, when configured. */
  watchWriteBack(counts: WritebackDeliveryCounts): void {
    this.writeback = counts;
  }

  get contentType(): string {
    return this.metrics.contentType;
  }

  async render(): Promise<string> {
    await this.refresh();
    return this.metrics.registry.metrics();
  }

  private async refresh(): Promise<void> {
    const m = this.metrics;
    m.activeRuns.set(this.sources.engine.activeRuns);
    this.refreshSlack();
    this.refreshWriteBack();
    try {
      const [counts, pending, oldest] = await Promise.all([
        this.sources.incidents.counts(),
        pendingApprovalCount(this.sources.driver),
        oldestHistoryAge(this.sources.driver),
      ]);
      m.approvalsPending.set(pending);
      m.oldestHistory.set(Math.max(0, oldest));
      m.activeIncidents.set(counts.activeIncidents);
      m.deadLetters.set(counts.deadLetters);
      const budgets = this.sources.budgets?.();
      if (budgets) await refreshBudgetGauges(m, this.sources.driver, budgets.specs, budgets.now);
      m.dbUp.set(1);
    } catch (err) {
      // A stale gauge would look healthy: drop the values and say why (firebreak_db_up 0).
      m.approvalsPending.reset();
      m.activeIncidents.reset();
      m.deadLetters.reset();
      m.oldestHistory.reset();
      m.budgetUsed.reset();
      m.dbUp.set(0);
      this.sources.logger.warn('metrics: database gauges unavailable', { error: (err as Error).message });
    }
  }

  private refreshSlack(): void {
    if (!this.slack) return;
    const s = this.slack.snapshot();
    const c = this.metrics.slackFailures;
    // The integration keeps the totals; the counter mirrors them (they only ever grow).
    c.reset();
    c.inc({ reason: 'attempt_failed' }, s.failedAttempts);
    c.inc({ reason: 'rate_limited' }, s.rateLimited);
    c.inc({ reason: 'abandoned' }, s.abandoned);
  }

  private refreshWriteBack(): void {
    if (!this.writeback) return;
    const c = this.metrics.writebackDeliveries;
    c.reset();
    for (const [service, n] of Object.entries(this.writeback.snapshot())) {
      c.inc({ service, outcome: 'delivered' }, n.delivered);
      c.inc({ service, outcome: 'attempt_failed' }, n.failedAttempts);
      c.inc({ service, outcome: 'rate_limited' }, n.rateLimited);
      c.inc({ service, outcome: 'abandoned' }, n.abandoned);
    }
  }
}
