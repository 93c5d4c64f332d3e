// A failed run says why in words an operator can act on. Seen on main: the incident page said
// `error: fetch failed` for a run whose real cause was `connect ECONNREFUSED 127.0.0.1:8001` in step
// `recentDeploy` (the Kubernetes API). The failing step and the innermost cause are shown in the API's run
// summary, on the web page and in Slack (and by the CLI: test/cli/cli.test.ts).
import { expect, test } from 'vitest';
import { runbook, z } from '../../src/index.ts';
import { fakeSlack } from '../support/fake-slack.ts';
import { freePort } from '../support/private-postgres.ts';
import { testServer } from '../support/server.ts';
import { SLACK_SECRET } from '../support/slack-sign.ts';

test('a run that failed on a refused connection names the step and the refused address everywhere', async () => {
  const port = await freePort(); // nothing listens there: connect() is refused
  const kubernetes = `http://127.0.0.1:${port}`;
  const rb = runbook({ id: 'deploy-check', title: 'Deploy check', input: z.object({}) })
    .diagnostic('errorRatio', async () => ({ ratio: 0.12 }))
    .diagnostic('recentDeploy', { needs: [], retry: { maxAttempts: 1 } }, async ({ http }) => {
      const res = await http(`${kubernetes}/apis/apps/v1/deployments`);
      return { status: res.status };
    });
  await using slack = await fakeSlack();
  await using srv = await testServer({
    server: { runbooks: [rb] },
    env: {
      SLACK_BOT_TOKEN: 'xoxb-test-token',
      SLACK_SIGNING_SECRET: SLACK_SECRET,
      SLACK_API_URL: slack.url,
      SLACK_INCIDENT_CHANNEL: 'C07INCIDNT',
    },
  });
  const started = await srv.post<{ runId: string }>('/api/runs', { runbook: 'deploy-check', input: {} });
  const view = await srv.finalRun(started.body.runId);
  const refused = `connect ECONNREFUSED 127.0.0.1:${port}`;

  // The API: the run carries its failure, in a field of its own.
  const { body } = await srv.get<{ run: { failure: Record<string, unknown> } }>(`/api/runs/${view.run.id}`);
  expect(body.run.failure).toEqual({
    step: 'recentDeploy',
    cause: refused,
    code: 'error',
    summary: `step recentDeploy: ${refused} (fetch failed)`,
  });
  const listed = await srv.get<{ runs: { id: string; failure: { summary: string } }[] }>('/api/runs');
  expect(listed.body.runs.find((r) => r.id === view.run.id)?.failure.summary).toContain(refused);

  // The web page: the step and the cause, not "error: fetch failed".
  const page = await srv.get(`/runs/${view.run.id}`);
  expect(page.text).toContain(`Failed at step <strong>recentDeploy</strong>: ${refused} (fetch failed)`);
  expect(page.text).not.toContain('error: fetch failed');

  // Slack: the step's line and the run's last line in its thread.
  const stepLine = await slack.waitFor('chat.postMessage', (c) =>
    String(c.args.text ?? '').includes('`recentDeploy` failed'),
  );
  expect(String(stepLine.args.text)).toContain(refused);
  const last = await slack.waitFor('chat.postMessage', (c) =>
    String(c.args.text ?? '').includes('run failed'),
  );
  expect(String(last.args.text)).toContain(`run failed: step recentDeploy: ${refused} (fetch failed)`);
});
