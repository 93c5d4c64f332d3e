// Read-only and small operator commands: incidents, cancel, dead-letters.
import { parseArgs } from 'node:util';
import { IncidentStore } from '../incidents/incident-store.ts';
import type { Command } from './io.ts';
import { openFirebreak } from './open.ts';

export const incidentsCommand: Command = {
  summary: 'list incidents (newest first), or show one as JSON',
  usage: 'incidents [<id>] [--status firing|resolved]',
  async run(args, ctx) {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: { status: { type: 'string' } },
    });
    const fb = await openFirebreak(ctx, { work: false });
    try {
      const incidents = new IncidentStore(fb.store.driver);
      if (positionals[0]) {
        const incident = await incidents.get(positionals[0]);
        if (!incident) {
          ctx.io.err(`no incident ${positionals[0]}`);
          return 1;
        }
        const [alerts, timeline, runs] = await Promise.all([
          incidents.alerts(incident.id),
          incidents.timeline(incident.id),
          fb.store.listRuns({ incidentId: incident.id }),
        ]);
        ctx.io.out(JSON.stringify({ incident, alerts, runs, timeline }, null, 2));
        return 0;
      }
      for (const i of await incidents.list(values.status ? { status: values.status } : {})) {
        ctx.io.out(
          `${i.id}  ${i.status.padEnd(8)} ${(i.severity ?? '-').padEnd(9)} ${i.openedAt.toISOString()}  ${i.drill ? '[drill] ' : ''}${i.title}`,
        );
      }
      return 0;
    } finally {
      await fb.close();
    }
  },
};

export const cancelCommand: Command = {
  summary: 'cancel a run (applied mitigations are reverted unless --keep)',
  usage: 'cancel <run-id> [--keep]',
  async run(args, ctx) {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: { keep: { type: 'boolean', default: false } },
    });
    if (!positionals[0]) {
      ctx.io.err(`usage: firebreak ${this.usage}`);
      return 2;
    }
    const fb = await openFirebreak(ctx, { work: false });
    try {
      const run = await fb.cancel(positionals[0], { keepMitigations: values.keep });
      ctx.io.out(`run ${run.id}: cancel requested (was ${run.status})`);
      return 0;
    } finally {
      await fb.close();
    }
  },
};

export const deadLettersCommand: Command = {
  summary: 'list payloads kept as dead letters, with reasons',
  usage: 'dead-letters',
  async run(_args, ctx) {
    const fb = await openFirebreak(ctx, { work: false });
    try {
      for (const d of await new IncidentStore(fb.store.driver).deadLetters()) {
        ctx.io.out(
          `${d.id}  ${d.receivedAt.toISOString()}  ${d.source.padEnd(12)} ${d.replayedAt ? '[replayed] ' : ''}${d.reason}`,
        );
      }
      return 0;
    } finally {
      await fb.close();
    }
  },
};
