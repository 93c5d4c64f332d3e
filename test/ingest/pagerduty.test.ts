import { describe, expect, test } from 'vitest';
import { parsePagerDuty } from '../../src/ingest/sources/pagerduty.ts';
import { expectBatch, expectFailure, expectIssuePaths, fixture } from './support.ts';

const triggered = fixture('pagerduty/incident-triggered.json');
const resolved = fixture('pagerduty/incident-resolved.json');

/** The fixture's event with some fields of `event` and of `event.data` replaced. */
function variant(
  base: Record<string, unknown>,
  event: Record<string, unknown>,
  data: Record<string, unknown> = {},
): Record<string, unknown> {
  const original = base.event as Record<string, unknown>;
  return {
    event: { ...original, ...event, data: { ...(original.data as Record<string, unknown>), ...data } },
  };
}

describe('parsePagerDuty', () => {
  test('incident.triggered becomes a firing batch of one alert for the incident', () => {
    const batch = expectBatch(parsePagerDuty(triggered, 'wh-1'));
    expect(batch).toMatchObject({
      source: 'pagerduty',
      groupKey: 'PGR0VU2',
      status: 'firing',
      title: 'Payments API database connections saturated',
      severity: 'P1',
      deliveryId: 'wh-1',
      notificationReason: 'incident.triggered',
    });
    const labels = { service: 'payments-api', service_id: 'PF9KMXH', priority: 'P1', urgency: 'high' };
    expect(batch.commonLabels).toEqual(labels);
    expect(batch.alerts).toEqual([
      {
        source: 'pagerduty',
        fingerprint: 'PGR0VU2',
        status: 'firing',
        labels,
        annotations: {
          summary: 'Payments API database connections saturated',
          incident_id: 'PGR0VU2',
          incident_key: 'd3640fbd41094207a1c11e58e46b1662',
          incident_number: '2',
          escalation_policy: 'Default',
        },
        startsAt: new Date('2026-09-10T07:05:10Z'),
        endsAt: null,
        generatorUrl: 'https://acme.pagerduty.com/incidents/PGR0VU2',
      },
    ]);
  });

  test('incident.resolved resolves the same group, ending at the event time', () => {
    const batch = expectBatch(parsePagerDuty(resolved, 'wh-2'));
    expect(batch).toMatchObject({
      groupKey: 'PGR0VU2',
      status: 'resolved',
      notificationReason: 'incident.resolved',
    });
    expect(batch.alerts).toHaveLength(1);
    expect(batch.alerts[0]).toMatchObject({
      fingerprint: 'PGR0VU2',
      status: 'resolved',
      endsAt: new Date('2026-09-10T07:31:40.002Z'),
    });
  });

  test('without the X-Webhook-Id header the event id identifies the delivery', () => {
    expect(expectBatch(parsePagerDuty(triggered)).deliveryId).toBe('01DEN2HJQ9Q3KZ4ZK1M9XC9M2F');
  });

  test('an acknowledged incident is still open, so it fires, and the event type says what happened', () => {
    const acknowledged = variant(
      triggered,
      { event_type: 'incident.acknowledged' },
      { status: 'acknowledged' },
    );
    const batch = expectBatch(parsePagerDuty(acknowledged));
    expect(batch.status).toBe('firing');
    expect(batch.notificationReason).toBe('incident.acknowledged');
  });

  test("the incident's own status wins: a priority change on a resolved incident does not reopen it", () => {
    const late = variant(resolved, { event_type: 'incident.priority_updated' }, { status: 'resolved' });
    expect(expectBatch(parsePagerDuty(late)).status).toBe('resolved');
  });

  test('a reopened incident fires again', () => {
    const reopened = variant(resolved, { event_type: 'incident.reopened' }, { status: 'triggered' });
    expect(expectBatch(parsePagerDuty(reopened)).status).toBe('firing');
  });

  test('without a priority the urgency is the severity', () => {
    const low = variant(triggered, {}, { priority: null, urgency: 'low' });
    const batch = expectBatch(parsePagerDuty(low));
    expect(batch.severity).toBe('low');
    expect(batch.commonLabels).toEqual({ service: 'payments-api', service_id: 'PF9KMXH', urgency: 'low' });
  });

  describe('events without an incident to route are unroutable', () => {
    test.each([
      'incident.annotated',
      'incident.status_update_published',
      'incident.responder.added',
      'service.updated',
      'pagey.ping',
    ])('%s', (eventType) => {
      const failure = expectFailure(
        parsePagerDuty(variant(triggered, { event_type: eventType })),
        'unroutable',
      );
      expect(failure).toMatchObject({ reason: expect.stringContaining(eventType) });
    });

    test('an incident event without an incident id', () => {
      expectFailure(parsePagerDuty(variant(triggered, {}, { id: null })), 'unroutable');
    });
  });

  describe('wrong shapes are schema errors', () => {
    test('no event envelope (a V2 webhook, say)', () => {
      const paths = expectIssuePaths(parsePagerDuty({ messages: [] })).map((path) => path.join('.'));
      expect(paths).toContain('event');
    });

    test('an incident event whose data is not an incident', () => {
      const event = { ...(triggered.event as Record<string, unknown>), data: 'PGR0VU2' };
      const paths = expectIssuePaths(parsePagerDuty({ event })).map((path) => path.join('.'));
      expect(paths).toContain('event.data');
    });

    test('a malformed field inside the incident, with its full path', () => {
      const paths = expectIssuePaths(parsePagerDuty(variant(triggered, {}, { service: 'payments-api' }))).map(
        (path) => path.join('.'),
      );
      expect(paths).toContain('event.data.service');
    });
  });
});
