// Run progress in the run's Slack thread, from the engine's lifecycle events: steps started, done and
// failed (with the titles of their evidence), retries, mitigations applied and reverted, the end of the
// run. A settled gate also gets its request message updated, whoever decided it and wherever.
import { runFailure } from '../../core/failure.ts';
import type { RunInfo } from '../../dsl/types.ts';
import type { EngineEventMap, EngineEvents } from '../../engine/events.ts';
import { esc } from './messages.ts';
import type { SlackThreads } from './threads.ts';

/** Reports the runs of this process in their threads; returns a function that stops it. */
export function followRuns(events: EngineEvents, threads: SlackThreads): () => void {
  const p = new Progress(threads);
  const on = <K extends keyof EngineEventMap>(name: K, fn: (e: EngineEventMap[K]) => Promise<void>) =>
    events.on(name, (e) => threads.later(name, () => fn(e)));
  const offs = [
    on('step.started', (e) => p.stepStarted(e)),
    on('step.retrying', (e) => p.stepRetrying(e)),
    on('step.finished', (e) => p.stepFinished(e)),
    on('mitigation.applied', (e) => p.mitigationApplied(e)),
    on('mitigation.reverted', (e) => p.mitigationReverted(e)),
    on('run.finished', (e) => p.runFinished(e)),
  ];
  return () => {
    for (const off of offs) off();
  };
}

/** forEach items (`name[i]`) would flood the thread; their step reports when it is done. */
const isItem = (stepKey: string) => stepKey.includes('[');

class Progress {
  constructor(private readonly threads: SlackThreads) {}

  async stepStarted(e: EngineEventMap['step.started']): Promise<void> {
    if (e.attempt !== 1 || isItem(e.step)) return;
    const run = await this.threads.runInfo(e.runId);
    if (!run || this.threads.kindOf(run, e.step) === 'notify') return;
    await this.threads.say(run, { text: `:small_blue_diamond: \`${esc(e.step)}\` started` });
  }

  async stepRetrying(e: EngineEventMap['step.retrying']): Promise<void> {
    if (isItem(e.step)) return;
    const run = await this.threads.runInfo(e.runId);
    if (!run) return;
    const inS = Math.max(1, Math.round(e.delayMs / 1000));
    await this.threads.say(run, {
      text: `:repeat: \`${esc(e.step)}\` attempt ${e.attempt} failed: ${esc(e.error)}; retrying in ${inS} s`,
    });
  }

  async stepFinished(e: EngineEventMap['step.finished']): Promise<void> {
    if (isItem(e.step)) return;
    const run = await this.threads.runInfo(e.runId);
    if (!run) return;
    const kind = this.threads.kindOf(run, e.step);
    const step = `\`${esc(e.step)}\``;
    switch (e.status) {
      case 'succeeded':
        if (kind === 'notify') return;
        if (kind === 'approval') return this.gateSettled(run, e.step, `:white_check_mark: ${step} approved`);
        return this.threads.say(run, {
          text: `:white_check_mark: ${step} done${await this.evidence(run, e.step)}`,
        });
      case 'failed':
        return this.threads.say(run, {
          text: `:x: ${step} failed: ${esc(e.error ?? 'unknown error')}${await this.evidence(run, e.step)}`,
        });
      case 'skipped':
        return this.threads.say(run, { text: `:fast_forward: ${step} skipped` });
      case 'rejected':
      case 'expired':
        return this.gateSettled(run, e.step, `:no_entry: approval of ${step} ${e.status}`);
    }
  }

  async mitigationApplied(e: EngineEventMap['mitigation.applied']): Promise<void> {
    const run = await this.threads.runInfo(e.runId);
    if (!run) return;
    // A gate decided elsewhere (another process, the CLI) is passed by now: show the decision too.
    await this.gateSettled(run, e.step, `:warning: mitigation \`${esc(e.step)}\` applied`);
  }

  async mitigationReverted(e: EngineEventMap['mitigation.reverted']): Promise<void> {
    const run = await this.threads.runInfo(e.runId);
    if (!run) return;
    const step = `\`${esc(e.step)}\``;
    await this.threads.say(
      run,
      e.status === 'reverted'
        ? { text: `:leftwards_arrow_with_hook: ${step} reverted` }
        : { text: `:rotating_light: revert of ${step} FAILED: the change is still applied`, broadcast: true },
    );
  }

  async runFinished(e: EngineEventMap['run.finished']): Promise<void> {
    const run = await this.threads.runInfo(e.runId);
    if (!run) return;
    // revert_failed is loud: the thread reply shows in the channel too.
    const loud = e.status === 'revert_failed';
    const icon = e.status === 'succeeded' ? ':checkered_flag:' : loud ? ':rotating_light:' : ':stop_sign:';
    // A run that did not succeed says why: the failing step and its innermost cause.
    const failure =
      e.status === 'succeeded' ? null : runFailure((await this.threads.deps.store.getRun(e.runId))?.error);
    const why = failure ? `: ${esc(failure.summary)}` : '';
    await this.threads.say(run, { text: `${icon} run ${e.status.replace('_', ' ')}${why}`, broadcast: loud });
    this.threads.forget(e.runId);
  }

  private async gateSettled(run: RunInfo, stepKey: string, line: string): Promise<void> {
    await this.threads.say(run, { text: line });
    const gates = await this.threads.deps.store.listApprovals({ runId: run.id });
    for (const a of gates) {
      if (a.stepKey === stepKey && a.status !== 'pending') await this.threads.refresh(run, a.id);
    }
  }

  private async evidence(run: RunInfo, stepKey: string): Promise<string> {
    const titles = (await this.threads.deps.store.evidenceTitles(run.id, stepKey)).map((t) => `_${esc(t)}_`);
    return titles.length > 0 ? `\n:paperclip: evidence: ${titles.join(', ')}` : '';
  }
}
