// `firebreak incidents`, `runs`, `cancel`, `retry`: what the server knows about incidents and runs, and
// the two things an operator does to a run.
import { JSON_FLAG, LOCAL_FLAG, parse, required } from './args.ts';
import { withApi } from './connect.ts';
import { finalLine, followRun } from './follow.ts';
import { type Command, EXIT } from './io.ts';
import { printJson, runRow, table, type WireRun, whyLine } from './print.ts';

interface WireIncident {
  id: string;
  status: string;
  severity: string | null;
  title: string;
  drill: boolean;
  openedAt: string;
  resolvedAt: string | null;
  reopenedCount: number;
}

const incidentsOptions = {
  status: { type: 'string', value: 'firing|resolved', description: 'only incidents in this state' },
  drills: { type: 'boolean', description: 'game-day drills instead of real incidents' },
  limit: { type: 'string', value: '<n>', description: 'at most this many (default 100)' },
  ...JSON_FLAG,
  ...LOCAL_FLAG,
} as const;

export const incidentsCommand = {
  summary: 'list incidents (newest first), or show one with its runs and timeline',
  usage: 'incidents [<incident-id>] [--status firing|resolved] [--drills]',
  group: 'server',
  options: incidentsOptions,
  examples: ['firebreak incidents --status firing', 'firebreak incidents 0b7c6f3e-… --json'],
  async run(args, ctx) {
    const { values, positionals } = parse(this, args, 1);
    const { io, config } = ctx;
    return withApi(ctx, { local: values.local }, async ({ api }) => {
      const id = positionals[0];
      if (id) {
        const view = await api.get<{
          incident: WireIncident;
          runs: WireRun[];
          timeline: { at: string; type: string; stepKey: string | null }[];
          alerts: unknown[];
        }>(`/api/incidents/${encodeURIComponent(id)}`);
        if (values.json) {
          printJson(io, view);
          return EXIT.ok;
        }
        const i = view.incident;
        io.out(`${i.title}  [${i.status}]${i.drill ? ' [drill]' : ''}  severity ${i.severity ?? '-'}`);
        io.out(`  ${new URL(`/incidents/${i.id}`, config.FIREBREAK_URL)}`);
        io.out(`  opened ${i.openedAt}${i.resolvedAt ? `, resolved ${i.resolvedAt}` : ''}`);
        if (i.reopenedCount > 0) io.out(`  reopened ${i.reopenedCount}×`);
        io.out(`  ${view.alerts.length} alert(s), ${view.timeline.length} timeline entries`);
        for (const r of view.runs) {
          io.out(`  run ${r.id}  ${r.runbookId}  ${r.status}`);
          const why = whyLine(r);
          if (why) io.out(`  ${why}`);
        }
        return EXIT.ok;
      }
      const { incidents } = await api.get<{ incidents: WireIncident[] }>('/api/incidents', {
        status: values.status,
        drill: values.drills ? 'true' : undefined,
        limit: values.limit,
      });
      if (values.json) {
        printJson(io, incidents);
        return EXIT.ok;
      }
      if (incidents.length === 0) io.out('no incidents');
      const rows = incidents.map((i) => [
        i.id,
        i.status,
        i.severity ?? '-',
        i.openedAt,
        `${i.drill ? '[drill] ' : ''}${i.title}`,
      ]);
      for (const line of table(rows)) io.out(line);
      return EXIT.ok;
    });
  },
} satisfies Command & { options: typeof incidentsOptions };

const runsOptions = {
  status: { type: 'string', value: '<status>', description: 'only runs in this state (failed, waiting, …)' },
  runbook: { type: 'string', value: '<id>', description: 'only runs of this runbook' },
  incident: { type: 'string', value: '<id>', description: 'only runs of this incident' },
  follow: { type: 'boolean', short: 'f', description: 'with a run id: print its steps as they happen' },
  limit: { type: 'string', value: '<n>', description: 'at most this many (default 100)' },
  ...JSON_FLAG,
  ...LOCAL_FLAG,
} as const;

interface WireStep {
  stepKey: string;
  kind: string;
  status: string;
  attempt: number;
  error: WireRun['error'];
}

export const runsCommand = {
  summary: 'list runs, or show one with its steps and why it failed',
  usage: 'runs [<run-id> [--follow]] [--status <s>] [--runbook <id>] [--incident <id>]',
  group: 'server',
  options: runsOptions,
  examples: ['firebreak runs --status failed', 'firebreak runs 9f8e7d6c-… --follow'],
  async run(args, ctx) {
    const { values, positionals } = parse(this, args, 1);
    const { io } = ctx;
    return withApi(ctx, { local: values.local }, async ({ api }) => {
      const id = positionals[0];
      if (id && values.follow) {
        const run = await followRun(api, id, values.json ? null : (l) => io.out(l));
        if (values.json) printJson(io, run);
        else {
          io.out(finalLine(run));
          const why = whyLine(run);
          if (why) io.out(why);
        }
        return run.status === 'succeeded' ? EXIT.ok : EXIT.failed;
      }
      if (id) {
        const view = await api.get<{ run: WireRun; steps: WireStep[] }>(
          `/api/runs/${encodeURIComponent(id)}`,
        );
        if (values.json) {
          printJson(io, view);
          return EXIT.ok;
        }
        const r = view.run;
        io.out(`run ${r.id}  ${r.runbookId}  ${r.status}${r.dryRun ? ' (dry run)' : ''}`);
        io.out(
          `  requested by ${r.requestedBy ?? '-'} at ${r.createdAt}${r.incidentId ? `, incident ${r.incidentId}` : ''}`,
        );
        const why = whyLine(r);
        if (why) io.out(why);
        const rows = view.steps.map((s) => [
          `  ${s.stepKey}`,
          s.kind,
          s.status,
          `attempt ${s.attempt}`,
          s.error?.message ?? '',
        ]);
        for (const line of table(rows)) io.out(line);
        return EXIT.ok;
      }
      const { runs } = await api.get<{ runs: WireRun[] }>('/api/runs', {
        status: values.status,
        runbook: values.runbook,
        incident: values.incident,
        limit: values.limit,
      });
      if (values.json) {
        printJson(io, runs);
        return EXIT.ok;
      }
      if (runs.length === 0) io.out('no runs');
      for (const line of table(runs.map(runRow))) io.out(line);
      return EXIT.ok;
    });
  },
} satisfies Command & { options: typeof runsOptions };

const cancelOptions = {
  keep: { type: 'boolean', description: 'leave applied mitigations in place (default: revert them)' },
  ...JSON_FLAG,
  ...LOCAL_FLAG,
} as const;

export const cancelCommand = {
  summary: 'cancel a run; applied mitigations are reverted unless --keep',
  usage: 'cancel <run-id> [--keep]',
  group: 'server',
  options: cancelOptions,
  examples: ['firebreak cancel 9f8e7d6c-…', 'firebreak cancel 9f8e7d6c-… --keep'],
  async run(args, ctx) {
    const { values, positionals } = parse(this, args, 1);
    const id = required(positionals, 0, 'the run id');
    return withApi(ctx, { local: values.local }, async ({ api }) => {
      const { run } = await api.post<{ run: WireRun }>(`/api/runs/${encodeURIComponent(id)}/cancel`, {
        keepMitigations: values.keep,
      });
      if (values.json) printJson(ctx.io, run);
      else ctx.io.out(`run ${run.id}: cancel requested (was ${run.status})`);
      return EXIT.ok;
    });
  },
} satisfies Command & { options: typeof cancelOptions };

const retryOptions = { ...JSON_FLAG, ...LOCAL_FLAG } as const;

export const retryCommand = {
  summary: 'run a failed or compensated run again from its first failed step',
  usage: 'retry <run-id>',
  group: 'server',
  options: retryOptions,
  examples: ['firebreak retry 9f8e7d6c-… && firebreak runs 9f8e7d6c-… --follow'],
  async run(args, ctx) {
    const { values, positionals } = parse(this, args, 1);
    const id = required(positionals, 0, 'the run id');
    return withApi(ctx, { local: values.local }, async ({ api }) => {
      const out = await api.post<{ runId: string; status: string }>(
        `/api/runs/${encodeURIComponent(id)}/retry`,
      );
      if (values.json) printJson(ctx.io, out);
      else ctx.io.out(`run ${out.runId}: ${out.status} again from its first failed step`);
      return EXIT.ok;
    });
  },
} satisfies Command & { options: typeof retryOptions };
