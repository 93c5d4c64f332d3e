// The gates of an incident's runs: pending ones with Approve / Reject for a signed-in approver, decided
// ones with who and when. Rendered in the page and, refreshed by the page script, as a fragment.
import type { Permission } from '../../api/auth.ts';
import type { ApprovalRecord } from '../../store/records.ts';
import type { RunData } from '../data.ts';
import { ago, utc } from '../format.ts';
import { Badge } from '../layout.tsx';

export interface ApprovalsProps {
  runs: RunData[];
  can: (p: Permission) => boolean;
  returnTo: string;
  now: Date;
  /** The fragment's own URL, which the page script reloads when a gate changes. */
  src: string;
}

export function Approvals(props: ApprovalsProps) {
  const all = props.runs.flatMap((r) => r.approvals.map((a) => ({ a, r })));
  const pending = all.filter(({ a }) => a.status === 'pending');
  const decided = all.filter(({ a }) => a.status !== 'pending');
  return (
    <div id="approvals" data-src={props.src}>
      {pending.length === 0 ? <p class="mut">No approval is waiting.</p> : null}
      {pending.map(({ a, r }) => (
        <Pending a={a} r={r} {...props} />
      ))}
      {decided.length > 0 ? (
        <div class="scroll">
          <table>
            <thead>
              <tr>
                <th>gate</th>
                <th>outcome</th>
                <th>decided by</th>
                <th class="hide-sm">when</th>
              </tr>
            </thead>
            <tbody>
              {decided.map(({ a }) => (
                <tr data-approval={a.id}>
                  <td>{a.stepKey}</td>
                  <td>
                    <Badge status={a.status} />
                  </td>
                  <td>
                    {a.decisions.length === 0
                      ? 'its timeout'
                      : a.decisions
                          .map((d) => `${d.by} via ${d.via}${d.reason ? ` (${d.reason})` : ''}`)
                          .join('; ')}
                  </td>
                  <td class="hide-sm small">{utc(a.decidedAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
    </div>
  );
}

function Pending(props: ApprovalsProps & { a: ApprovalRecord; r: RunData }) {
  const { a, r, can, returnTo, now } = props;
  const policy = a.policy as { approvers?: string[]; groups?: string[]; roles?: string[]; quorum?: number };
  const who = [
    ...(policy.approvers ?? []),
    ...(policy.groups ?? []).map((g) => `group ${g}`),
    ...(policy.roles ?? []).map((x) => `role ${x}`),
  ];
  const summary = r.summaries.get(a.id);
  return (
    <div class="card approval" data-approval={a.id} data-status="pending">
      <h3 class="row">
        <span>{`Approve ${a.stepKey}?`}</span>
        <Badge status="awaiting_approval" label="waiting" />
      </h3>
      {summary ? <p>{summary}</p> : null}
      <p class="small mut">
        {`${r.title} · waiting ${ago(a.requestedAt, now)} · `}
        {a.expiresAt ? `decide by ${utc(a.expiresAt)} · ` : 'no timeout · '}
        {`may decide: ${who.length ? who.join(', ') : 'any approver'} · quorum ${policy.quorum ?? 1}`}
        {a.decisions.length ? ` · so far: ${a.decisions.map((d) => d.by).join(', ')}` : ''}
      </p>
      {can('approve') ? (
        <div class="row">
          <form class="inline" method="post" action={`/ui/approvals/${a.id}/approve`} data-fetch="1">
            <input type="hidden" name="return" value={returnTo} />
            <button class="go" type="submit" name="decision" value="approve">
              Approve
            </button>
          </form>
          <form class="inline" method="post" action={`/ui/approvals/${a.id}/reject`} data-fetch="1">
            <input type="hidden" name="return" value={returnTo} />
            <input
              type="text"
              name="reason"
              required
              maxlength={2000}
              placeholder="reason for rejecting"
              aria-label="rejection reason"
            />
            <button class="stop" type="submit">
              Reject
            </button>
          </form>
        </div>
      ) : (
        <p class="small">Your role cannot decide gates: sign in with an approver token.</p>
      )}
    </div>
  );
}
