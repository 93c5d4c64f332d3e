// A short unified-style diff of two texts, for failure messages that say what changed and where.
export function lineDiff(expected: string, actual: string, context = 2, maxLines = 60): string {
  const a = expected.split('\n');
  const b = actual.split('\n');
  let start = 0;
  while (start < a.length && start < b.length && a[start] === b[start]) start++;
  let endA = a.length - 1;
  let endB = b.length - 1;
  while (endA >= start && endB >= start && a[endA] === b[endB]) {
    endA--;
    endB--;
  }
  const from = Math.max(0, start - context);
  const out = [`@@ line ${start + 1} @@`];
  for (let i = from; i < start; i++) out.push(`  ${a[i]}`);
  for (let i = start; i <= endA; i++) out.push(`- ${a[i]}`);
  for (let i = start; i <= endB; i++) out.push(`+ ${b[i]}`);
  for (let i = endA + 1; i <= Math.min(a.length - 1, endA + context); i++) out.push(`  ${a[i]}`);
  return out.length > maxLines
    ? [...out.slice(0, maxLines), `… ${out.length - maxLines} more lines`].join('\n')
    : out.join('\n');
}
