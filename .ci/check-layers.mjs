import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const root = resolve(process.argv[2] ?? '.');
const src = join(root, 'src');
const layers = [
  ['core', 0, ['src/core']],
  ['dsl', 1, ['src/dsl']],
  ['config', 1, ['src/config']],
  ['db', 2, ['src/db']],
  ['store', 3, ['src/store']],
  ['engine', 4, ['src/engine', 'src/runbooks', 'src/triggers', 'src/integrations']],
  [
    'services',
    5,
    [
      'src/services',
      'src/ingest',
      'src/gamedays',
      'src/retention',
      'src/observability',
      'src/integrations/writeback',
    ],
  ],
  [
    'edges',
    6,
    [
      'src/api',
      'src/web',
      'src/cli',
      'src/integrations/slack',
      'src/server.ts',
      'src/firebreak.ts',
      'src/opening.ts',
      'src/index.ts',
      'src/testing',
    ],
  ],
];
function layerOf(p) {
  let best = null;
  for (const [name, rank, prefixes] of layers)
    for (const pre of prefixes)
      if (
        (p === pre ||
          p === pre.replace(/\.tsx?$/, '') ||
          p.startsWith(pre + '/') ||
          p.startsWith(pre + '.')) &&
        (!best || pre.length > best.len)
      )
        best = { name, rank, len: pre.length };
  return best;
}
const files = [];
(function walk(d) {
  for (const e of readdirSync(d)) {
    const f = join(d, e);
    if (statSync(f).isDirectory()) walk(f);
    else if (/\.(ts|tsx)$/.test(e)) files.push(f);
  }
})(src);
const re =
  /(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|import\s+['"]([^'"]+)['"]/g;
let bad = 0;
for (const f of files) {
  const rel = relative(root, f);
  const from = layerOf(rel);
  const text = readFileSync(f, 'utf8');
  for (const m of text.matchAll(re)) {
    const spec = m[1] ?? m[2] ?? m[3];
    if (!spec.startsWith('.')) continue;
    const target = relative(root, resolve(dirname(f), spec)).replace(/\.(js|ts|tsx)$/, '');
    const to = layerOf(target);
    if (!from || !to) {
      console.log(`unmapped: ${rel} -> ${target}`);
      bad++;
      continue;
    }
    let why = null;
    if (to.rank > from.rank) why = `${from.name} imports ${to.name}`;
    else if ((from.name === 'dsl' || from.name === 'config') && to.name !== 'core' && to.name !== from.name)
      why = `${from.name} imports only core`;
    else if (target === 'src/db/driver' && !['db', 'store'].includes(from.name))
      why = 'driver outside store/db';
    if (why) {
      console.log(`${rel} -> ${target}: ${why}`);
      bad++;
    }
  }
}
console.log(`${bad} violations`);
process.exit(bad ? 1 : 0);
