// `firebreak postmortem <incident-id> [--json] [--regenerate [--force]]`.
import { parseArgs } from 'node:util';
import { IncidentStore } from '../incidents/incident-store.ts';
import { Postmortems } from '../incidents/postmortems.ts';
import type { Command } from './io.ts';
import { openFirebreak } from './open.ts';

export const postmortemCommand: Command = {
  summary: 'print the postmortem of an incident (Markdown, or --json); --regenerate stores a new draft',
  usage: 'postmortem <incident-id> [--json] [--regenerate [--force]]',
  async run(args, ctx) {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: {
        json: { type: 'boolean', default: false },
        regenerate: { type: 'boolean', default: false },
        force: { type: 'boolean', default: false },
      },
    });
    const id = positionals[0];
    if (!id) {
      ctx.io.err(`usage: firebreak ${this.usage}`);
      return 2;
    }
    const fb = await openFirebreak(ctx, { work: false });
    try {
      const postmortems = new Postmortems({
        incidents: new IncidentStore(fb.store.driver),
        store: fb.store,
        registry: fb.registry,
        driver: fb.store.driver,
        clock: fb.engine.clock,
      });
      const view = values.regenerate
        ? await postmortems.regenerate(id, { force: values.force })
        : await postmortems.get(id);
      ctx.io.out(
        values.json ? JSON.stringify({ ...view.draft, edited: view.edited }, null, 2) : view.markdown,
      );
      return 0;
    } finally {
      await fb.close();
    }
  },
};
