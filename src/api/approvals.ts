// Approval decisions through the API, under the same policy as Slack, the CLI and the web UI.
import type { Hono } from 'hono';
import { z } from 'zod';
import type { Config } from '../config/config.ts';
import type { Firebreak } from '../firebreak.ts';
import type { Approvals } from '../services/approvals/decide.ts';
import { callerOf, requireCaller } from './auth.ts';
import { HttpError } from './errors.ts';
import { extraOps } from './openapi.ts';
import { jsonBody, query } from './validate.ts';

export const decisionBody = z.object({ reason: z.string().max(2000).optional() }).default({});
export const approvalsQuery = z.object({
  status: z.enum(['pending', 'approved', 'rejected', 'expired']).optional(),
  run: z.uuid().optional(),
});

extraOps([
  {
    method: 'get',
    path: '/api/approvals',
    summary: 'List approvals (?status=pending)',
    query: approvalsQuery,
    ok: 200,
  },
  {
    method: 'post',
    path: '/api/approvals/{id}/approve',
    summary: 'Approve a gate',
    body: decisionBody,
    ok: 200,
  },
  {
    method: 'post',
    path: '/api/approvals/{id}/reject',
    summary: 'Reject a gate; a missing reason answers 422 reason_required',
    body: decisionBody,
    ok: 200,
  },
]);

export function mountApprovals(
  app: Hono,
  deps: { config: Config; fb: Firebreak; approvals: Approvals },
): void {
  const read = requireCaller(deps.config, 'read');
  const approve = requireCaller(deps.config, 'approve');

  app.get('/api/approvals', read, async (c) => {
    const q = query(c, approvalsQuery);
    const list = await deps.fb.store.listApprovals({
      ...(q.status ? { status: q.status } : {}),
      ...(q.run ? { runId: q.run } : {}),
    });
    return c.json({ approvals: list });
  });

  for (const decision of ['approve', 'reject'] as const) {
    app.post(`/api/approvals/:id/${decision}`, approve, async (c) => {
      const body = await jsonBody(c, decisionBody);
      // A missing field, not a question of who may decide: 422 before the policy is asked.
      if (decision === 'reject' && !body.reason?.trim())
        throw new HttpError(422, 'reason_required', 'a rejection needs a reason: send {"reason": "…"}');
      const caller = callerOf(c);
      const outcome = await deps.approvals.decide(c.req.param('id'), {
        decider: deps.approvals.decider('api', caller.identity, caller.role),
        decision,
        reason: body.reason ?? null,
      });
      // The gate's policy said no (not an approver, four eyes); `forbidden` is a token's role saying no.
      if (outcome.outcome === 'refused') throw new HttpError(403, 'decision_refused', outcome.reason);
      if (outcome.outcome === 'already_decided') {
        throw new HttpError(409, 'conflict', `approval ${c.req.param('id')} is ${describe(outcome)}`);
      }
      return c.json({ approval: outcome.approval });
    });
  }
}

function describe(o: {
  approval: { status: string; decisions: { by: string; via: string; at: string }[] };
}): string {
  const last = o.approval.decisions.at(-1);
  return `already ${o.approval.status}${last ? ` by ${last.by} via ${last.via} at ${last.at}` : ' by its timeout'}`;
}
