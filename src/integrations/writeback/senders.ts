// How each outbox row becomes a call: the client of its service, given the credential at send time (a
// row never holds one). A note or annotation claimed before (an earlier send may have landed before its
// process died, or its answer was lost) is looked up first, so it is not posted twice.
import type { Annotation, GrafanaClient } from '../grafana/client.ts';
import type { PagerDutyClient } from '../pagerduty/client.ts';
import type { WritebackOutbox, WritebackRow } from './outbox.ts';

/** `later`: the row waits for another (the annotation it ends is not posted yet). */
export type SendResult = { remoteId: string | null } | 'later';
export type Sender = (row: WritebackRow) => Promise<SendResult>;

export interface PagerDutyBody {
  incident: string;
  content?: string;
  resolution?: string;
}

export function pagerDutySender(client: PagerDutyClient): Sender {
  return async (row) => {
    const b = row.body as unknown as PagerDutyBody;
    switch (row.op) {
      case 'acknowledge':
        await client.acknowledge(b.incident);
        return { remoteId: null };
      case 'resolve':
        await client.resolve(b.incident, b.resolution);
        return { remoteId: null };
      case 'note': {
        const content = b.content ?? '';
        if (row.claims > 1) {
          const landed = (await client.listNotes(b.incident)).find((n) => n.content === content);
          if (landed) return { remoteId: landed.id };
        }
        return { remoteId: (await client.addNote(b.incident, content)).id || null };
      }
      default:
        throw new Error(`pagerduty: unknown write-back op ${row.op}`);
    }
  };
}

export interface AnnotateBody {
  annotation: Annotation;
}

/** Ends the annotation of row `ref` at `timeEnd`; posts `fallback` if that one was never posted. */
export interface AnnotateEndBody {
  timeEnd: number;
  fallback: Annotation;
}

export function grafanaSender(client: GrafanaClient, outbox: WritebackOutbox): Sender {
  const post = async (row: WritebackRow, a: Annotation): Promise<SendResult> => {
    if (row.claims > 1) {
      const where = a.dashboardUID ? { dashboardUID: a.dashboardUID } : { tags: a.tags };
      const found = await client.find({ from: a.time, to: a.timeEnd ?? a.time, ...where });
      const landed = found.find((f) => f.text === a.text && f.time === a.time);
      if (landed) return { remoteId: String(landed.id) };
    }
    return { remoteId: String(await client.annotate(a)) };
  };
  return async (row) => {
    if (row.op === 'annotate') return post(row, (row.body as unknown as AnnotateBody).annotation);
    if (row.op !== 'annotate_end') throw new Error(`grafana: unknown write-back op ${row.op}`);
    const b = row.body as unknown as AnnotateEndBody;
    const start = row.ref ? await outbox.state(row.ref) : null;
    if (start?.status === 'pending') return 'later';
    if (start?.status === 'sent' && start.remoteId) {
      await client.patch(Number(start.remoteId), { timeEnd: b.timeEnd });
      return { remoteId: start.remoteId };
    }
    return post(row, b.fallback);
  };
}
