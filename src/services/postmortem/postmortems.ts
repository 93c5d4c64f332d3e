// Loads an incident's journal, builds its postmortem, and keeps drafts and human edits apart: a
// regenerated draft never overwrites a saved edit unless forced.
import type { Clock } from '../../core/clock.ts';
import { NotFoundError } from '../../core/errors.ts';
import type { SqlDriver } from '../../db/driver.ts';
import type { RunbookRegistry } from '../../runbooks/registry.ts';
import type { IncidentStore } from '../../store/incidents.ts';
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
  constructor(
    private readonly deps: {
      incidents: IncidentStore;
      store: Store;
      registry: RunbookRegistry;
      driver: SqlDriver;
      clock: Clock;
    },
  ) {}

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
    await this.deps.driver.query(
      `insert into postmortems (incident_id, generated_markdown, generated_json, generated_at)
       values ($1, $2, $3::text::jsonb, $4)
       on conflict (incident_id) do update set generated_markdown = excluded.generated_markdown,
         generated_json = excluded.generated_json, generated_at = excluded.generated_at,
         edited_markdown = case when $5 then null else postmortems.edited_markdown end,
         edited_by = case when $5 then null else postmortems.edited_by end,
         edited_at = case when $5 then null else postmortems.edited_at end`,
      [incidentId, markdown, JSON.stringify(draft), this.deps.clock.now(), opts.force === true],
    );
    return this.view(incidentId, draft, markdown);
  }

  /** The saved edit if there is one, else a freshly built draft. */
  async get(incidentId: string): Promise<PostmortemView> {
    const { draft, markdown } = await this.build(incidentId);
    return this.view(incidentId, draft, markdown);
  }

  async saveEdit(incidentId: string, markdown: string, by: string): Promise<PostmortemView> {
    const { draft, markdown: generated } = await this.build(incidentId);
    await this.deps.driver.query(
      `insert into postmortems (incident_id, generated_markdown, generated_json, generated_at, edited_markdown, edited_by, edited_at)
       values ($1, $2, $3::text::jsonb, $4, $5, $6, $4)
       on conflict (incident_id) do update set edited_markdown = excluded.edited_markdown,
         edited_by = excluded.edited_by, edited_at = excluded.edited_at`,
      [incidentId, generated, JSON.stringify(draft), this.deps.clock.now(), markdown, by],
    );
    return this.view(incidentId, draft, generated);
  }

  private async view(incidentId: string, draft: Postmortem, generated: string): Promise<PostmortemView> {
    const [row] = await this.deps.driver.query(
      'select edited_markdown, edited_by, edited_at from postmortems where incident_id = $1',
      [incidentId],
    );
    if (row?.edited_markdown != null) {
      return {
        incidentId,
        markdown: String(row.edited_markdown),
        draft,
        edited: {
          by: row.edited_by == null ? null : String(row.edited_by),
          at: row.edited_at ? new Date(String(row.edited_at)) : null,
        },
      };
    }
    return { incidentId, markdown: generated, draft, edited: null };
  }
}
