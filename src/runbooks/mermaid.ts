// A runbook's step graph as a Mermaid flowchart: `firebreak runbooks graph` prints it and
// GET /api/runbooks/:id answers it, so both draw the same picture.
import { layers } from '../core/graph.ts';
import type { LoadedRunbook } from './registry.ts';

const SHAPE: Record<string, [string, string]> = {
  diagnostic: ['[', ']'],
  mitigation: ['[[', ']]'],
  approval: ['{{', '}}'],
  sleep: ['([', '])'],
  notify: ['>', ']'],
  forEach: ['[/', '/]'],
};

export function mermaid(rb: LoadedRunbook): string {
  const depth = layers(rb.steps);
  const lines = ['flowchart TD'];
  for (const s of [...rb.steps].sort((a, b) => (depth.get(a.name) ?? 0) - (depth.get(b.name) ?? 0))) {
    const [open, close] = SHAPE[s.kind] ?? ['[', ']'];
    lines.push(`  ${s.name}${open}"${s.name}<br/><small>${s.kind}</small>"${close}`);
  }
  for (const s of rb.steps) for (const n of s.needs) lines.push(`  ${n} --> ${s.name}`);
  return lines.join('\n');
}
