// Installs hooks.ts once per process, before the first runbook file is imported: only when firebreak
// runs from its built JavaScript. Run from its TypeScript source (vitest, tsx), firebreak is already
// inside a toolchain that compiles `.ts` and maps `firebreak` to the source (tsconfig paths, vitest
// alias), and a second compiler would only get in its way.
import { register } from 'node:module';
import type { HooksData } from './hooks.ts';

let installed = false;

export function installRunbookImportHooks(): void {
  if (installed || import.meta.url.endsWith('.ts')) return;
  installed = true;
  const data: HooksData = { firebreakURL: new URL('../../package.json', import.meta.url).href };
  register(new URL('./hooks.js', import.meta.url), { parentURL: import.meta.url, data });
}
