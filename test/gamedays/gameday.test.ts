// Game days: a schedule in the database fires a drill at its due time (not before), on a drill incident,
// in dry-run or live mode, waits for the real alert of an injected fault, and ends with a scorecard.
// Time is a ManualClock; the test ticks the scheduler instead of sleeping.
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, type Mock, test, vi } from 'vitest';
import { main } from '../../src/cli/main.ts';
import { ManualClock } from '../../src/core/clock.ts';
import type { AnyRunbook } from '../../src/dsl/runbook.ts';
import type { GameDay } from '../../src/dsl/types.ts';
import { runbookProblems } from '../../src/dsl/validate.ts';
import { GameDayScheduler, type GameDayView } from '../../src/gamedays/scheduler.ts';
import { runbook, z } from '../../src/index.ts';
import type { FireRecord } from '../../src/store/gameday-records.ts';
import { IncidentStore } from '../../src/store/incidents.ts';
import { testDatabase } from '../support/db.ts';
import { type TestFirebreak, testFirebreak } from '../support/engine.ts';
import { type IncidentView, testServer, type Wire } from '../support/server.ts';
import { until } from '../support/until.ts';

// 2026-01-01 is a Thursday; Wednesdays 10:00 Europe/Berlin are 09:00 UTC in January.
const START = new Date('2026-01-01T00:00:00Z');
const WEDNESDAY_DUE = new Date('2026-01-07T09:00:00Z');
const MINUTE = 60_000;
const GAMEDAY_RUNBOOKS = fileURLToPath(new URL('../fixtures/runbooks-gameday', import.meta.url));

interface Spies {
  apply: Mock<() => Promise<{ rolledBackTo: string }>>;
  revert: Mock<() => Promise<undefined>>;
  dryRun: Mock<() => Promise<{ wouldRollBackTo: string }>>;
}

function spies(): Spies {
  return {
    apply: vi.fn(async () => ({ rolledBackTo: 'v41' })),
    revert: vi.fn(async () => undefined),
    dryRun: vi.fn(async () => ({ wouldRollBackTo: 'v41' })),
  };
}

function checkoutRunbook(s: Spies, gameDays: GameDay[], opts: { gate?: boolean } = {}): AnyRunbook {
  return runbook({
    id: 'checkout',
    title: 'Checkout errors',
    input: z.object({ service: z.string().default('checkout') }),
    gameDays,
  })
    .diagnostic('errorRatio', async () => ({ ratio: 0.2 }))
    .mitigation('rollback', {
      needs: ['errorRatio'],
      ...(opts.gate ? { approval: { approvers: ['U-lead'], timeout: '15m' } } : {}),
      apply: s.apply,
      revert: s.revert,
      dryRun: s.dryRun,
    }) as unknown as AnyRunbook;
}

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const o of open.splice(0).reverse()) await o.close();
});

async function setup(rb: AnyRunbook, opts: { graceMs?: number } = {}) {
  const clock = new ManualClock(START);
  const fb = await testFirebreak([rb], { clock });
  const gamedays = new GameDayScheduler(fb, opts.graceMs === undefined ? {} : { graceMs: opts.graceMs });
  open.push(fb, { close: () => gamedays.stop() });
  await gamedays.sync();
  return { clock, fb, gamedays };
}

/** Ticks until the drill has its scorecard (each tick moves it on: approvals, rollback, scoring). */
function scored(gamedays: GameDayScheduler, fireId: string): Promise<FireRecord> {
  return until(async () => {
    await gamedays.tick();
    const fire = await gamedays.store.fireById(fireId);
    return fire?.scoredAt ? fire : null;
  }, 20_000);
}

async function fires(fb: TestFirebreak, scheduleId: string) {
  const rows = await fb.store.driver.query(
    `SELECT due_at, trigger, outcome FROM gameday_fires WHERE schedule_id = $1 ORDER BY due_at`,
    [scheduleId],
  );
  return rows.map((r) => ({
    dueAt: new Date(r.due_at as string).toISOString(),
    trigger: r.trigger,
    outcome: r.outcome,
  }));
}

const weekly: GameDay = { id: 'weekly', cron: '0 10 * * 3', timezone: 'Europe/Berlin', mode: 'dry-run' };

describe('game-day schedules', () => {
  test('a due time fires exactly at its time, not before, and only once', async () => {
    const { clock, fb, gamedays } = await setup(checkoutRunbook(spies(), [weekly]));
    const [view] = await gamedays.list();
    expect(view).toMatchObject({ id: 'checkout:weekly', nextDueAt: WEDNESDAY_DUE, lastFire: null });

    clock.advance(WEDNESDAY_DUE.getTime() - START.getTime() - 1);
    expect(await gamedays.tick()).toEqual(WEDNESDAY_DUE);
    expect(await fires(fb, 'checkout:weekly')).toEqual([]);

    const fired = gamedays.events.waitFor('fired');
    clock.advance(1);
    await gamedays.tick();
    const event = await fired;
    expect(event).toMatchObject({ scheduleId: 'checkout:weekly', dueAt: WEDNESDAY_DUE, trigger: 'schedule' });
    await gamedays.tick();
    expect(await fires(fb, 'checkout:weekly')).toEqual([
      { dueAt: WEDNESDAY_DUE.toISOString(), trigger: 'schedule', outcome: 'fired' },
    ]);
    const [after] = await gamedays.list();
    expect(after?.nextDueAt).toEqual(new Date('2026-01-14T09:00:00Z'));
    expect(after?.lastFire).toMatchObject({ id: event.fireId, dueAt: WEDNESDAY_DUE });
  });

  test('missed fires: the latest within grace fires once, the rest and those beyond grace are skipped', async () => {
    const hourly: GameDay = { id: 'hourly', cron: '0 * * * *', mode: 'dry-run' };
    const { clock, fb, gamedays } = await setup(checkoutRunbook(spies(), [hourly]), { graceMs: 5 * MINUTE });
    // Down (nobody ticks) from 00:00 until 03:02: 01:00 and 02:00 are skipped, 03:00 is 2 minutes late.
    clock.advance(3 * 60 * MINUTE + 2 * MINUTE);
    const skipped = gamedays.events.waitFor('skipped');
    await gamedays.tick();
    expect(await skipped).toMatchObject({ scheduleId: 'checkout:hourly', count: 2 });
    await gamedays.tick();
    const firstFire = (await gamedays.store.firesOf('checkout:hourly')).find((f) => f.outcome === 'fired')!;
    await fb.result(firstFire.runId!);

    // Down again until 05:10: 04:00 and 05:00 are missed, 05:00 by 10 minutes, beyond grace.
    clock.advance(2 * 60 * MINUTE + 8 * MINUTE);
    await gamedays.tick();
    await gamedays.tick();
    expect(await fires(fb, 'checkout:hourly')).toEqual([
      { dueAt: '2026-01-01T01:00:00.000Z', trigger: 'schedule', outcome: 'skipped' },
      { dueAt: '2026-01-01T02:00:00.000Z', trigger: 'schedule', outcome: 'skipped' },
      { dueAt: '2026-01-01T03:00:00.000Z', trigger: 'schedule', outcome: 'fired' },
      { dueAt: '2026-01-01T04:00:00.000Z', trigger: 'schedule', outcome: 'skipped' },
      { dueAt: '2026-01-01T05:00:00.000Z', trigger: 'schedule', outcome: 'skipped' },
    ]);
    const journal = await fb.store.driver.query(
      `SELECT data FROM events WHERE type = 'gameday.skipped' ORDER BY seq`,
    );
    expect(journal.map((r) => (r.data as { count: number }).count)).toEqual([2, 2]);
    const [view] = await gamedays.list();
    expect(view).toMatchObject({ skipped: 4, nextDueAt: new Date('2026-01-01T06:00:00Z') });
  });
});

describe('drills', () => {
  test('a dry-run drill: a flagged drill incident, dryRun instead of apply, a scorecard as evidence', async () => {
    const s = spies();
    const { clock, fb, gamedays } = await setup(
      checkoutRunbook(s, [{ ...weekly, targets: { mitigateWithin: '1m' } }]),
    );
    clock.advance(WEDNESDAY_DUE.getTime() - START.getTime());
    const fired = gamedays.events.waitFor('fired');
    await gamedays.tick();
    const { fireId, incidentId, runId } = await fired;
    const run = await fb.result(runId);
    expect(run).toMatchObject({ status: 'succeeded', dryRun: true, requestedBy: 'gameday:checkout:weekly' });
    expect(s.apply).not.toHaveBeenCalled();
    expect(s.revert).not.toHaveBeenCalled();
    expect(s.dryRun).toHaveBeenCalledTimes(1);

    const fire = await scored(gamedays, fireId);
    expect(fire.scorecard).toMatchObject({
      passed: true,
      mode: 'dry-run',
      runStatus: 'succeeded',
      detected: null,
      timeToMitigateMs: 0,
      firstMitigation: 'rollback',
      failedSteps: [],
      revertVerified: null,
    });
    const incidents = new IncidentStore(fb.store.driver);
    const incident = await incidents.get(incidentId);
    expect(incident).toMatchObject({ drill: true, source: 'gameday', status: 'resolved' });
    expect(await incidents.list({ drill: false })).toEqual([]);
    const evidence = await fb.store.listEvidence({ incidentId });
    expect(evidence).toHaveLength(1);
    expect(evidence[0]).toMatchObject({
      kind: 'table',
      title: 'Game day scorecard: checkout:weekly (passed)',
      runId,
      content: { columns: ['measure', 'value', 'target', 'result'] },
    });
    const rows = (evidence[0]!.content as { rows: string[][] }).rows;
    expect(rows).toContainEqual([
      'time to mitigate (first would apply)',
      '0 ms (rollback)',
      '≤ 1 min',
      'pass',
    ]);
    const timeline = (await incidents.timeline(incidentId)).map((e) => e.type);
    expect(timeline.slice(0, 3)).toEqual(['incident.opened', 'gameday.fired', 'run.created']);
    expect(timeline.slice(-2)).toEqual(['gameday.scorecard', 'incident.resolved']);
  });

  test('a live drill with autoApprove applies through the gate, then reverts; revert verified', async () => {
    const s = spies();
    const live: GameDay = { ...weekly, id: 'live', mode: 'live', autoApprove: true };
    const { clock, fb, gamedays } = await setup(checkoutRunbook(s, [live], { gate: true }));
    clock.advance(WEDNESDAY_DUE.getTime() - START.getTime());
    const fired = gamedays.events.waitFor('fired');
    await gamedays.tick();
    const { fireId, incidentId, runId } = await fired;

    const fire = await scored(gamedays, fireId);
    expect(s.apply).toHaveBeenCalledTimes(1);
    expect(s.revert).toHaveBeenCalledTimes(1);
    expect(s.dryRun).not.toHaveBeenCalled();
    expect(fire.scorecard).toMatchObject({
      passed: true,
      mode: 'live',
      runStatus: 'compensated',
      approvals: 1,
      failedSteps: [],
      revertVerified: true,
      firstMitigation: 'rollback',
    });
    const run = await fb.store.getRun(runId);
    expect(run).toMatchObject({ status: 'compensated', dryRun: false, error: { code: 'drill_rollback' } });
    const [gate] = await fb.store.listApprovals({ runId });
    expect(gate).toMatchObject({ status: 'approved', decisions: [{ by: 'gameday', via: 'gameday' }] });
    const types = (await fb.store.listEvents({ incidentId })).map((e) => e.type);
    for (const type of ['approval.decision', 'mitigation.applied', 'run.succeeded', 'mitigation.reverted'])
      expect(types).toContain(type);
    expect(types.indexOf('mitigation.reverted')).toBeGreaterThan(types.indexOf('run.succeeded'));
    expect(types.at(-1)).toBe('incident.resolved');
  });

  test('a live drill without autoApprove waits for a person at the gate', async () => {
    const s = spies();
    const live: GameDay = { ...weekly, id: 'live', mode: 'live' };
    const { clock, fb, gamedays } = await setup(checkoutRunbook(s, [live], { gate: true }));
    clock.advance(WEDNESDAY_DUE.getTime() - START.getTime());
    const fired = gamedays.events.waitFor('fired');
    const parked = fb.engine.events.waitFor('run.parked');
    await gamedays.tick();
    const { fireId, runId } = await fired;
    await parked;
    await gamedays.tick();
    expect(await fb.store.listApprovals({ runId, status: 'pending' })).toHaveLength(1);
    expect((await gamedays.store.fireById(fireId))?.scoredAt).toBeNull();
    expect(s.apply).not.toHaveBeenCalled();
  });

  test('an alert that never comes: after the detect deadline the drill fails as not detected', async () => {
    const injected: string[] = [];
    const gameDay: GameDay = {
      ...weekly,
      id: 'silent',
      inject: ({ incidentId }) => {
        injected.push(incidentId);
        return { broke: 'checkout-db' };
      },
      detect: { labels: { alertname: 'CheckoutDbDown' }, within: '5m' },
    };
    const { clock, fb, gamedays } = await setup(checkoutRunbook(spies(), [gameDay]));
    clock.advance(WEDNESDAY_DUE.getTime() - START.getTime());
    const fired = gamedays.events.waitFor('fired');
    const inject = gamedays.events.waitFor('injected');
    await gamedays.tick();
    const { fireId, incidentId, runId } = await fired;
    expect(await inject).toMatchObject({ status: 'injected' });
    expect(injected).toEqual([incidentId]);
    await fb.result(runId);
    await gamedays.tick();
    expect((await gamedays.store.fireById(fireId))?.scoredAt).toBeNull();

    clock.advance(5 * MINUTE + 1_001);
    const fire = await scored(gamedays, fireId);
    expect(fire.scorecard).toMatchObject({ passed: false, detected: false, timeToDetectMs: null });
    expect(fire.scorecard?.measures).toContainEqual({
      name: 'time to detect',
      value: 'not detected',
      target: '≤ 5 min',
      passed: false,
    });
    const timeline = await new IncidentStore(fb.store.driver).timeline(incidentId);
    expect(timeline.find((e) => e.type === 'gameday.injected')?.data).toMatchObject({
      fireId,
      result: { broke: 'checkout-db' },
    });
    const evidence = await fb.store.listEvidence({ incidentId });
    expect(evidence.map((e) => e.title)).toEqual(['Game day scorecard: checkout:silent (FAILED)']);
  });

  test('game days are checked at load: input, detect labels, durations', () => {
    const rb = runbook({
      id: 'needs-input',
      title: 't',
      input: z.object({ service: z.string() }),
      gameDays: [
        { id: 'no-input', cron: '0 10 * * 3', mode: 'dry-run' },
        {
          id: 'bad:id',
          cron: '0 10 * * 3',
          mode: 'dry-run',
          input: { service: 'x' },
          detect: { labels: { alertname: { op: '=~', value: '(' } }, within: 'soon' },
        },
      ],
    }).diagnostic('a', async () => 1) as unknown as AnyRunbook;
    expect(runbookProblems(rb)).toEqual([
      'game day no-input: input is invalid (service: Invalid input: expected string, received undefined); give the game day an input',
      'game day bad:id: id must be letters, digits, - _ .',
      expect.stringMatching(/^game day bad:id: detect\.labels: /),
      expect.stringMatching(/^game day bad:id: detect\.within: invalid duration "soon"/),
    ]);
  });
});

describe('inject and detection through the webhook', () => {
  let target: HttpServer | null = null;
  afterEach(async () => {
    await new Promise<void>((r) => (target ? target.close(() => r()) : r()));
    target = null;
  });

  test('time to detect runs from the inject to the matching alert; API and scorecard show it', async () => {
    const hits: string[] = [];
    target = createServer((req, res) => {
      hits.push(`${req.method} ${req.url}`);
      res.end('{"broken":true}');
    });
    await new Promise<void>((r) => target!.listen(0, '127.0.0.1', () => r()));
    const faultUrl = `http://127.0.0.1:${(target.address() as AddressInfo).port}/faults/checkout-latency`;
    const s = spies();
    const gameDay: GameDay = {
      ...weekly,
      id: 'latency',
      inject: async ({ http }) => (await http(faultUrl, { method: 'POST' })).json(),
      detect: { labels: { alertname: 'CheckoutLatency', service: /check.*/ }, within: '5m' },
      targets: { detectWithin: '2m', mitigateWithin: '1m' },
    };
    const clock = new ManualClock(START);
    await using srv = await testServer({ server: { clock, runbooks: [checkoutRunbook(s, [gameDay])] } });
    const gamedays = srv.server.gamedays;

    const injected = gamedays.events.waitFor('injected');
    const fired = gamedays.events.waitFor('fired');
    clock.advance(WEDNESDAY_DUE.getTime() - START.getTime());
    await gamedays.tick();
    const { fireId, incidentId: drillId, runId } = await fired;
    expect(await injected).toMatchObject({ fireId, status: 'injected', at: WEDNESDAY_DUE });
    expect(hits).toEqual(['POST /faults/checkout-latency']);
    await srv.finalRun(runId);

    // An alert that does not match comes first; then monitoring notices the fault 42 s after the inject.
    clock.advance(10_000);
    const other = { id: 'disk-1', status: 'firing', labels: { alertname: 'DiskFull', service: 'checkout' } };
    expect((await srv.post('/webhooks/generic', other)).status).toBe(202);
    clock.advance(32_000);
    const detected = gamedays.events.waitFor('detected');
    const alert = {
      id: 'lat-1',
      status: 'firing',
      title: 'Checkout p99 latency',
      labels: { alertname: 'CheckoutLatency', service: 'checkout', severity: 'page' },
    };
    const accepted = await srv.post<{ incidentId: string }>('/webhooks/generic', alert);
    expect(accepted.status).toBe(202);
    expect(await detected).toEqual({ fireId, timeToDetectMs: 42_000 });

    const fire = await scored(gamedays, fireId);
    expect(fire.scorecard).toMatchObject({
      passed: true,
      inject: 'injected',
      detected: true,
      timeToDetectMs: 42_000,
    });
    const list = await srv.get<{ gamedays: Wire<GameDayView>[] }>('/api/gamedays');
    expect(list.status).toBe(200);
    expect(list.body.gamedays).toEqual([
      expect.objectContaining({
        id: 'checkout:latency',
        mode: 'dry-run',
        nextDueAt: '2026-01-14T09:00:00.000Z',
        lastFire: expect.objectContaining({ id: fireId, dueAt: WEDNESDAY_DUE.toISOString() }),
        lastScorecard: expect.objectContaining({
          id: fireId,
          passed: true,
          scorecard: expect.objectContaining({ timeToDetectMs: 42_000 }),
        }),
      }),
    ]);

    // Real incidents only by default; the drill with ?drill=true.
    const real = await srv.get<{ incidents: { id: string; drill: boolean }[] }>('/api/incidents');
    expect(real.body.incidents.map((i) => i.id).sort()).not.toContain(drillId);
    expect(real.body.incidents.map((i) => i.id)).toContain(accepted.body.incidentId);
    const drills = await srv.get<{ incidents: { id: string; drill: boolean }[] }>(
      '/api/incidents?drill=true',
    );
    expect(drills.body.incidents.map((i) => i.id)).toEqual([drillId]);
    const view: IncidentView = await srv.incident(drillId);
    expect(view.evidence.map((e) => e.title)).toEqual(['Game day scorecard: checkout:latency (passed)']);
    const realView = await srv.incident(accepted.body.incidentId);
    expect(realView.timeline.map((e) => e.type)).toContain('gameday.fault_detected');
  });

  test('POST /api/gamedays/:id/run starts a drill now; it ends with a scorecard too', async () => {
    const clock = new ManualClock(START);
    await using srv = await testServer({ server: { clock, runbooks: [checkoutRunbook(spies(), [weekly])] } });
    const missing = await srv.post('/api/gamedays/checkout:nope/run');
    expect(missing.status).toBe(404);
    const r = await srv.post<{ fireId: string; incidentId: string; runId: string }>(
      '/api/gamedays/checkout:weekly/run',
    );
    expect(r.status).toBe(201);
    await srv.finalRun(r.body.runId);
    const fire = await scored(srv.server.gamedays, r.body.fireId);
    expect(fire).toMatchObject({ trigger: 'manual', requestedBy: 'api:local', passed: true });
    const openapi = await srv.get<{ paths: Record<string, unknown> }>('/openapi.json');
    expect(Object.keys(openapi.body.paths)).toEqual(
      expect.arrayContaining(['/api/gamedays', '/api/gamedays/{id}/run']),
    );
  });
});

describe('firebreak gameday --local', () => {
  test('run <runbook>:<game day> prints the scorecard and exits 0 when the drill passed', async () => {
    await using db = await testDatabase({ durable: true });
    const env = {
      ...(db.databaseUrl ? { DATABASE_URL: db.databaseUrl } : {}),
      FIREBREAK_DATA_DIR: db.dataDir,
      RUNBOOKS_DIR: GAMEDAY_RUNBOOKS,
      LOG_LEVEL: 'warn',
      FIREBREAK_POLL_MS: '100',
    };
    const out: string[] = [];
    const io = { out: (l: string) => out.push(l), err: (l: string) => out.push(`err: ${l}`) };
    // --local: no server here; the drill runs in this process (the CLI suite drives it through a server).
    expect(await main(['gameday', 'run', 'every-second:manual-only', '--local'], io, env)).toBe(0);
    expect(out[0]).toMatch(/^drill [0-9a-f-]{36}: incident [0-9a-f-]{36}, run [0-9a-f-]{36}$/);
    expect(out).toContain('scorecard every-second:manual-only (dry-run): PASSED');
    expect(out.some((l) => /^ {2}failed steps +0 {2}\(target ≤ 0\) {2}pass$/.test(l))).toBe(true);

    out.length = 0;
    expect(await main(['gameday', 'list', '--local'], io, env)).toBe(0);
    expect(out).toEqual([
      expect.stringMatching(/^every-second:manual-only +dry-run +"0 0 1 1 \*" UTC +next .* +last passed /),
      expect.stringMatching(/^every-second:tick +dry-run +"\* \* \* \* \* \*" UTC +next /),
    ]);
    expect(await main(['gameday', 'run', '--local'], io, env)).toBe(2);
  });
});
