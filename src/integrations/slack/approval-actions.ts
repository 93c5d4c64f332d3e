// The Approve / Reject buttons and the reject modal. Every decision goes through Approvals.decide, the one
// decision path with the one policy; Slack only says who clicked. Each listener acknowledges first, then
// decides, and tells the clicker privately when the decision was refused or came too late.
import type { App, BlockAction, ButtonAction, ViewSubmitAction } from '@slack/bolt';
import { NotFoundError } from '../../core/errors.ts';
import type { Logger } from '../../core/logger.ts';
import { Approvals } from '../../services/approvals/decide.ts';
import { mayDecide } from '../../services/approvals/policy.ts';
import type { Store } from '../../store/store.ts';
import { APPROVE_ACTION, REJECT_ACTION, REJECT_VIEW, rejectModal } from './messages.ts';
import type { SlackOutbox } from './outbox.ts';

export interface DecisionDeps {
  approvals: Approvals;
  store: Store;
  outbox: SlackOutbox;
  logger: Logger;
}

/**
 * Decides as the Slack user; returns what to tell them privately, or null when the decision was recorded
 * (the request message is updated for everyone to see).
 */
export async function decideAs(
  deps: DecisionDeps,
  userId: string,
  approvalId: string,
  decision: 'approve' | 'reject',
  reason: string | null,
): Promise<string | null> {
  try {
    const outcome = await deps.approvals.decide(approvalId, {
      decider: deps.approvals.decider('slack', userId),
      decision,
      reason,
    });
    if (outcome.outcome === 'recorded') return null;
    if (outcome.outcome === 'refused') {
      return `:no_entry: You cannot ${decision} \`${approvalId}\`: ${outcome.reason}. Your decision was not recorded.`;
    }
    return `:information_source: Too late: approval \`${approvalId}\` is ${Approvals.explain(outcome)}.`;
  } catch (err) {
    if (err instanceof NotFoundError) return `:grey_question: There is no approval \`${approvalId}\`.`;
    throw err;
  }
}

export function tellPrivately(deps: DecisionDeps, channel: string | null, user: string, text: string) {
  if (!channel) {
    deps.logger.warn('slack: no channel to answer in', { user, text });
    return Promise.resolve(false);
  }
  return deps.outbox.enqueue({ kind: 'ephemeral', channel, body: { user, text } });
}

export function approvalActions(app: App, deps: DecisionDeps): void {
  app.action<BlockAction<ButtonAction>>(APPROVE_ACTION, async ({ ack, body, action }) => {
    await ack();
    const channel = body.channel?.id ?? body.container?.channel_id ?? null;
    const told = await decideAs(deps, body.user.id, action.value ?? '', 'approve', null);
    if (told) await tellPrivately(deps, channel, body.user.id, told);
  });

  // A rejection needs a reason: the button opens a modal that asks for it. Someone who may not decide
  // at all is refused at once (through the same decision path, so the refusal is audited).
  app.action<BlockAction<ButtonAction>>(REJECT_ACTION, async ({ ack, body, action, client }) => {
    await ack();
    const channel = body.channel?.id ?? body.container?.channel_id ?? null;
    const approvalId = action.value ?? '';
    const user = body.user.id;
    const approval = await deps.approvals.get(approvalId);
    const decider = deps.approvals.decider('slack', user);
    if (
      approval?.status !== 'pending' ||
      !mayDecide(approval.policy as Parameters<typeof mayDecide>[0], decider)
    ) {
      const told = await decideAs(deps, user, approvalId, 'reject', null);
      if (told) await tellPrivately(deps, channel, user, told);
      return;
    }
    try {
      await client.views.open({
        trigger_id: body.trigger_id,
        view: rejectModal(approvalId, channel, approval.stepKey),
      });
    } catch (err) {
      deps.logger.warn('slack: reject modal not opened', { approvalId, error: (err as Error).message });
      const text = `:warning: Slack did not open the reject dialog. Reject with \`/firebreak reject ${approvalId} <reason>\`.`;
      await tellPrivately(deps, channel, user, text);
    }
  });

  app.view<ViewSubmitAction>(REJECT_VIEW, async ({ ack, body, view }) => {
    const reason = view.state.values.reason?.reason?.value?.trim() ?? '';
    if (!reason) {
      await ack({ response_action: 'errors', errors: { reason: 'A rejection needs a reason.' } });
      return;
    }
    await ack();
    const meta = JSON.parse(view.private_metadata || '{}') as {
      approvalId?: string;
      channel?: string | null;
    };
    const told = await decideAs(deps, body.user.id, meta.approvalId ?? '', 'reject', reason);
    if (told) await tellPrivately(deps, meta.channel ?? null, body.user.id, told);
  });
}
