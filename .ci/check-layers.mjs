// The layer rule of ARCHITECTURE.md ("Layers"), checked: a file under src/ imports from its own layer or
// the layers below, never above; src/dsl and src/config import src/core only; only src/store and src/db
// import the driver. Run by `npm run lint` (so by CI). Prints each import that breaks a rule, naming the
// file, what it imports and the rule, and exits 1; prints "layers: ok (N imports checked)" otherwise.
//
//   node .ci/check-layers.mjs [repository root]
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const root = resolve(process.argv[2] ?? join(dirname(new URL(import.meta.url).pathname), '..'));

// From the bottom. A path belongs to the layer of its longest matching prefix.
const LAYERS = [
  { name: 'core', rank: 0, paths: ['src/core'] },
  { name: 'dsl', rank: 1, paths: ['src/dsl'], only: ['core'] },
  { name: 'config', rank: 1, paths: ['src/config'], only: ['core'] },
  { name: 'db', rank: 2, paths: ['src/db'] },
  { name: 'store', rank: 3, paths: ['src/store'] },
  { name: 'engine', rank: 4, paths: ['src/engine', 'src/runbooks', 'src/integrations'] },
  {
    name: 'services',
    rank: 5,
    paths: [
      'src/services',
      'src/ingest',
      'src/gamedays',
      'src/retention',
      'src/observability',
      'src/integrations/writeback',
    ],
  },
  {
    name: 'edges',
    rank: 6,
    paths: [
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
  },
];
const DRIVER = 'src/db/driver';
const DRIVER_LAYERS = ['db', 'store'];

function layerOf(path) {
  let best = null;
  for (const layer of LAYERS) {
    for (const prefix of layer.paths) {
      const bare = prefix.replace(/\.tsx?$/, '');
      const hit = path === bare || path.startsWith(`${bare}/`);
      if (hit && (!best || bare.length > best.length)) best = { layer, length: bare.length };
    }
  }
  return best?.layer ?? null;
}

function sources(dir, out = []) {
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) sources(path, out);
    else if (/\.tsx?$/.test(entry)) out.push(path);
  }
  return out;
}

// Static imports and re-exports (`import … from`, `export … from`, `import '…'`) and dynamic `import('…')`.
const IMPORT =
  /(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|import\s+['"]([^'"]+)['"]/g;

const problems = [];
let checked = 0;
for (const file of sources(join(root, 'src'))) {
  const from = relative(root, file);
  const fromLayer = layerOf(from.replace(/\.tsx?$/, ''));
  if (!fromLayer) {
    problems.push(`${from}: in no layer (add its folder to .ci/check-layers.mjs and ARCHITECTURE.md)`);
    continue;
  }
  for (const m of readFileSync(file, 'utf8').matchAll(IMPORT)) {
    const spec = m[1] ?? m[2] ?? m[3];
    if (!spec.startsWith('.')) continue;
    checked++;
    const target = relative(root, resolve(dirname(file), spec)).replace(/\.(js|ts|tsx)$/, '');
    const toLayer = layerOf(target);
    if (!toLayer) continue; // outside src/ (package.json and the like)
    let rule = null;
    if (fromLayer.only && toLayer !== fromLayer && !fromLayer.only.includes(toLayer.name))
      rule = `${fromLayer.name} imports ${fromLayer.only.join(', ')} only`;
    else if (toLayer.rank > fromLayer.rank)
      rule = `${fromLayer.name} may not import ${toLayer.name} (a layer above)`;
    else if (target === DRIVER && !DRIVER_LAYERS.includes(fromLayer.name))
      rule = 'only src/store and src/db import the driver';
    if (rule) problems.push(`${from} imports ${target}: ${rule}`);
  }
}

if (problems.length > 0) {
  for (const p of problems) console.error(p);
  console.error(`layers: ${problems.length} import(s) break ARCHITECTURE.md's layer rule`);
  process.exit(1);
}
console.log(`layers: ok (${checked} imports checked)`);
