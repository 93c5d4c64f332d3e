// An incident's stored postmortem: the last generated draft and a human edit kept apart, each write one
// typed statement, the read through drizzle.
import { eq } from 'drizzle-orm';
import { drizzleOf } from '../db/drizzle.ts';
import { postmortems } from '../db/schema.ts';
import type { Db } from './database.ts';

export interface PostmortemEdit {
  markdown: string;
  by: string | null;
  at: Date | null;
}

export class PostmortemStore {
  constructor(private readonly q: Db) {}

  /** Stores a generated draft; `dropEdit` also forgets a saved edit. */
  async saveDraft(p: {
    incidentId: string;
    markdown: string;
    json: string;
    at: Date;
    dropEdit: boolean;
  }): Promise<void> {
    await this.q.query(
      `insert into postmortems (incident_id, generated_markdown, generated_json, generated_at)
       values ($1, $2, $3::text::jsonb, $4)
       on conflict (incident_id) do update set generated_markdown = excluded.generated_markdown,
         generated_json = excluded.generated_json, generated_at = excluded.generated_at,
         edited_markdown = case when $5 then null else postmortems.edited_markdown end,
         edited_by = case when $5 then null else postmortems.edited_by end,
         edited_at = case when $5 then null else postmortems.edited_at end`,
      [p.incidentId, p.markdown, p.json, p.at, p.dropEdit],
    );
  }

  /** Stores a human edit; the draft given is stored with it when the incident has no row yet. */
  async saveEdit(p: {
    incidentId: string;
    draftMarkdown: string;
    draftJson: string;
    markdown: string;
    by: string;
    at: Date;
  }): Promise<void> {
    await this.q.query(
      `insert into postmortems (incident_id, generated_markdown, generated_json, generated_at, edited_markdown, edited_by, edited_at)
       values ($1, $2, $3::text::jsonb, $4, $5, $6, $4)
       on conflict (incident_id) do update set edited_markdown = excluded.edited_markdown,
         edited_by = excluded.edited_by, edited_at = excluded.edited_at`,
      [p.incidentId, p.draftMarkdown, p.draftJson, p.at, p.markdown, p.by],
    );
  }

  /** The saved edit, if someone saved one. */
  async edit(incidentId: string): Promise<PostmortemEdit | null> {
    const [row] = await drizzleOf(this.q)
      .select({
        markdown: postmortems.editedMarkdown,
        by: postmortems.editedBy,
        at: postmortems.editedAt,
      })
      .from(postmortems)
      .where(eq(postmortems.incidentId, incidentId));
    return row?.markdown == null ? null : { markdown: row.markdown, by: row.by, at: row.at };
  }
}
