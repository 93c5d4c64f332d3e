// A run-time setting with who changed it and when (the kill switch's banner and API answer). Not on a
// hot path: drizzle's query builder, row types from the schema.
import { eq } from 'drizzle-orm';
import { drizzleOf } from '../db/drizzle.ts';
import { settings } from '../db/schema.ts';
import { databaseOf } from './database.ts';
import type { Store } from './store.ts';

export interface SettingRecord {
  value: unknown;
  updatedAt: Date;
  updatedBy: string | null;
}

export async function settingRecord(store: Store, key: string): Promise<SettingRecord | null> {
  const [row] = await drizzleOf(databaseOf(store))
    .select({ value: settings.value, updatedAt: settings.updatedAt, updatedBy: settings.updatedBy })
    .from(settings)
    .where(eq(settings.key, key));
  return row ?? null;
}
