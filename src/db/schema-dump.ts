// The schema as it is after every migration, read from the catalog: tables and columns, constraints,
// indexes, sequences, functions (bodies included) and triggers, in name order. drizzle/schema.sql holds
// it, written by `npm run db:dump`, so that what is live never hides behind the migration history;
// test/db/schema-dump.test.ts fails when the migrated database and that file disagree. Only the
// catalog's own printers (format_type, pg_get_*def) are used, so PostgreSQL and PGlite print the same.
import type { Queryable } from './driver.ts';

export const SCHEMA_DUMP_HEADER = `-- The current schema, dumped from a migrated database by \`npm run db:dump\` (src/db/schema-dump.ts).
-- Do not edit: change src/db/schema.ts or src/db/functions/, make a migration, and dump again.
`;

const PUBLIC = `(select oid from pg_namespace where nspname = 'public')`;

async function tables(db: Queryable): Promise<string[]> {
  const cols = await db.query<{
    tbl: string;
    col: string;
    type: string;
    notnull: boolean;
    def: string | null;
  }>(
    `select c.relname as tbl, a.attname as col, format_type(a.atttypid, a.atttypmod) as type,
       a.attnotnull as notnull, pg_get_expr(d.adbin, d.adrelid) as def
     from pg_class c join pg_attribute a on a.attrelid = c.oid
     left join pg_attrdef d on d.adrelid = c.oid and d.adnum = a.attnum
     where c.relnamespace = ${PUBLIC} and c.relkind in ('r', 'p') and a.attnum > 0 and not a.attisdropped
     order by c.relname, a.attnum`,
  );
  const byTable = new Map<string, string[]>();
  for (const c of cols) {
    const line = `  ${c.col} ${c.type}${c.def === null ? '' : ` DEFAULT ${c.def}`}${c.notnull ? ' NOT NULL' : ''}`;
    byTable.set(c.tbl, [...(byTable.get(c.tbl) ?? []), line]);
  }
  return [...byTable].map(([t, lines]) => `CREATE TABLE ${t} (\n${lines.join(',\n')}\n);`);
}

async function constraints(db: Queryable): Promise<string[]> {
  const rows = await db.query<{ tbl: string; name: string; def: string }>(
    `select c.relname as tbl, k.conname as name, pg_get_constraintdef(k.oid) as def
     from pg_constraint k join pg_class c on c.oid = k.conrelid
     where c.relnamespace = ${PUBLIC} and k.contype in ('p', 'u', 'f', 'c', 'x')
     order by c.relname, k.conname`,
  );
  return rows.map((r) => `ALTER TABLE ${r.tbl} ADD CONSTRAINT ${r.name} ${r.def};`);
}

async function indexes(db: Queryable): Promise<string[]> {
  // Indexes a constraint made are printed with their constraint.
  const rows = await db.query<{ def: string }>(
    `select pg_get_indexdef(i.indexrelid) as def
     from pg_index i join pg_class x on x.oid = i.indexrelid join pg_class c on c.oid = i.indrelid
     where c.relnamespace = ${PUBLIC}
       and not exists (select 1 from pg_constraint k where k.conindid = i.indexrelid and k.conrelid = c.oid)
     order by c.relname, x.relname`,
  );
  return rows.map((r) => `${r.def};`);
}

async function sequences(db: Queryable): Promise<string[]> {
  const rows = await db.query<{
    name: string;
    type: string;
    start: string;
    inc: string;
    owner: string | null;
  }>(
    `select c.relname as name, format_type(s.seqtypid, null) as type, s.seqstart::text as start,
       s.seqincrement::text as inc,
       (select t.relname || '.' || a.attname from pg_depend d join pg_class t on t.oid = d.refobjid
          join pg_attribute a on a.attrelid = t.oid and a.attnum = d.refobjsubid
        where d.objid = c.oid and d.classid = 'pg_class'::regclass and d.deptype in ('a', 'i')) as owner
     from pg_class c join pg_sequence s on s.seqrelid = c.oid
     where c.relnamespace = ${PUBLIC} order by c.relname`,
  );
  return rows.map(
    (r) =>
      `CREATE SEQUENCE ${r.name} AS ${r.type} START ${r.start} INCREMENT ${r.inc}${r.owner ? ` OWNED BY ${r.owner}` : ''};`,
  );
}

async function functions(db: Queryable): Promise<string[]> {
  const rows = await db.query<{ def: string }>(
    `select pg_get_functiondef(p.oid) as def from pg_proc p
     where p.pronamespace = ${PUBLIC} order by p.proname, pg_get_function_identity_arguments(p.oid)`,
  );
  return rows.map((r) => `${r.def.trimEnd()};`);
}

async function triggers(db: Queryable): Promise<string[]> {
  const rows = await db.query<{ def: string }>(
    `select pg_get_triggerdef(t.oid) as def from pg_trigger t join pg_class c on c.oid = t.tgrelid
     where c.relnamespace = ${PUBLIC} and not t.tgisinternal order by c.relname, t.tgname`,
  );
  return rows.map((r) => `${r.def};`);
}

async function views(db: Queryable): Promise<string[]> {
  const rows = await db.query<{ name: string; def: string }>(
    `select c.relname as name, pg_get_viewdef(c.oid) as def from pg_class c
     where c.relnamespace = ${PUBLIC} and c.relkind in ('v', 'm') order by c.relname`,
  );
  return rows.map((r) => `CREATE VIEW ${r.name} AS\n${r.def.trim()}`);
}

/** The public schema of `db` as SQL text, the same for the same migrations on either database. */
export async function dumpSchema(db: Queryable): Promise<string> {
  const sections: [string, string[]][] = [
    ['tables', await tables(db)],
    ['sequences', await sequences(db)],
    ['constraints', await constraints(db)],
    ['indexes', await indexes(db)],
    ['views', await views(db)],
    ['functions', await functions(db)],
    ['triggers', await triggers(db)],
  ];
  const body = sections
    .filter(([, items]) => items.length > 0)
    .map(([title, items]) => `-- ${title}\n\n${items.join('\n\n')}\n`)
    .join('\n');
  return `${SCHEMA_DUMP_HEADER}\n${body}`;
}
