// The circuit breaker of one target host (scheme + host + port), as pure state transitions with `now`
// passed in. Closed: requests go through and consecutive failures are counted. Open: requests are
// refused without being sent until the cool-down has passed. Half-open: one trial request goes through;
// its success closes the circuit, its failure opens it for another cool-down.
//
// While closed, a host that has not answered well yet (never called, or failing) gets at most
// `failures - consecutive failures` requests in flight; more wait for one of them to end. So 50 runs
// starting at once against a host that is down send it at most `failures` requests, not 50; once a
// request succeeds the host is trusted and nothing waits.

export interface CircuitSettings {
  /** Consecutive failures (connection errors, 5xx answers) that open the circuit. */
  failures: number;
  /** How long an open circuit refuses requests before it lets one trial through. */
  coolDownMs: number;
}

/** `inFlight`: admitted requests whose outcome is not recorded yet. */
export type CircuitState =
  | { state: 'closed'; failures: number; inFlight: number; trusted: boolean }
  | { state: 'open'; failures: number; inFlight: number; halfOpensAt: number }
  | { state: 'half_open'; failures: number; inFlight: number; trial: boolean };

export const closedCircuit: CircuitState = { state: 'closed', failures: 0, inFlight: 0, trusted: false };

/**
 * What a request may do: go (`trial`: it is the one request a half-open circuit lets through); wait for
 * a request in flight to end and ask again (`wait`); or be refused until `retryAt` (ms), because the
 * circuit is open or a trial is under way.
 */
export type Admission =
  | { admit: true; trial: boolean }
  | { admit: false; wait: true }
  | { admit: false; wait: false; retryAt: number; halfOpensAt: number | null };

/**
 * Decides one request at `now`. `trialWaitMs`: how soon a request refused while a trial is under way
 * asks again (the trial's outcome is not known in advance).
 */
export function admit(
  c: CircuitState,
  now: number,
  settings: CircuitSettings,
  trialWaitMs: number,
): { circuit: CircuitState; admission: Admission } {
  const go = (circuit: CircuitState, trial = false) => ({
    circuit: { ...circuit, inFlight: c.inFlight + 1 },
    admission: { admit: true as const, trial },
  });
  if (c.state === 'closed') {
    if (c.trusted || c.failures + c.inFlight < settings.failures) return go(c);
    return { circuit: c, admission: { admit: false, wait: true } };
  }
  if (c.state === 'open' && now < c.halfOpensAt) {
    return {
      circuit: c,
      admission: { admit: false, wait: false, retryAt: c.halfOpensAt, halfOpensAt: c.halfOpensAt },
    };
  }
  if (c.state === 'half_open' && c.trial) {
    return {
      circuit: c,
      admission: { admit: false, wait: false, retryAt: now + trialWaitMs, halfOpensAt: null },
    };
  }
  return go({ state: 'half_open', failures: c.failures, inFlight: c.inFlight, trial: true }, true);
}

/** Any answer below 500 shows the host is up: the circuit closes, whatever it was, and trusts it. */
export function recordSuccess(c: CircuitState): CircuitState {
  return { state: 'closed', failures: 0, inFlight: ended(c), trusted: true };
}

/** A connection error or a 5xx answer. A failed trial reopens the circuit at once. */
export function recordFailure(c: CircuitState, now: number, settings: CircuitSettings): CircuitState {
  const failures = c.failures + 1;
  const inFlight = ended(c);
  if (c.state === 'open') return { ...c, failures, inFlight };
  if (c.state === 'half_open' || failures >= settings.failures) {
    return { state: 'open', failures, inFlight, halfOpensAt: now + settings.coolDownMs };
  }
  return { state: 'closed', failures, inFlight, trusted: false };
}

/**
 * A request that ended without saying anything about the host (the step was cancelled, the run's lease
 * was lost): a trial it held is given back, so the next request may be the trial.
 */
export function recordAbandoned(c: CircuitState, trial: boolean): CircuitState {
  const inFlight = ended(c);
  if (trial && c.state === 'half_open') return { ...c, inFlight, trial: false };
  return { ...c, inFlight };
}

function ended(c: CircuitState): number {
  return Math.max(0, c.inFlight - 1);
}
