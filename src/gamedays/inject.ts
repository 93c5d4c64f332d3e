// Calling a game day's inject: once, by the replica that fired the drill, bounded by a timeout. A hung
// inject must not hold the drill: its late result is dropped and the drill scores the inject as failed.
import { raceAbort } from '../core/abort.ts';
import type { Clock } from '../core/clock.ts';
import type { Logger } from '../core/logger.ts';
import type { GameDay, GameDayInjectContext } from '../dsl/types.ts';

export const INJECT_TIMEOUT_MS = 30_000;

export interface InjectResult {
  status: 'injected' | 'failed';
  /** When the inject was called: time to detect counts from here. */
  at: Date;
  error: { message: string; name: string } | null;
  /** What inject returned, when it is small JSON (shown on the timeline). */
  result: unknown;
}

export async function callInject(
  gameDay: GameDay,
  about: Omit<GameDayInjectContext, 'signal' | 'http' | 'log'>,
  deps: { clock: Clock; logger: Logger; stop: AbortSignal },
): Promise<InjectResult> {
  const at = deps.clock.now();
  const signal = AbortSignal.any([deps.stop, AbortSignal.timeout(INJECT_TIMEOUT_MS)]);
  const logger = deps.logger.child({ gameDay: about.gameDayId, incidentId: about.incidentId });
  const ctx: GameDayInjectContext = {
    ...about,
    signal,
    http: (url, init) =>
      fetch(url, { ...init, signal: init?.signal ? AbortSignal.any([signal, init.signal]) : signal }),
    log: (message, data) => logger.info(message, data),
  };
  try {
    const value = await raceAbort(signal, () => gameDay.inject!(ctx));
    return { status: 'injected', at, error: null, result: smallJson(value) };
  } catch (err) {
    const e = err instanceof Error ? err : new Error(String(err));
    logger.warn('game day inject failed', { error: e.message });
    return { status: 'failed', at, error: { name: e.name, message: e.message }, result: null };
  }
}

function smallJson(value: unknown): unknown {
  if (value === undefined) return null;
  try {
    const text = JSON.stringify(value);
    return text !== undefined && text.length <= 4096 ? JSON.parse(text) : null;
  } catch {
    return null;
  }
}
