// Settings changed at run time (the settings table). A change wakes every process, which reads it anew.
import type { Queryable } from '../../db/driver.ts';
import { WAKE_CHANNEL } from '../../db/wake-channel.ts';

const SETTING = 'select value from settings where key = $1';

/** The setting's JSON value, or undefined when it was never set. */
export async function getSetting(db: Queryable, p: { key: string }): Promise<{ value: unknown } | undefined> {
  const [row] = await db.query<{ value: unknown }>(SETTING, [p.key]);
  return row;
}

const SET_SETTING = `with s as (insert into settings (key, value, updated_at, updated_by) values ($1, $2::text::jsonb, $3, $4)
       on conflict (key) do update set value = excluded.value, updated_at = excluded.updated_at,
       updated_by = excluded.updated_by returning key)
       select pg_notify('${WAKE_CHANNEL}', 'setting:' || key) from s`;

/** `value`: JSON text. */
export async function setSetting(
  db: Queryable,
  p: { key: string; value: string; now: Date; by: string | null },
): Promise<void> {
  await db.query(SET_SETTING, [p.key, p.value, p.now, p.by]);
}
