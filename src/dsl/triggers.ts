// Trigger matching with Alertmanager's matcher semantics: =, !=, =~, !~ on labels; a missing label is
// the empty string; regular expressions are anchored (the whole value must match).
import type { Trigger } from './types.ts';

export type MatchOp = '=' | '!=' | '=~' | '!~';

export interface Matcher {
  label: string;
  op: MatchOp;
  value: string;
  regex: RegExp | null;
}

export function compileTrigger(trigger: Trigger): Matcher[] {
  return Object.entries(trigger).map(([label, spec]) => {
    if (typeof spec === 'string') return { label, op: '=', value: spec, regex: null };
    if (spec instanceof RegExp)
      return { label, op: '=~', value: spec.source, regex: anchored(spec.source, spec.flags) };
    const regex = spec.op === '=~' || spec.op === '!~' ? anchored(spec.value, '') : null;
    return { label, op: spec.op, value: spec.value, regex };
  });
}

function anchored(source: string, flags: string): RegExp {
  return new RegExp(`^(?:${source})$`, flags.replace(/[gy]/g, ''));
}

export function matches(matchers: readonly Matcher[], labels: Record<string, string>): boolean {
  return matchers.every((m) => matchOne(m, labels[m.label] ?? ''));
}

function matchOne(m: Matcher, v: string): boolean {
  switch (m.op) {
    case '=':
      return v === m.value;
    case '!=':
      return v !== m.value;
    case '=~':
      return m.regex!.test(v);
    case '!~':
      return !m.regex!.test(v);
  }
}

/** Problems with a runbook's triggers (bad regular expressions), for load-time validation. */
export function triggerProblems(triggers: readonly Trigger[]): string[] {
  const problems: string[] = [];
  triggers.forEach((t, i) => {
    try {
      compileTrigger(t);
    } catch (err) {
      problems.push(`trigger ${i + 1}: ${(err as Error).message}`);
    }
    if (Object.keys(t).length === 0)
      problems.push(`trigger ${i + 1} has no matchers (it would match every alert)`);
  });
  return problems;
}

/** A trigger as text, like Alertmanager matchers: alertname="HighErrorRate", severity=~"critical|page". */
export function describeTrigger(trigger: Trigger): string {
  return compileTrigger(trigger)
    .map((m) => `${m.label}${m.op}"${m.value}"`)
    .join(', ');
}

/** A trigger as the API shows it: each label's operator and value ({ severity: "=~critical|page" }). */
export function triggerJson(trigger: Trigger): Record<string, string> {
  return Object.fromEntries(compileTrigger(trigger).map((m) => [m.label, `${m.op}${m.value}`]));
}
