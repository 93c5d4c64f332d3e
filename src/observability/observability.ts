// Metrics, and tracing when configured, for one engine: what `serve` and `worker` start beside it.
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import type { Config } from '../config/config.ts';
import type { Logger } from '../core/logger.ts';
import type { Engine } from '../engine/engine.ts';
import type { Pruner } from '../retention/pruner.ts';
import type { Approvals } from '../services/approvals/decide.ts';
import type { Db } from '../store/database.ts';
import { budgetSpecs, meterBudgets } from './budget-metrics.ts';
import { meterApprovalDecision, meterEngine, meterPruner } from './engine-metrics.ts';
import { traceEngine } from './engine-tracing.ts';
import { sampleEventLoopLag } from './event-loop-lag.ts';
import { FirebreakMetrics } from './metrics.ts';
import {
  MetricsScraper,
  type ScrapeSources,
  type SlackDeliveryCounts,
  type WritebackDeliveryCounts,
} from './scrape.ts';
import { otlpExporter, startTracing, type Tracing, tracingSettings } from './tracing.ts';

export interface ObservabilityDeps {
  config: Config;
  engine: Engine;
  driver: Db;
  incidents: ScrapeSources['incidents'];
  logger: Logger;
  /** Turns tracing on with this exporter whatever the configuration says (tests, embedding). */
  spanExporter?: SpanExporter | undefined;
}

export interface Observability {
  scraper: MetricsScraper;
  metrics: FirebreakMetrics;
  /** Null when tracing is off. */
  tracing: Tracing | null;
  /** Approval waits, from the decisions made through this process (the server; the worker has none). */
  watchApprovals(approvals: Approvals): void;
  watchSlack(counters: SlackDeliveryCounts): void;
  /** PagerDuty and Grafana write-back deliveries of this process. */
  watchWriteBack(counts: WritebackDeliveryCounts): void;
  /** Retention passes of this process. */
  watchPruner(pruner: Pruner): void;
  /** After the engine stopped: unsubscribes and exports the spans still buffered. */
  close(): Promise<void>;
}

export function startObservability(deps: ObservabilityDeps): Observability {
  const { config, engine, logger } = deps;
  const metrics = new FirebreakMetrics();
  const scraper = new MetricsScraper(metrics, {
    driver: deps.driver,
    incidents: deps.incidents,
    engine,
    logger,
    budgets: () => ({ specs: budgetSpecs(engine.registry), now: engine.clock.now() }),
  });
  const offs = [
    meterEngine(engine.events, metrics),
    meterBudgets(engine.events, metrics, budgetSpecs(engine.registry)),
    sampleEventLoopLag(metrics.eventLoopLag),
  ];

  const settings = tracingSettings(config);
  const exporter = deps.spanExporter ?? (settings ? otlpExporter(settings) : null);
  const tracing = exporter
    ? startTracing({
        serviceName: config.OTEL_SERVICE_NAME,
        exporter,
        attributes: { 'service.instance.id': engine.workerId },
      })
    : null;
  if (tracing) {
    offs.push(traceEngine(engine.events, tracing.tracer, { workerId: engine.workerId }));
    if (settings) logger.info('tracing: exporting spans over OTLP/HTTP', { url: settings.url });
  }

  let closed = false;
  return {
    scraper,
    metrics,
    tracing,
    watchApprovals: (approvals) => approvals.onDecision(meterApprovalDecision(metrics)),
    watchSlack: (counters) => scraper.watchSlack(counters),
    watchWriteBack: (counts) => scraper.watchWriteBack(counts),
    watchPruner: (pruner) => {
      offs.push(meterPruner(pruner, metrics));
    },
    async close() {
      if (closed) return;
      closed = true;
      for (const off of offs) off();
      await tracing?.shutdown().catch((err) => {
        logger.warn('tracing: exporting the last spans failed', { error: (err as Error).message });
      });
    },
  };
}
