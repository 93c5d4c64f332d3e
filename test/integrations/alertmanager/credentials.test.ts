// The Alertmanager credentials (ALERTMANAGER_API_TOKEN, or basic auth's password) reach no table, API
// answer or server log line, even when the proxy in front of Alertmanager refuses the request and echoes
// the Authorization header back in its error body, which the failed step then carries.

import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { REDACTED } from '../../../src/core/redact.ts';
import { fixtureJson } from '../../support/senders.ts';
import { testServer } from '../../support/server.ts';
import { until } from '../../support/until.ts';

const TOKENS = { operator: 'cred-operator-token-1', approver: 'cred-approver-token-2' };
const API_TOKENS = `${TOKENS.operator}=operator:olga,${TOKENS.approver}=approver:abe`;

/** A proxy that refuses everything, quoting the credentials it was sent. */
async function echoingProxy(): Promise<{ url: string; seen: string[]; close(): Promise<void> }> {
  const seen: string[] = [];
  const server: Server = createServer((req, res) => {
    const auth = req.headers.authorization ?? '';
    seen.push(auth);
    res.writeHead(403, { 'content-type': 'text/plain' }).end(`denied: ${auth}`);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, seen, close: () => new Promise((r) => server.close(() => r())) };
}

describe.each([
  {
    how: 'a bearer token',
    env: { ALERTMANAGER_API_TOKEN: 'am-bearer-9d2f41c7' },
    secret: 'am-bearer-9d2f41c7',
  },
  {
    how: 'basic auth',
    env: { ALERTMANAGER_API_USER: 'firebreak', ALERTMANAGER_API_PASSWORD: 'am-basic-3e8a0b55' },
    secret: 'am-basic-3e8a0b55',
  },
])('Alertmanager credentials as $how', ({ env, secret }) => {
  test('are sent, and appear in no row, API answer or log line after a refusal that echoes them', async () => {
    const proxy = await echoingProxy();
    const runbooksDir = await mkdtemp(join(tmpdir(), 'firebreak-silence-cred-'));
    const srv = await testServer({
      runbooksDir,
      env: { ...env, API_TOKENS, ALERTMANAGER_URL: proxy.url, LOG_LEVEL: 'debug' },
      serverLogger: true,
      headers: { authorization: `Bearer ${TOKENS.approver}` },
    });
    try {
      const fired = await srv.post<{ incidentId: string }>(
        '/webhooks/alertmanager',
        fixtureJson('alertmanager/firing-two-alerts.json'),
        { authorization: undefined },
      );
      expect(fired.status, fired.text).toBe(202);
      const asked = await srv.post<{ runId: string }>(
        `/api/incidents/${fired.body.incidentId}/silence`,
        undefined,
        {
          authorization: `Bearer ${TOKENS.operator}`,
        },
      );
      expect(asked.status, asked.text).toBe(202);
      const runId = asked.body.runId;
      const gate = await until(
        async () => (await srv.fb.store.listApprovals({ runId, status: 'pending' }))[0] ?? null,
        20_000,
      );
      const ok = await srv.post(
        `/api/approvals/${gate.id}/approve`,
        {},
        { authorization: `Bearer ${TOKENS.approver}` },
      );
      expect(ok.status, ok.text).toBe(200);
      const view = await srv.finalRun(runId);
      expect(view.run.status).toBe('failed'); // 403: not retried

      // The proxy did get the credential, and quoted it back.
      const wire = secret.startsWith('am-basic')
        ? `Basic ${Buffer.from(`firebreak:${secret}`).toString('base64')}`
        : `Bearer ${secret}`;
      expect(proxy.seen[0]).toBe(wire);

      const driver = srv.fb.store.driver;
      const tables = await driver.query(
        `select table_name from information_schema.tables
         where table_schema = current_schema() and table_type = 'BASE TABLE'`,
      );
      let dumped = '';
      for (const t of tables) {
        const rows = await driver.query(
          `select coalesce(string_agg(t::text, E'\\n'), '') as dump from "${String(t.table_name)}" t`,
        );
        dumped += String(rows[0]?.dump ?? '');
      }
      const answers = await Promise.all(
        [`/api/runs/${runId}`, '/api/runs', `/api/incidents/${fired.body.incidentId}`].map(
          async (p) => (await srv.get(p, { authorization: `Bearer ${TOKENS.approver}` })).text,
        ),
      );
      const everything = [dumped, ...answers, srv.logs.join('\n')].join('\n');
      // The error was kept, with the credential it quoted hidden.
      expect(everything).toContain(`answered 403: denied: ${wire.split(' ')[0]} ${REDACTED}`);
      const encoded = Buffer.from(`firebreak:${secret}`).toString('base64');
      expect(everything).not.toContain(secret);
      expect(everything).not.toContain(encoded);
    } finally {
      await srv.close();
      await proxy.close();
      await rm(runbooksDir, { recursive: true, force: true });
    }
  });
});
