// One runbook run under test, started by testRunbook (start.ts). The test drives it (decide gates, move
// time) and reads what a person would look at afterwards: steps, evidence, the journal, reverts and the
// postmortem. Every method reads fresh from the database.
import type { ManualClock } from '../core/clock.ts';
import { type Duration, parseDuration } from '../core/duration.ts';
import { isTerminalRun, type StepStatus } from '../core/status.ts';
import type { Outputs } from '../dsl/types.ts';
import type { Firebreak } from '../firebreak.ts';
import type { ApprovalRecord, EventRecord, EvidenceRecord, RunRecord, StepRecord } from '../store/records.ts';
import { type ApprovalRules, type DeciderOptions, decide, ruleFor } from './approvals.ts';
import type { HttpStub } from './http-stub.ts';
import { type PostmortemDraft, postmortemFor } from './incident.ts';
import type { SentMessage } from './notifier.ts';
import type { SshStub } from './ssh-stub.ts';

/** What the run applied and reverted, in journal order. */
export interface MitigationEvent {
  step: string;
  at: Date;
  /** applied(): what apply returned. */
  applied?: unknown;
  /** reverts(): how the revert ended ("kept" when a cancel asked to keep mitigations). */
  outcome?: 'reverted' | 'revert_failed' | 'kept';
}

/** How the test drives the run: the gate rules of finish(), its decider, the rest deadline. */
export interface Driving {
  rules: ApprovalRules | undefined;
  decider: DeciderOptions;
  timeoutMs: number;
}

/** A started run under test. */
export class RunbookTest<S extends Outputs = Outputs> {
  /** What the game day's `inject` returned (with `gameDay` only). */
  injected: unknown;

  constructor(
    /** The whole firebreak instance, for anything the helpers do not cover. */
    readonly firebreak: Firebreak,
    /** The id of the run under test. */
    readonly runId: string,
    /** The clock the engine reads; move it with `advance`, not directly, so the engine looks again. */
    readonly clock: ManualClock,
    /** Every request the run made, and the routes that answered it. */
    readonly http: HttpStub,
    /** Every command the run ran on a host, and the routes that answered it (empty with real hosts). */
    readonly ssh: SshStub,
    /** What notify steps sent and which approvals were announced, in order (Slack is not involved). */
    readonly messages: readonly SentMessage[],
    private readonly driving: Driving,
  ) {}

  /** The run as it is now. */
  async run(): Promise<RunRecord> {
    const run = await this.firebreak.store.getRun(this.runId);
    if (!run) throw new Error(`run ${this.runId} not found`);
    return run;
  }

  /**
   * Waits until the run is at rest: finished, waiting for a decision, or parked on a timer that is not
   * due. Polls with a deadline and wakes on engine events; it never sleeps a fixed time.
   */
  async idle(): Promise<RunRecord> {
    const { engine } = this.firebreak;
    const deadline = Date.now() + this.driving.timeoutMs;
    for (;;) {
      const run = await this.run();
      const busy = engine.activeRuns > 0;
      if (!busy && isTerminalRun(run.status)) return run;
      const due = run.wakeAt !== null && run.wakeAt <= this.clock.now();
      if (!busy && run.status !== 'running' && !due) return run;
      if (Date.now() > deadline) {
        throw new Error(
          `run ${this.runId} did not come to rest within ${this.driving.timeoutMs} ms (${run.status})`,
        );
      }
      engine.poke();
      await nextEngineEvent(this.firebreak, 25);
    }
  }

  /** Moves the clock (past a verify delay, a retry backoff, a gate's timeout), then waits for rest. */
  async advance(by: Duration): Promise<RunRecord> {
    this.clock.advance(parseDuration(by));
    this.firebreak.engine.poke();
    return this.idle();
  }

  /**
   * Drives the run to its end: decides gates by the `approvals` rules and moves the clock to each
   * timer. Fails, naming the gate, when a gate has no rule (decide it with approve/reject first).
   */
  async finish(opts: { maxTime?: Duration } = {}): Promise<RunRecord> {
    const limit = this.clock.now().getTime() + parseDuration(opts.maxTime ?? '7d');
    for (;;) {
      const run = await this.idle();
      if (isTerminalRun(run.status)) return run;
      const pending = await this.pendingApprovals();
      const now = pending.map((a) => [a, ruleFor(this.driving.rules, a.stepKey)] as const);
      const decisions = now.filter(([, r]) => r === 'approve' || r === 'reject');
      for (const [a, r] of decisions) {
        await decide(
          this.firebreak,
          this.clock,
          a,
          r as 'approve' | 'reject',
          reasonFor(r),
          this.driving.decider,
        );
      }
      if (decisions.length > 0) continue;
      const manual = now.filter(([, r]) => r === 'manual').map(([a]) => a.stepKey);
      if (manual.length > 0) {
        throw new Error(
          `run waits for approval of ${manual.join(', ')}: decide with approve()/reject(), or pass approvals`,
        );
      }
      if (!run.wakeAt) throw new Error(`run ${run.status} with nothing due: it waits for something outside`);
      if (run.wakeAt.getTime() > limit) throw new Error(`run is still ${run.status} past maxTime`);
      await this.advance(run.wakeAt.getTime() - this.clock.now().getTime());
    }
  }

  /** Approves the step's pending gate (as "test-approver", an admin, unless `by` is given). */
  async approve(step: string, who: DeciderOptions = {}): Promise<RunRecord> {
    await decide(this.firebreak, this.clock, await this.pendingGate(step), 'approve', null, who);
    return this.idle();
  }

  /** Rejects the step's pending gate; a rejection needs a reason. */
  async reject(step: string, reason = 'rejected in a test', who: DeciderOptions = {}): Promise<RunRecord> {
    await decide(this.firebreak, this.clock, await this.pendingGate(step), 'reject', reason, who);
    return this.idle();
  }

  /** Cancels the run (reverting what it applied unless `keepMitigations`) and waits for its end. */
  async cancel(opts: { keepMitigations?: boolean } = {}): Promise<RunRecord> {
    await this.firebreak.cancel(this.runId, opts);
    return this.idle();
  }

  /** Every step record of the run, mitigations and forEach items included. */
  async steps(): Promise<StepRecord[]> {
    return this.firebreak.store.getSteps(this.runId);
  }

  /** One step's record (forEach items are `name[0]`, `name[1]`…). */
  async step(key: string): Promise<StepRecord> {
    const s = (await this.steps()).find((x) => x.stepKey === key);
    if (!s) throw new Error(`run ${this.runId} has no step ${key}`);
    return s;
  }

  /** A committed step's output (a dry-run mitigation's is `{ dryRun: true, wouldApply }`). */
  async output<K extends keyof S & string>(name: K): Promise<S[K] | undefined> {
    const s = (await this.steps()).find((x) => x.stepKey === name);
    return s?.status === 'succeeded' ? (s.output as S[K]) : undefined;
  }

  /** Step statuses by step key: `expect(await t.statuses()).toEqual({ ... })`. */
  async statuses(): Promise<Record<string, StepStatus>> {
    return Object.fromEntries((await this.steps()).map((s) => [s.stepKey, s.status]));
  }

  /** Evidence the run attached (same-instant items in no particular order). */
  async evidence(): Promise<EvidenceRecord[]> {
    return this.firebreak.store.listEvidence({ runId: this.runId });
  }

  /** The run's journal, in commit order. */
  async events(): Promise<EventRecord[]> {
    return this.firebreak.store.listEvents({ runId: this.runId });
  }

  /** The journal as event types. */
  async journal(): Promise<string[]> {
    return (await this.events()).map((e) => e.type);
  }

  /** Mitigations applied, in the order they were applied. */
  async applied(): Promise<MitigationEvent[]> {
    return (await this.events())
      .filter((e) => e.type === 'mitigation.applied')
      .map((e) => ({ step: e.stepKey ?? '', at: e.at, applied: (e.data as { applied?: unknown }).applied }));
  }

  /** Reverts, in the order they happened (the saga reverts in reverse order of application). */
  async reverts(): Promise<MitigationEvent[]> {
    const kinds = {
      'mitigation.reverted': 'reverted',
      'mitigation.revert_failed': 'revert_failed',
      'mitigation.kept': 'kept',
    } as const;
    return (await this.events()).flatMap((e) => {
      const outcome = kinds[e.type as keyof typeof kinds];
      return outcome ? [{ step: e.stepKey ?? '', at: e.at, outcome }] : [];
    });
  }

  /** The run's gates with their policy and decisions. */
  async approvals(): Promise<ApprovalRecord[]> {
    return this.firebreak.store.listApprovals({ runId: this.runId });
  }

  /** Gates still waiting for a decision. */
  async pendingApprovals(): Promise<ApprovalRecord[]> {
    return (await this.approvals()).filter((a) => a.status === 'pending');
  }

  /** The postmortem draft of the run's incident (or of a stand-in incident when it has none). */
  async postmortem(): Promise<PostmortemDraft> {
    return postmortemFor(this.firebreak, this.clock, await this.run());
  }

  /** Stops the engine and drops the in-memory database. */
  async close(): Promise<void> {
    await this.firebreak.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  private async pendingGate(step: string): Promise<ApprovalRecord> {
    await this.idle();
    const gate = (await this.pendingApprovals()).find((a) => a.stepKey === step);
    if (!gate) {
      const open = (await this.pendingApprovals()).map((a) => a.stepKey);
      throw new Error(
        `no pending approval for ${step}${open.length ? ` (pending: ${open.join(', ')})` : ''}`,
      );
    }
    return gate;
  }
}

function reasonFor(rule: string): string | null {
  return rule === 'reject' ? 'rejected by the test rules' : null;
}

/** Resolves on the engine's next lifecycle event, or after `ms` (the polling fallback). */
function nextEngineEvent(fb: Firebreak, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const offs: (() => void)[] = [];
    const done = () => {
      clearTimeout(timer);
      for (const off of offs) off();
      resolve();
    };
    const timer = setTimeout(done, ms);
    const events = fb.engine.events;
    offs.push(events.on('run.parked', done), events.on('run.finished', done), events.on('run.claimed', done));
    offs.push(events.on('step.finished', done));
  });
}
