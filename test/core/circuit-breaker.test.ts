import { describe, expect, test } from 'vitest';
import {
  type Admission,
  admit,
  type CircuitState,
  closedCircuit,
  recordAbandoned,
  recordFailure,
  recordSuccess,
} from '../../src/core/circuit-breaker.ts';

const settings = { failures: 3, coolDownMs: 30_000 };
const TRIAL_WAIT = 1_000;

/** A manual clock: ms since the start of the test. */
function manualClock() {
  let now = 0;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

/** Admits one request at `now` and returns the circuit after it and what the request may do. */
function ask(c: CircuitState, now: number): [CircuitState, Admission] {
  const r = admit(c, now, settings, TRIAL_WAIT);
  return [r.circuit, r.admission];
}

const open = (halfOpensAt: number, failures = 3): CircuitState => ({
  state: 'open',
  failures,
  inFlight: 0,
  halfOpensAt,
});

describe('circuit breaker state machine', () => {
  test('closed: failures are counted, a success resets the count and trusts the host', () => {
    const [first, a] = ask(closedCircuit, 0);
    expect(a).toEqual({ admit: true, trial: false });
    let c = recordFailure(first, 0, settings);
    [c] = ask(c, 0);
    c = recordFailure(c, 0, settings);
    expect(c).toEqual({ state: 'closed', failures: 2, inFlight: 0, trusted: false });
    [c] = ask(c, 0);
    c = recordSuccess(c);
    expect(c).toEqual({ state: 'closed', failures: 0, inFlight: 0, trusted: true });
  });

  test('a host not yet trusted gets at most `failures` requests in flight; more wait for an outcome', () => {
    let c = closedCircuit;
    const admissions: Admission[] = [];
    for (let i = 0; i < 5; i++) {
      let a: Admission;
      [c, a] = ask(c, 0);
      admissions.push(a);
    }
    expect(admissions.map((a) => a.admit)).toEqual([true, true, true, false, false]);
    expect(admissions[3]).toEqual({ admit: false, wait: true });
    // One failed: failures + in flight is still 3, so the waiting ones still wait.
    c = recordFailure(c, 0, settings);
    expect(ask(c, 0)[1]).toEqual({ admit: false, wait: true });
    // One succeeded: the host is trusted, nothing waits any more, however many are in flight.
    c = recordSuccess(c);
    for (let i = 0; i < 10; i++) {
      let a: Admission;
      [c, a] = ask(c, 0);
      expect(a.admit).toBe(true);
    }
    expect(c.inFlight).toBe(11);
  });

  test('N consecutive failures open it; it refuses until the cool-down has passed', () => {
    const t = manualClock();
    let c = closedCircuit;
    for (let i = 0; i < 3; i++) {
      [c] = ask(c, t.now());
      c = recordFailure(c, t.now(), settings);
    }
    expect(c).toEqual(open(30_000));
    t.advance(29_999);
    expect(ask(c, t.now())).toEqual([c, { admit: false, wait: false, retryAt: 30_000, halfOpensAt: 30_000 }]);
  });

  test('after the cool-down one trial goes through; the others are refused while it is under way', () => {
    const t = manualClock();
    t.advance(30_000);
    const [c, first] = ask(open(30_000), t.now());
    expect(first).toEqual({ admit: true, trial: true });
    expect(c).toEqual({ state: 'half_open', failures: 3, inFlight: 1, trial: true });
    expect(ask(c, t.now())[1]).toEqual({ admit: false, wait: false, retryAt: 31_000, halfOpensAt: null });
  });

  test('a successful trial closes the circuit', () => {
    const [c] = ask(open(10), 10);
    expect(recordSuccess(c)).toEqual({ state: 'closed', failures: 0, inFlight: 0, trusted: true });
  });

  test('a failed trial reopens it for another cool-down, counted from the failure', () => {
    const t = manualClock();
    t.advance(30_000);
    let [c] = ask(open(30_000), t.now());
    t.advance(2_000);
    c = recordFailure(c, t.now(), settings);
    expect(c).toEqual(open(62_000, 4));
    expect(ask(c, 61_999)[1].admit).toBe(false);
    expect(ask(c, 62_000)[1]).toEqual({ admit: true, trial: true });
  });

  test('a late failure of a request sent before it opened does not extend the cool-down', () => {
    const c = { ...open(30_000), inFlight: 1 };
    expect(recordFailure(c, 5_000, settings)).toEqual(open(30_000, 4));
  });

  test('an abandoned trial (a cancelled step) lets the next request be the trial', () => {
    let [c] = ask(open(0), 0);
    expect(ask(c, 0)[1].admit).toBe(false);
    c = recordAbandoned(c, true);
    expect(ask(c, 0)[1]).toEqual({ admit: true, trial: true });
  });
});
