// What firebreak says in Slack, as Block Kit. Pure: records in, message bodies out.
import type { RunInfo } from '../../dsl/types.ts';
import type { IncidentRecord } from '../../store/incidents.ts';
import type { ApprovalRecord } from '../../store/records.ts';
import { SILENCE_FOR } from '../alertmanager/silence-runbook.ts';
import type { SlackBody } from './outbox.ts';

export const APPROVE_ACTION = 'approval_approve';
export const REJECT_ACTION = 'approval_reject';
export const REJECT_VIEW = 'approval_reject';
/** "Silence for 1h" on an incident message; its value is the incident id. */
export const SILENCE_ACTION = 'silence_alert';
/** The actions block of an approval request; its id carries the gate, like the buttons' value. */
export const approvalBlockId = (approvalId: string) => `approval:${approvalId}`;

/**
 * Text from runbooks, alerts and people is shown, never interpreted as Slack markup: with `<`, `>` and
 * `&` escaped no `<!channel>`, `<!here>`, `<@U…>` mention or `<url|label>` link can come from data.
 */
export function esc(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** A Slack user id becomes a mention; any other identity (API token, CLI user) is shown as it is. */
export function who(identity: string): string {
  return /^[UW][A-Z0-9]{2,}$/.test(identity) ? `<@${identity}>` : `\`${esc(identity)}\``;
}

/** Shown in each reader's time zone, with the UTC time as fallback text. */
export function when(at: Date | string): string {
  const d = typeof at === 'string' ? new Date(at) : at;
  return `<!date^${Math.floor(d.getTime() / 1000)}^{date_short_pretty} {time_secs}|${d.toISOString()}>`;
}

/** Slack refuses a whole message when one text is over its limit: cut long texts instead. */
export function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

const section = (text: string) => ({ type: 'section', text: { type: 'mrkdwn', text: clip(text, 3000) } });
const context = (text: string) => ({
  type: 'context',
  elements: [{ type: 'mrkdwn', text: clip(text, 2000) }],
});

/**
 * The incident's message. With `silence` (ALERTMANAGER_URL set) a firing Alertmanager incident gets a
 * "Silence for 1h" button: it asks for a silence, which then waits for approval like any mitigation.
 */
export function incidentMessage(i: IncidentRecord, opts: { silence?: boolean } = {}): SlackBody {
  const resolved = i.status === 'resolved';
  const icon = i.drill ? ':test_tube:' : resolved ? ':white_check_mark:' : ':rotating_light:';
  const sev = i.severity ? `[${esc(i.severity)}] ` : '';
  const head = `${icon} ${resolved ? '*Resolved*: ' : ''}${i.drill ? '*Drill*: ' : ''}${sev}*${esc(i.title)}*`;
  const facts = [
    `incident \`${i.id}\``,
    `from ${esc(i.source)}`,
    `opened ${when(i.openedAt)}`,
    ...(i.resolvedAt && resolved ? [`resolved ${when(i.resolvedAt)}`] : []),
  ].join(' · ');
  const blocks: unknown[] = [section(head), context(facts)];
  if (opts.silence && i.source === 'alertmanager' && !resolved && !i.drill) blocks.push(silenceButton(i.id));
  return { text: `${head} (incident ${i.id})`, blocks };
}

function silenceButton(incidentId: string) {
  return {
    type: 'actions',
    block_id: `silence:${incidentId}`,
    elements: [
      {
        type: 'button',
        action_id: SILENCE_ACTION,
        text: { type: 'plain_text', text: `:mute: Silence for ${SILENCE_FOR}`, emoji: true },
        value: incidentId,
        confirm: {
          title: { type: 'plain_text', text: `Silence for ${SILENCE_FOR}?` },
          text: {
            type: 'mrkdwn',
            text: `Asks to silence this alert in Alertmanager for ${SILENCE_FOR}. It is created once an approver (someone other than you) approves it.`,
          },
          confirm: { type: 'plain_text', text: 'Ask' },
          deny: { type: 'plain_text', text: 'Cancel' },
        },
      },
    ],
  };
}

export function runRootMessage(run: RunInfo, title: string, incident: IncidentRecord | null): SlackBody {
  const by = run.requestedBy ? ` requested by ${esc(run.requestedBy)}` : '';
  const about = incident ? ` for incident *${esc(incident.title)}*` : '';
  const text = `:arrow_forward: Run of *${esc(title)}*${about}${by}${run.dryRun ? ' (dry run)' : ''}`;
  return { text, blocks: [section(text), context(`run \`${run.id}\` · runbook \`${esc(run.runbookId)}\``)] };
}

export function runStartedLine(run: RunInfo, title: string): SlackBody {
  return {
    text: `:arrow_forward: Run of *${esc(title)}* started${run.dryRun ? ' (dry run)' : ''} · run \`${run.id}\``,
  };
}

export interface ApprovalRequest {
  approval: ApprovalRecord;
  run: RunInfo;
  title: string;
  step: string;
  summary: string | null;
  /** The gate guards a mitigation: Approve asks for confirmation. */
  mitigation: boolean;
}

export function approvalRequestMessage(r: ApprovalRequest): SlackBody {
  const id = r.approval.id;
  const what = r.summary
    ? esc(r.summary)
    : `${r.mitigation ? 'apply mitigation' : 'pass gate'} \`${esc(r.step)}\``;
  const policy = r.approval.policy as { approvers?: string[]; groups?: string[]; quorum?: number };
  const deciders = [
    ...(policy.approvers ?? []).map(who),
    ...(policy.groups ?? []).map((g) => `group *${esc(g)}*`),
  ];
  const facts = [
    `${r.mitigation ? 'mitigation' : 'gate'} \`${r.step}\` of *${esc(r.title)}*${r.run.dryRun ? ' (dry run)' : ''}`,
    `run \`${r.run.id}\``,
    `approval \`${id}\``,
    ...(deciders.length > 0 ? [`approvers: ${deciders.join(', ')}`] : []),
    ...((policy.quorum ?? 1) > 1 ? [`${policy.quorum} approvals needed`] : []),
    ...(r.approval.expiresAt ? [`expires ${when(r.approval.expiresAt)}`] : []),
  ].join(' · ');
  const approve: Record<string, unknown> = {
    type: 'button',
    action_id: APPROVE_ACTION,
    text: { type: 'plain_text', text: 'Approve', emoji: true },
    style: 'primary',
    value: id,
  };
  if (r.mitigation) {
    approve.confirm = {
      title: { type: 'plain_text', text: 'Apply this mitigation?' },
      text: { type: 'mrkdwn', text: clip(`Approving lets \`${r.step}\` change the system: ${what}.`, 300) },
      confirm: { type: 'plain_text', text: 'Approve' },
      deny: { type: 'plain_text', text: 'Cancel' },
      style: 'primary',
    };
  }
  const reject = {
    type: 'button',
    action_id: REJECT_ACTION,
    text: { type: 'plain_text', text: 'Reject', emoji: true },
    style: 'danger',
    value: id,
  };
  return {
    text: clip(`Approval needed: ${what}`, 3000),
    blocks: [
      section(`:raised_hand: *Approval needed*: ${what}`),
      context(facts),
      { type: 'actions', block_id: approvalBlockId(id), elements: [approve, reject] },
    ],
  };
}

/**
 * The request message as it reads after decisions: once settled, the buttons give way to who decided
 * and when; a partly approved quorum keeps them and shows who approved so far.
 */
export function approvalStateMessage(request: SlackBody, a: ApprovalRecord): SlackBody {
  const settled = a.status !== 'pending';
  const kept = (request.blocks ?? []).filter(
    (b) => !(settled && (b as { block_id?: string }).block_id === approvalBlockId(a.id)),
  );
  return { text: `${request.text} (${a.status})`, blocks: [...kept, section(decisionLine(a))] };
}

export function decisionLine(a: ApprovalRecord): string {
  const approvals = a.decisions.filter((d) => d.decision === 'approve');
  const list = approvals.map((d) => `${who(d.by)} via ${d.via} at ${when(d.at)}`).join(', ');
  const escalated = (a.policy as { escalatedTo?: string }).escalatedTo;
  switch (a.status) {
    case 'approved':
      return approvals.length > 0
        ? `:white_check_mark: *Approved* by ${list}`
        : `:white_check_mark: *Approved* by its timeout at ${when(a.decidedAt ?? new Date())}`;
    case 'rejected': {
      const r = a.decisions.find((d) => d.decision === 'reject');
      const by = r ? `${who(r.by)} via ${r.via} at ${when(r.at)}` : 'its timeout';
      return `:x: *Rejected* by ${by}${a.reason ? `: _${esc(a.reason)}_` : ''}`;
    }
    case 'expired':
      return `:hourglass: *Expired* without a decision at ${when(a.decidedAt ?? new Date())}`;
    case 'pending': {
      const quorum = (a.policy as { quorum?: number }).quorum ?? 1;
      const parts = [
        ...(approvals.length > 0
          ? [`:ballot_box_with_check: ${approvals.length} of ${quorum} approvals: ${list}`]
          : []),
        ...(escalated ? [`:arrow_up: escalated to group *${esc(escalated)}*`] : []),
      ];
      return parts.join(' · ') || ':hourglass_flowing_sand: waiting for a decision';
    }
  }
}

/** Rejections need a reason: the Reject button opens this modal. */
export function rejectModal(approvalId: string, channel: string | null, step: string) {
  return {
    type: 'modal' as const,
    callback_id: REJECT_VIEW,
    private_metadata: JSON.stringify({ approvalId, channel }),
    title: { type: 'plain_text' as const, text: 'Reject approval' },
    submit: { type: 'plain_text' as const, text: 'Reject' },
    close: { type: 'plain_text' as const, text: 'Cancel' },
    blocks: [
      section(`Rejecting \`${step}\` stops the run and reverts the mitigations it applied.`),
      {
        type: 'input',
        block_id: 'reason',
        label: { type: 'plain_text', text: 'Reason' },
        element: { type: 'plain_text_input', action_id: 'reason', multiline: true, min_length: 1 },
      },
    ],
  };
}
