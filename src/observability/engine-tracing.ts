// OpenTelemetry spans from the engine's lifecycle events: one span per run execution in this process
// (from start or claim to finish, park or lost lease) and, as its children, one span per step attempt.
// A run that parks and resumes (maybe on another worker) gets a new run span: no parent is kept across
// parks; the `run.id` attribute links them. Only subscribed when tracing is configured.
import {
  type Attributes,
  ROOT_CONTEXT,
  type Span,
  SpanStatusCode,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import type { EngineEvents, StepRef } from '../engine/events.ts';

interface OpenRun {
  span: Span;
  epoch: number;
  /** What the run span ends with when released without finishing or parking. */
  outcome: 'finished' | 'parked' | null;
  /** The attempt in flight per step key (attempts of one step never overlap). */
  steps: Map<string, Span>;
}

export interface TraceOptions {
  workerId: string;
}

/** Subscribes to one engine's events; returns a function that stops it (open spans are ended). */
export function traceEngine(events: EngineEvents, tracer: Tracer, opts: TraceOptions): () => void {
  const runs = new Map<string, OpenRun>();

  const endSteps = (run: OpenRun, step: string | null, message: string | null) => {
    for (const [key, span] of run.steps) {
      if (step !== null && key !== step) continue;
      if (message) span.setStatus({ code: SpanStatusCode.ERROR, message });
      span.end();
      run.steps.delete(key);
    }
  };
  const endRun = (runId: string, run: OpenRun) => {
    endSteps(run, null, 'interrupted: the run stopped here before the attempt ended');
    if (!run.outcome) {
      run.span.setStatus({
        code: SpanStatusCode.ERROR,
        message: 'released before finishing or parking (lease lost, cancelled, or the worker stopped)',
      });
    }
    run.span.end();
    runs.delete(runId);
  };
  const endStep = (e: StepRef, attrs: Attributes, error: string | null) => {
    const run = runs.get(e.runId);
    const span = run?.steps.get(e.step);
    if (!run || !span) return false;
    span.setAttributes(attrs);
    if (error) span.setStatus({ code: SpanStatusCode.ERROR, message: error });
    span.end();
    run.steps.delete(e.step);
    return true;
  };

  const offs = [
    events.on('run.executing', (e) => {
      const open = runs.get(e.runId);
      if (open) endRun(e.runId, open);
      const attributes: Attributes = {
        'run.id': e.runId,
        'runbook.id': e.runbookId,
        'run.epoch': e.epoch,
        'worker.id': opts.workerId,
      };
      if (e.incidentId) attributes['incident.id'] = e.incidentId;
      const span = tracer.startSpan(`run ${e.runbookId}`, { attributes }, ROOT_CONTEXT);
      runs.set(e.runId, { span, epoch: e.epoch, outcome: null, steps: new Map() });
    }),
    events.on('run.parked', (e) => {
      const run = runs.get(e.runId);
      if (!run) return;
      run.outcome = 'parked';
      run.span.setAttributes({ 'run.status': 'waiting', 'run.wake_at': e.wakeAt?.toISOString() ?? 'none' });
    }),
    events.on('run.finished', (e) => {
      const run = runs.get(e.runId);
      if (!run) return;
      run.outcome = 'finished';
      run.span.setAttributes({ 'run.status': e.status, 'run.duration_ms': e.durationMs });
      if (e.status !== 'succeeded')
        run.span.setStatus({ code: SpanStatusCode.ERROR, message: `run ${e.status}` });
    }),
    events.on('run.released', (e) => {
      const run = runs.get(e.runId);
      if (run && run.epoch === e.epoch) endRun(e.runId, run);
    }),
    events.on('step.started', (e) => {
      const run = runs.get(e.runId);
      if (!run) return;
      // A mitigation's verify follows its apply: the apply attempt ended successfully.
      endSteps(run, e.step, null);
      const attributes: Attributes = {
        'run.id': e.runId,
        'runbook.id': e.runbookId,
        'step.name': e.step,
        'step.kind': e.kind,
        'step.attempt': e.attempt,
      };
      const parent = trace.setSpan(ROOT_CONTEXT, run.span);
      run.steps.set(e.step, tracer.startSpan(`step ${e.step}`, { attributes }, parent));
    }),
    events.on('step.retrying', (e) => {
      endStep(e, { 'step.status': 'retrying', 'step.retry_delay_ms': e.delayMs }, e.error);
    }),
    events.on('step.finished', (e) => {
      const failed = e.status !== 'succeeded' && e.status !== 'skipped';
      const error = failed ? (e.error ?? `step ${e.status}`) : null;
      // Skipped steps and settled approval gates ran no attempt: they show as events of the run span.
      if (!endStep(e, { 'step.status': e.status }, error)) {
        runs.get(e.runId)?.span.addEvent('step.finished', { 'step.name': e.step, 'step.status': e.status });
      }
    }),
    events.on('approval.requested', (e) => {
      runs
        .get(e.runId)
        ?.span.addEvent('approval.requested', { 'step.name': e.step, 'approval.id': e.approvalId });
    }),
    events.on('mitigation.applied', (e) => {
      const run = runs.get(e.runId);
      if (!run) return;
      run.steps.get(e.step)?.setAttribute('step.status', 'applied');
      endSteps(run, e.step, null);
      run.span.addEvent('mitigation.applied', { 'step.name': e.step });
    }),
    events.on('mitigation.reverted', (e) => {
      const run = runs.get(e.runId);
      if (!run) return;
      run.steps.get(e.step)?.setAttribute('step.status', e.status);
      endSteps(run, e.step, e.status === 'revert_failed' ? 'revert failed' : null);
      run.span.addEvent('mitigation.reverted', { 'step.name': e.step, 'mitigation.status': e.status });
    }),
  ];
  return () => {
    for (const off of offs) off();
    for (const [runId, run] of runs) endRun(runId, run);
  };
}
