// `firebreak runbooks list|validate|graph <id>`.
import { layers } from '../core/graph.ts';
import type { LoadedRunbook } from '../engine/registry.ts';
import { loadRunbooks } from '../runbooks/loader.ts';
import type { Command } from './io.ts';

export const runbooksCommand: Command = {
  summary: 'list, validate (exit 1 on a bad file) or draw (Mermaid) runbooks',
  usage: 'runbooks list | validate | graph <id>',
  async run(args, { config, io }) {
    const [sub, id] = args;
    const report = await loadRunbooks(config.RUNBOOKS_DIR);
    if (sub === 'list') {
      for (const rb of report.loaded) {
        const o = rb.runbook.options;
        io.out(`${rb.id.padEnd(28)} ${rb.version}  ${String(rb.steps.length).padStart(2)} steps  ${o.title}`);
      }
      for (const f of report.failed) io.err(`not loaded: ${f.path}: ${f.reason}`);
      return 0;
    }
    if (sub === 'validate') {
      for (const rb of report.loaded) io.out(`ok      ${rb.id} (${rb.source})`);
      for (const f of report.failed) io.out(`invalid ${f.path}: ${f.reason}`);
      io.out(`${report.loaded.length} valid, ${report.failed.length} invalid`);
      return report.failed.length === 0 ? 0 : 1;
    }
    if (sub === 'graph' && id) {
      const rb = report.loaded.find((r) => r.id === id);
      if (!rb) {
        io.err(`no runbook "${id}" in ${config.RUNBOOKS_DIR}`);
        return 1;
      }
      io.out(mermaid(rb));
      return 0;
    }
    io.err(`usage: firebreak ${this.usage}`);
    return 2;
  },
};

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
