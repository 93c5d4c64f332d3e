#!/usr/bin/env node
// The SQL that lives outside the migrations, kept in step with them (run with tsx: it imports src/).
//
//   npm run db:functions [-- --name <tag>]
//     src/db/functions/<name>.sql holds each PL/pgSQL function as it is now. This writes a migration
//     (drizzle/NNNN_<tag>.sql, in drizzle's journal like `drizzle-kit generate --custom`) with the file of
//     every function the migrations define differently, then dumps the schema. Nothing to do: no
//     migration. A change of a function's arguments or result type cannot be made by CREATE OR REPLACE:
//     add the DROP FUNCTION to the written migration by hand.
//     Before that, the jsonb_to_recordset column lists of firebreak_apply_transitions are rendered from
//     src/store/transition-payload.ts when the columns there changed.
//   npm run db:dump
//     drizzle/schema.sql: the schema of a database with every migration applied (src/db/schema-dump.ts).
//
// Both work on an in-memory PGlite database, so they need no server; test/db checks that the files and a
// migrated PostgreSQL or PGlite database agree.
import { randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { connect } from '../src/db/driver.ts';
import { migrationsFolder } from '../src/db/migrations-folder.ts';
import { dumpSchema } from '../src/db/schema-dump.ts';
import { changedFunctions, functionsFolder, readFunctionFiles } from '../src/db/sql-functions.ts';
import { renderPayloadColumnLists } from '../src/store/transition-payload.ts';

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: { name: { type: 'string', default: 'functions' } },
});
const command = positionals[0];
if (command !== 'functions' && command !== 'dump') {
  console.error('usage: db-sql.mjs functions [--name <tag>] | dump');
  process.exit(2);
}

const pad = (n) => String(n).padStart(4, '0');

function renderApplyTransitions() {
  const file = join(functionsFolder, 'firebreak_apply_transitions.sql');
  const before = readFileSync(file, 'utf8');
  const after = renderPayloadColumnLists(before);
  if (after !== before) {
    writeFileSync(file, after);
    console.log('firebreak_apply_transitions.sql: column lists rendered from transition-payload.ts');
  }
}

function writeMigration(tag, sql) {
  const journalFile = join(migrationsFolder, 'meta/_journal.json');
  const journal = JSON.parse(readFileSync(journalFile, 'utf8'));
  const last = journal.entries.at(-1);
  const idx = last.idx + 1;
  const name = `${pad(idx)}_${tag.replace(/\W+/g, '_')}`;
  writeFileSync(join(migrationsFolder, `${name}.sql`), sql);
  // drizzle applies a migration whose `when` is later than the last one applied.
  journal.entries.push({
    idx,
    version: '7',
    when: Math.max(Date.now(), last.when + 1),
    tag: name,
    breakpoints: true,
  });
  writeFileSync(journalFile, JSON.stringify(journal, null, 2));
  // drizzle-kit diffs src/db/schema.ts against the newest snapshot: a custom migration repeats it.
  const prev = JSON.parse(
    readFileSync(join(migrationsFolder, `meta/${pad(last.idx)}_snapshot.json`), 'utf8'),
  );
  const snapshot = { ...prev, id: randomUUID(), prevId: prev.id };
  writeFileSync(
    join(migrationsFolder, `meta/${pad(idx)}_snapshot.json`),
    `${JSON.stringify(snapshot, null, 2)}\n`,
  );
  return name;
}

const db = await connect({ dataDir: 'memory://' });
try {
  if (command === 'functions') {
    renderApplyTransitions();
    const files = readFunctionFiles();
    const changes = await changedFunctions(db, files);
    if (changes.length === 0) {
      console.log('every function in src/db/functions/ is the one the migrations define: no migration');
    } else {
      const chosen = files.filter((f) => changes.some((c) => c.name === f.name));
      const header = `-- Written by \`npm run db:functions\` from src/db/functions/: ${chosen.map((f) => f.name).join(', ')}.\n`;
      const name = writeMigration(
        values.name,
        header + chosen.map((f) => f.sql).join('\n--> statement-breakpoint\n'),
      );
      console.log(`drizzle/${name}.sql: ${chosen.map((f) => f.name).join(', ')}`);
      for (const f of chosen) await db.query(f.sql);
    }
  }
  writeFileSync(join(migrationsFolder, 'schema.sql'), await dumpSchema(db));
  console.log('drizzle/schema.sql written');
} finally {
  await db.close();
}
