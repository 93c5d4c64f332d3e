// A silence as a runbook mitigation in one line: apply creates it (or finds the one a previous attempt
// created), revert expires it, dryRun says what it would silence. The rest of the step (needs, when,
// approval, retry) is the runbook's, passed through unchanged.
import type { Duration } from '../../core/duration.ts';
import type { ApprovalPolicy, Awaitable, MitigationOptions, StepContext } from '../../dsl/types.ts';
import { type AlertmanagerEndpoint, alertmanagerClient } from './client.ts';
import {
  type AppliedSilence,
  boundedDuration,
  DEFAULT_MAX_SILENCE,
  expireSilence,
  matchersOf,
  silenceAlert,
} from './silence.ts';

export interface SilenceMitigationOptions<I, S> {
  /** Where Alertmanager is: configuration, never the alert or the input (a sender must not choose it). */
  endpoint: (ctx: StepContext<I, S>) => Awaitable<AlertmanagerEndpoint>;
  /** The labels to silence, each an equality matcher: usually the alert's own labels. */
  labels: (ctx: StepContext<I, S>) => Awaitable<Record<string, string>>;
  /** How long: fixed, or from the run (an input, an annotation); checked against `maxDuration` either way. */
  duration: Duration | ((ctx: StepContext<I, S>) => Duration);
  /** Longer silences are refused (default 24h). */
  maxDuration?: Duration;
  /** Where people find the incident; the silence's comment links it. Default: the incident id only. */
  incidentUrl?: (ctx: StepContext<I, S>) => string | null;
  /** Why, for the comment (default "silenced while firebreak mitigates"). */
  reason?: string | ((ctx: StepContext<I, S>) => string);
  needs?: readonly (keyof S & string)[];
  when?: (ctx: StepContext<I, S>) => Awaitable<boolean>;
  approval?: ApprovalPolicy<I, S>;
  timeout?: Duration;
}

export function silenceMitigation<I, S>(
  o: SilenceMitigationOptions<I, S>,
): MitigationOptions<I, S, AppliedSilence> {
  // A bad fixed duration is a mistake in the runbook: say so when it loads, not at 3 a.m.
  if (typeof o.duration !== 'function') boundedDuration(o.duration, o.maxDuration ?? DEFAULT_MAX_SILENCE);
  const duration = (ctx: StepContext<I, S>) =>
    typeof o.duration === 'function' ? o.duration(ctx) : o.duration;
  const client = async (ctx: StepContext<I, S>) => alertmanagerClient(ctx.http, await o.endpoint(ctx));
  return {
    ...(o.needs ? { needs: o.needs } : {}),
    ...(o.when ? { when: o.when } : {}),
    ...(o.approval ? { approval: o.approval } : {}),
    ...(o.timeout !== undefined ? { timeout: o.timeout } : {}),
    dryRun: async (ctx) => ({ wouldSilence: matchersOf(await o.labels(ctx)), for: duration(ctx) }),
    apply: async (ctx) => {
      const labels = await o.labels(ctx);
      const silence = await silenceAlert(await client(ctx), {
        labels,
        duration: duration(ctx),
        runId: ctx.run.id,
        comment: silenceComment(
          ctx.run,
          o.incidentUrl?.(ctx) ?? null,
          typeof o.reason === 'function' ? o.reason(ctx) : o.reason,
        ),
        now: ctx.now(),
        ...(o.maxDuration !== undefined ? { maxDuration: o.maxDuration } : {}),
      });
      ctx.log(silence.reused ? 'silence found again' : 'silence created', { silenceId: silence.silenceId });
      return silence;
    },
    revert: async (ctx) => expireSilence(await client(ctx), ctx.applied.silenceId),
  };
}

/** `<reason>: firebreak run <run>, incident <url or id>`. */
export function silenceComment(
  run: { id: string; incidentId: string | null },
  incidentUrl: string | null,
  reason = 'silenced while firebreak mitigates',
): string {
  const incident = incidentUrl ?? (run.incidentId ? `incident ${run.incidentId}` : null);
  return `${reason}: firebreak run ${run.id}${incident ? `, ${incident}` : ''}`;
}

/** `<PUBLIC_URL>/incidents/<id>`, the incident page, or null without a base URL or an incident. */
export function incidentUrlOf(publicUrl: string | undefined, incidentId: string | null): string | null {
  if (!publicUrl || !incidentId) return null;
  return `${publicUrl.replace(/\/+$/, '')}/incidents/${incidentId}`;
}
