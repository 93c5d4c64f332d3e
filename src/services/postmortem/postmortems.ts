// Loads an incident's journal, builds its postmortem, and keeps drafts and human edits apart: a
// regenerated draft never overwrites a saved edit unless forced.
import type { Clock } from '../../core/clock.ts';
import { NotFoundError } from '../../core/errors.ts';
import type { RunbookRegistry } from '../../runbooks/registry.ts';
import type { DbDriver } from '../../store/database.ts';
import type { IncidentStore } from '../../store/incidents.ts';
import { PostmortemStore } from '../../store/postmortems.ts';
import type { Store } from '../../store/store.ts';
import {
  buildPostmortem,
  type Postmortem,
  type PostmortemInput,
  postmortemMarkdown,
  type RunFacts,
} from './draft.ts';

export interface PostmortemView {
  incidentId: string;
  markdown: string;
  /** The generated draft, also when an edit is shown. */
  draft: Postmortem;
  edited: { by: string | null; at: Date | null } | null;
}

export class Postmortems {
  private readonly saved: PostmortemStore;

  constructor(
    private readonly deps: {
      incidents: IncidentStore;
      store: Store;
      registry: RunbookRegistry;
      /** The database the postmortems table is in (the store's). */
      driver: DbDriver;
      clock: Clock;
    },
  ) {
    this.saved = new PostmortemStore(deps.driver);
  }

  async facts(incidentId: string): Promise<PostmortemInput> {
    const { incidents, store, registry } = this.deps;
    const incident = await incidents.get(incidentId);
    if (!incident) throw new NotFoundError('incident', incidentId);
    const [alerts, timeline, evidence, runs] = await Promise.all([
      incidents.alerts(incidentId),
      incidents.timeline(incidentId),
      store.listEvidence({ incidentId }),
      store.listRuns({ incidentId, limit: 1000 }),
    ]);
    const facts: RunFacts[] = [];
    for (const run of runs) {
      const [steps, approvals] = await Promise.all([
        store.getSteps(run.id),
        store.listApprovals({ runId: run.id }),
      ]);
      const rb = registry.get(run.runbookId);
      const outputs = Object.fromEntries(
        steps.filter((s) => s.status === 'succeeded').map((s) => [s.stepKey, s.output]),
      );
      let sections: { title: string; body: string }[] = [];
      try {
        sections =
          (await rb?.runbook.options.postmortem?.({ input: run.input as never, steps: outputs })) ?? [];
      } catch (err) {
        sections = [{ title: `${run.runbookId}: postmortem section failed`, body: (err as Error).message }];
      }
      facts.push({ run, steps, approvals, sections, title: rb?.runbook.options.title ?? run.runbookId });
    }
    return { incident, alerts, timeline, evidence, runs: facts };
  }

  async build(incidentId: string): Promise<{ draft: Postmortem; markdown: string }> {
    const facts = await this.facts(incidentId);
    const draft = buildPostmortem(facts);
    return { draft, markdown: postmortemMarkdown(draft, facts.evidence) };
  }

  /** Rebuilds and stores the draft; `force` also drops a saved edit. */
  async regenerate(incidentId: string, opts: { force?: boolean } = {}): Promise<PostmortemView> {
    const { draft, markdown } = await this.build(incidentId);
    await this.saved.saveDraft({
      incidentId,
      markdown,
      json: JSON.stringify(draft),
      at: this.deps.clock.now(),
      dropEdit: opts.force === true,
    });
    return this.view(incidentId, draft, markdown);
  }

  /** The saved edit if there is one, else a freshly built draft. */
  async get(incidentId: string): Promise<PostmortemView> {
    const { draft, markdown } = await this.build(incidentId);
    return this.view(incidentId, draft, markdown);
  }

  async saveEdit(incidentId: string, markdown: string, by: string): Promise<PostmortemView> {
    const { draft, markdown: generated } = await this.build(incidentId);
    await this.saved.saveEdit({
      incidentId,
      draftMarkdown: generated,
      draftJson: JSON.stringify(draft),
      markdown,
      by,
      at: this.deps.clock.now(),
    });
    return this.view(incidentId, draft, generated);
  }

  private async view(incidentId: string, draft: Postmortem, generated: string): Promise<PostmortemView> {
    const edit = await this.saved.edit(incidentId);
    if (edit) return { incidentId, markdown: edit.markdown, draft, edited: { by: edit.by, at: edit.at } };
    return { incidentId, markdown: generated, draft, edited: null };
  }
}
