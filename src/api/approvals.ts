// /api/approvals: approval decisions through the API, under the same policy as Slack, the CLI and the
// web UI.
import { createRoute, z } from '@hono/zod-openapi';
import type { Config } from '../config/config.ts';
import type { Services } from '../services/index.ts';
import { callerOf, requireCaller } from './auth.ts';
import { HttpError } from './errors.ts';
import { AUTH_ERRORS, apiRoutes, errors, idParam, json, jsonRequest, withJsonBody } from './openapi.ts';
import * as res from './responses.ts';

export const decisionBody = z.object({ reason: z.string().max(2000).optional() }).default({});
export const approvalsQuery = z.object({
  status: z.enum(['pending', 'approved', 'rejected', 'expired']).optional(),
  run: z.uuid().optional(),
});

const SUMMARY = {
  approve: 'Approve a gate',
  reject: 'Reject a gate; a missing reason answers 422 reason_required',
} as const;

export function approvalRoutes(deps: { config: Config; services: Services }) {
  const { approvals } = deps.services;
  const read = requireCaller(deps.config, 'read');
  const approve = requireCaller(deps.config, 'approve');
  const app = apiRoutes();

  app.openapi(
    createRoute({
      method: 'get',
      path: '/',
      operationId: 'listApprovals',
      summary: 'List approvals (?status=pending)',
      middleware: [read] as const,
      request: { query: approvalsQuery },
      responses: { 200: json(res.approvalList, 'The approvals'), ...errors(...AUTH_ERRORS, 422) },
    }),
    async (c) => {
      const q = c.req.valid('query');
      const list = await approvals.list({
        ...(q.status ? { status: q.status } : {}),
        ...(q.run ? { runId: q.run } : {}),
      });
      return c.json({ approvals: list }, 200);
    },
  );

  for (const decision of ['approve', 'reject'] as const) {
    app.openapi(
      withJsonBody(
        app,
        createRoute({
          method: 'post',
          path: `/{id}/${decision}`,
          operationId: `${decision}Approval`,
          summary: SUMMARY[decision],
          middleware: [approve] as const,
          request: { params: idParam, body: jsonRequest(decisionBody, false) },
          responses: {
            200: json(res.approvalDecided, 'The approval as decided'),
            ...errors(...AUTH_ERRORS, 400, 404, 409, 413, 415, 422),
          },
        }),
      ),
      async (c) => {
        const body = c.req.valid('json');
        const { id } = c.req.valid('param');
        // A missing field, not a question of who may decide: 422 before the policy is asked.
        if (decision === 'reject' && !body.reason?.trim())
          throw new HttpError(422, 'reason_required', 'a rejection needs a reason: send {"reason": "…"}');
        const caller = callerOf(c);
        const outcome = await approvals.decide(id, {
          decider: approvals.decider('api', caller.identity, caller.role),
          decision,
          reason: body.reason ?? null,
        });
        // The gate's policy said no (not an approver, four eyes); `forbidden` is a token's role saying no.
        if (outcome.outcome === 'refused') throw new HttpError(403, 'decision_refused', outcome.reason);
        if (outcome.outcome === 'already_decided') {
          throw new HttpError(409, 'conflict', `approval ${id} is ${describe(outcome)}`);
        }
        return c.json({ approval: outcome.approval }, 200);
      },
    );
  }

  return app;
}

function describe(o: {
  approval: { status: string; decisions: { by: string; via: string; at: string }[] };
}): string {
  const last = o.approval.decisions.at(-1);
  return `already ${o.approval.status}${last ? ` by ${last.by} via ${last.via} at ${last.at}` : ' by its timeout'}`;
}
