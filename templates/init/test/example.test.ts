// Runbook tests run in-process on an in-memory database with a clock you move and HTTP answers you
// write: nothing leaves the process. Guide: node_modules/firebreak/docs/testing.md
import { matchesTriggers, stubHttp, testRunbook } from 'firebreak/testing';
import { expect, test } from 'vitest';
import { serviceDown } from '../runbooks/example.js';

const alert = {
  labels: { alertname: 'ServiceDown', service: 'checkout' },
  annotations: { health_url: 'http://checkout/healthz', restart_url: 'http://deployer/restart/checkout' },
};

test('the ServiceDown alert starts the runbook', () => {
  expect(matchesTriggers(serviceDown, alert.labels)).toBe(true);
  expect(matchesTriggers(serviceDown, { alertname: 'DiskFull' })).toBe(false);
});

test('a healthy service is left alone', async () => {
  const http = stubHttp({ 'GET /healthz': { status: 200 } });
  await using t = await testRunbook(serviceDown, { alert, http });
  expect(await t.statuses()).toEqual({ health: 'succeeded', restart: 'skipped' });
  expect(http.mutations()).toEqual([]);
});

test('a service that is down is restarted after approval, and checked', async () => {
  const http = stubHttp({
    // Down until the restart went out.
    'GET /healthz': () => ({ status: http.find('POST', '/restart/*').length > 0 ? 200 : 503 }),
    'POST /restart/checkout': { status: 202 },
  });
  await using t = await testRunbook(serviceDown, { alert, http });
  expect(await t.statuses()).toMatchObject({ restart: 'awaiting_approval' });
  expect(http.mutations()).toEqual([]); // nothing changed before the approval

  await t.approve('restart');
  const run = await t.advance('1m'); // past the verify delay
  expect(run.status).toBe('succeeded');
  expect(http.find('POST', '/restart/checkout')).toHaveLength(1);
});
