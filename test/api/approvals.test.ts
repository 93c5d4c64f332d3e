// Decisions over the API say what went wrong in the right words. Seen on main: a reject without a reason
// answered 403 `forbidden`, as if the caller were not allowed, when a field was missing.
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type ErrorBody, type TestServer, testServer } from '../support/server.ts';
import { until } from '../support/until.ts';

const RUNBOOKS = fileURLToPath(new URL('../fixtures/runbooks-cli', import.meta.url));
const TOKENS = {
  alice: 'alice-approver-token',
  mallory: 'mallory-approver-token',
  viewer: 'viewer-only-token',
  operator: 'operator-token-1',
};
const bearer = (t: string) => ({ authorization: `Bearer ${t}` });

describe('approval decisions over the API', () => {
  let srv: TestServer;
  let approvalId: string;
  beforeAll(async () => {
    srv = await testServer({
      runbooksDir: RUNBOOKS,
      env: {
        API_TOKENS: `${TOKENS.alice}=approver:alice,${TOKENS.mallory}=approver:mallory,${TOKENS.viewer}=viewer,${TOKENS.operator}=operator:ops`,
      },
    });
    const started = await srv.post<{ runId: string }>(
      '/api/runs',
      { runbook: 'gated' },
      bearer(TOKENS.operator),
    );
    approvalId = await until(async () => {
      const r = await srv.get<{ approvals: { id: string }[] }>(
        `/api/approvals?run=${started.body.runId}`,
        bearer(TOKENS.viewer),
      );
      return r.body.approvals[0]?.id ?? null;
    });
  });
  afterAll(async () => {
    await srv?.close();
  });

  test('a reject without a reason is a missing field: 422 reason_required', async () => {
    for (const body of [{}, { reason: '   ' }]) {
      const r = await srv.post<ErrorBody>(`/api/approvals/${approvalId}/reject`, body, bearer(TOKENS.alice));
      expect(r.status).toBe(422);
      expect(r.body.error).toEqual({
        code: 'reason_required',
        message: 'a rejection needs a reason: send {"reason": "…"}',
      });
    }
  });

  test("the gate's policy refusing is 403 decision_refused; a token's role refusing is 403 forbidden", async () => {
    const policy = await srv.post<ErrorBody>(
      `/api/approvals/${approvalId}/approve`,
      {},
      bearer(TOKENS.mallory),
    );
    expect(policy.status).toBe(403);
    expect(policy.body.error).toEqual({
      code: 'decision_refused',
      message: 'mallory is not an approver of this gate',
    });
    const role = await srv.post<ErrorBody>(`/api/approvals/${approvalId}/approve`, {}, bearer(TOKENS.viewer));
    expect(role.status).toBe(403);
    expect(role.body.error.code).toBe('forbidden');
  });

  test('with a reason the rejection is recorded', async () => {
    const r = await srv.post<{ approval: { status: string } }>(
      `/api/approvals/${approvalId}/reject`,
      { reason: 'not during the sale' },
      bearer(TOKENS.alice),
    );
    expect(r.status).toBe(200);
    expect(r.body.approval.status).toBe('rejected');
  });
});
