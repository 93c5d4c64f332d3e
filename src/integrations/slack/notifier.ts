// What the engine, the decision path and ingest tell Slack, turned into outbox rows. Nothing here waits
// for Slack: each call is an insert, queued in the order things happened (see threads.ts for where each
// message goes). Approval requests are posted in the channel itself, where approvers see them.
import type { RunInfo } from '../../dsl/types.ts';
import type { EngineEvents } from '../../engine/events.ts';
import type { Notifier } from '../../engine/notifier.ts';
import type { IngestOutcome } from '../../ingest/ingest.ts';
import type { ApprovalDecision, ApprovalRecord } from '../../store/records.ts';
import { approvalRequestMessage, esc, incidentMessage, when, who } from './messages.ts';
import { followRuns } from './progress.ts';
import { silencesOn } from './silence-action.ts';
import { ids, SlackThreads, type SlackThreadsDeps } from './threads.ts';

export class SlackNotifier implements Notifier {
  private readonly threads: SlackThreads;

  constructor(deps: SlackThreadsDeps) {
    this.threads = new SlackThreads(deps);
  }

  private get deps(): SlackThreadsDeps {
    return this.threads.deps;
  }

  /**
   * A notify step: a line in the run's thread, or a message in the channel the step names. Its text is
   * built from alert and run data, so it is escaped: `<!channel>`, `<@U…>` and `<url|label>` arrive as
   * text (Slack still links a bare URL, and *bold* and `code` still format).
   */
  async notify(run: RunInfo, message: string, channel: string | undefined): Promise<boolean> {
    const text = esc(message);
    try {
      await this.threads.serial(async () => {
        if (!channel) return this.threads.say(run, { text });
        await this.deps.outbox.enqueue({ kind: 'post', channel, body: { text }, ...ids(run) });
      });
      return true;
    } catch (err) {
      this.deps.logger.warn('slack message not queued', { runId: run.id, error: (err as Error).message });
      return false;
    }
  }

  async approvalRequested(
    run: RunInfo,
    approvalId: string,
    step: string,
    summary: string | null,
  ): Promise<void> {
    await this.threads.serial(async () => {
      const approval = await this.deps.store.getApproval(approvalId);
      if (!approval) return;
      const t = await this.threads.threadOf(run);
      const mitigation = this.threads.kindOf(run, step) === 'mitigation';
      const body = approvalRequestMessage({
        approval,
        run,
        title: this.threads.titleOf(run),
        step,
        summary,
        mitigation,
      });
      // In the channel, not the thread; ordered with the thread so that updates come after it.
      const key = `approval:${approvalId}`;
      await this.deps.outbox.enqueue({
        kind: 'post',
        key,
        thread: t.thread,
        channel: t.channel,
        body,
        ...ids(run),
      });
      await this.threads.say(run, {
        text: `:raised_hand: \`${esc(step)}\` waits for approval \`${approvalId}\``,
      });
    });
  }

  /** Run progress from this process's engine; returns a function that stops following. */
  follow(events: EngineEvents): () => void {
    return followRuns(events, this.threads);
  }

  /** Approvals.onDecision: a recorded decision, from any surface, shows in the thread and on the request. */
  decided(approval: ApprovalRecord, decision: ApprovalDecision | undefined): void {
    this.threads.later('approval.decision', async () => {
      const run = await this.threads.runInfo(approval.runId);
      if (!run) return;
      if (decision) {
        const reason = decision.reason ? `: _${esc(decision.reason)}_` : '';
        const by = `${who(decision.by)} via ${decision.via}`;
        await this.threads.say(run, {
          text: `:ballot_box_with_check: \`${esc(approval.stepKey)}\`: ${decision.decision} by ${by}${reason}`,
        });
      }
      await this.threads.refresh(run, approval.id);
    });
  }

  /** Ingest: a new incident gets its message; resolving or reopening it is said in its thread. */
  incidentChanged(incidentId: string, outcome: IngestOutcome): void {
    if (outcome !== 'opened' && outcome !== 'reopened' && outcome !== 'resolved') return;
    this.threads.later(`incident.${outcome}`, async () => {
      const incident = await this.deps.incidents.get(incidentId);
      if (!incident) return;
      const { channel, root } = await this.threads.incidentRoot(incident);
      if (outcome === 'opened') return;
      const text =
        outcome === 'resolved'
          ? `:white_check_mark: incident resolved ${when(incident.resolvedAt ?? new Date())}`
          : ':repeat: incident fired again: reopened';
      const about = { incidentId, thread: root, channel };
      await this.deps.outbox.enqueue({ kind: 'post', replyTo: root, body: { text }, ...about });
      await this.deps.outbox.enqueue({
        kind: 'update',
        target: root,
        body: incidentMessage(incident, { silence: silencesOn(this.deps.registry) }),
        ...about,
      });
    });
  }

  /** Waits until everything asked so far is queued. */
  close(): Promise<void> {
    return this.threads.close();
  }
}
