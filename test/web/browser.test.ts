// The incident page in a real browser (Debian's Chromium through playwright-core): the Alertmanager
// fixture opens an incident whose run waits at a gate; an approver signs in, clicks Approve, and the page,
// without reloading, shows the rollback step turn done as the journal streams in over SSE.
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { describe, expect, test } from 'vitest';
import { fixtureRaw } from '../support/senders.ts';
import { testServer } from '../support/server.ts';
import { until } from '../support/until.ts';
import { API_TOKENS, TOKENS, WEB_RUNBOOKS } from './support.ts';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = fileURLToPath(new URL('../.artifacts/', import.meta.url));

describe('the incident page in Chromium', () => {
  test('an approver approves from the page and watches the step finish over SSE', {
    timeout: 120_000,
  }, async (ctx) => {
    if (!existsSync(CHROMIUM)) ctx.skip(`needs ${CHROMIUM}: apt-get install chromium`);
    await using srv = await testServer({
      runbooksDir: WEB_RUNBOOKS,
      env: { API_TOKENS },
      headers: { authorization: `Bearer ${TOKENS.admin}` },
    });
    const alert = await srv.post<{ incidentId: string; runIds: string[] }>(
      '/webhooks/alertmanager',
      fixtureRaw('alertmanager/firing-two-alerts.json'),
      { authorization: undefined },
    );
    expect(alert.status, alert.text).toBe(202);
    const { incidentId } = alert.body;
    const runId = alert.body.runIds[0]!;

    const profile = await mkdtemp(join(tmpdir(), 'firebreak-chromium-'));
    const browser = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-quic',
        '--no-first-run',
        '--disable-component-update',
        '--disable-sync',
        // Nothing but the test server: every other host fails to resolve.
        '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1',
      ],
      colorScheme: 'dark',
      viewport: { width: 1100, height: 900 },
    });
    try {
      const page = browser.pages()[0] ?? (await browser.newPage());
      const errors: string[] = [];
      page.on('pageerror', (err) => errors.push(err.message));

      // Signing in brings the approver back to the page they asked for.
      await page.goto(`${srv.url}/incidents/${incidentId}`);
      await page.getByLabel('API token').fill(TOKENS.approver);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.waitForURL(`${srv.url}/incidents/${incidentId}`);

      // The gate may be requested after the page loaded: the approvals block then arrives over SSE.
      const approve = page.locator('#approvals').getByRole('button', { name: 'Approve' });
      await approve.waitFor({ timeout: 20_000 });
      await mkdir(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: join(ARTIFACTS, 'incident-pending.png') });
      await page.evaluate(() => {
        (globalThis as unknown as { stayed: boolean }).stayed = true;
      });
      await approve.click();

      const rollback = `[data-run="${runId}"] g[data-step="rollback"]`;
      await page.waitForSelector(`${rollback}[data-status="succeeded"]`, { timeout: 20_000 });
      await page.waitForSelector(`[data-run="${runId}"] [data-run-status] .badge.ok`, { timeout: 20_000 });
      expect(await page.locator(`${rollback} [data-status-text]`).textContent()).toBe(
        'mitigation · succeeded',
      );
      expect(await page.locator('#live-note').textContent()).toContain('Approved');
      // Same document throughout: the change came over the live stream, not from a reload.
      expect(await page.evaluate(() => (globalThis as unknown as { stayed?: boolean }).stayed)).toBe(true);
      await page.waitForSelector('#approvals [data-approval] >> text=approver-on-call via web');
      await page.waitForSelector('#timeline >> text=run.succeeded');
      expect(errors).toEqual([]);

      const shot = join(ARTIFACTS, 'incident-approved.png');
      await page.screenshot({ path: shot, fullPage: true });
      await page.setViewportSize({ width: 390, height: 844 });
      const phone = join(ARTIFACTS, 'incident-approved-phone.png');
      await page.screenshot({ path: phone });
      console.log(`screenshots: ${shot} ${phone}`);

      const run = await until(async () => {
        const r = await srv.get<{ run: { status: string } }>(`/api/runs/${runId}`);
        return r.body.run.status === 'succeeded' ? r.body.run : null;
      });
      expect(run.status).toBe('succeeded');
    } finally {
      await browser.close();
      await rm(profile, { recursive: true, force: true });
    }
  });
});
