// A runbook's step graph as inline SVG, top to bottom by dependency layer (core/graph.ts `layers`). Each
// node carries data-step and data-status, so the page script can recolour it as the run moves on.
import { layers, type ResolvedStep } from '../core/graph.ts';
import { tone } from './format.ts';

const W = 176;
const H = 48;
const GAP_X = 22;
const GAP_Y = 38;
const PAD = 8;

export interface NodeBox {
  step: ResolvedStep;
  x: number;
  y: number;
}

/** Node positions: one row per layer, each row centred, steps in declaration order. Pure. */
export function layout(steps: readonly ResolvedStep[]): { nodes: NodeBox[]; width: number; height: number } {
  const depth = layers(steps);
  const rows: ResolvedStep[][] = [];
  for (const s of steps) {
    const d = depth.get(s.name) ?? 0;
    rows[d] = [...(rows[d] ?? []), s];
  }
  const dense = rows.filter((r) => r !== undefined);
  const widest = Math.max(1, ...dense.map((r) => r.length));
  const width = widest * (W + GAP_X) - GAP_X + 2 * PAD;
  const nodes: NodeBox[] = [];
  dense.forEach((row, r) => {
    const rowWidth = row.length * (W + GAP_X) - GAP_X;
    const left = (width - rowWidth) / 2;
    row.forEach((step, i) => {
      nodes.push({ step, x: left + i * (W + GAP_X), y: PAD + r * (H + GAP_Y) });
    });
  });
  return { nodes, width, height: dense.length * (H + GAP_Y) - GAP_Y + 2 * PAD };
}

export function StepGraph(props: {
  steps: readonly ResolvedStep[];
  status?: (name: string) => string | null;
}) {
  const { nodes, width, height } = layout(props.steps);
  const at = new Map(nodes.map((n) => [n.step.name, n]));
  const edges = nodes.flatMap((n) =>
    n.step.needs.flatMap((need) => {
      const from = at.get(need);
      if (!from) return [];
      const x1 = from.x + W / 2;
      const y1 = from.y + H;
      const x2 = n.x + W / 2;
      const y2 = n.y;
      const bend = GAP_Y / 2;
      return [`M${x1} ${y1} C${x1} ${y1 + bend} ${x2} ${y2 - bend} ${x2} ${y2}`];
    }),
  );
  return (
    <div class="graph">
      <svg
        xmlns="http://www.w3.org/2000/svg"
        viewBox={`0 0 ${width} ${height}`}
        width={width}
        height={height}
        role="img"
        aria-label="step graph"
      >
        {edges.map((d) => (
          <path d={d} />
        ))}
        {nodes.map((n) => {
          const status = props.status?.(n.step.name) ?? null;
          return (
            <g
              data-step={n.step.name}
              data-kind={n.step.kind}
              data-status={status ?? ''}
              class={status ? tone(status) : ''}
            >
              <title>{`${n.step.name} (${n.step.kind})${status ? `: ${status}` : ''}`}</title>
              <rect x={n.x} y={n.y} width={W} height={H} rx={7} />
              <text x={n.x + W / 2} y={n.y + 20} text-anchor="middle">
                {clip(n.step.name, 22)}
              </text>
              <text class="kind" data-status-text="" x={n.x + W / 2} y={n.y + 37} text-anchor="middle">
                {status ? `${n.step.kind} · ${status.replace(/_/g, ' ')}` : n.step.kind}
              </text>
            </g>
          );
        })}
      </svg>
    </div>
  );
}

function clip(s: string, n: number): string {
  return s.length > n ? `${s.slice(0, n - 1)}…` : s;
}
