// Nothing an alert carries can stall the process: rendering Markdown is linear in its input. The old
// renderer's link, image and bold patterns were quadratic ("[a](" × 80k took 6 s, × 320k 77 s), and
// one 240 KB annotation blocked the event loop for 111 s. Each generated input (up to 1 MB, the known
// adversarial families and random mixes of Markdown punctuation) is held to a generous bound measured
// against the same input cut to 1 KB, in CPU time of this process, in the same test: linear growth
// passes with a wide margin, quadratic growth (256 times the linear cost at the 256 KB cap) cannot.
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { MARKDOWN_LIMIT, renderMarkdown } from '../../src/web/markdown.ts';

/** The patterns that broke the old renderer, and the ones markdown-it spends most per character on. */
const ADVERSARIAL = [
  '[a](',
  '![a](',
  '**a',
  '__a',
  '*a',
  '_a ',
  '[',
  '![',
  '[[',
  '[a][',
  '*_',
  '`a',
  '``a',
  '&#',
  '<a',
  '\\',
  '| a |\n',
  '|a|b|\n|-|-|\n',
  '> ',
  '- ',
  '1. ',
  '<details><summary>x</summary>\n',
  '[a](b(',
  'a\n',
];
const PUNCTUATION = [
  '[',
  ']',
  '(',
  ')',
  '!',
  '*',
  '_',
  '`',
  '<',
  '>',
  '|',
  '\\',
  '&',
  '#',
  '-',
  ' ',
  '\n',
  'a',
  ':',
  '"',
];

const BASELINE = 1024;
/** Linear cost at n characters is about n / BASELINE baselines; this allows 10 times that. */
const SLACK = 10;

function grow(unit: string, size: number): string {
  return unit.repeat(Math.ceil(size / unit.length)).slice(0, size);
}

/**
 * CPU time (µs, user + system) of rendering `text` `times` times, the least of `reps` tries: the one
 * least disturbed by other work on the machine.
 */
function cpuMicros(text: string, reps: number, times = 1): number {
  let best = Number.POSITIVE_INFINITY;
  for (let i = 0; i < reps; i++) {
    const start = process.cpuUsage();
    for (let t = 0; t < times; t++) renderMarkdown(text);
    const used = process.cpuUsage(start);
    best = Math.min(best, used.user + used.system);
  }
  return best;
}

describe('Markdown rendering is linear in its input', () => {
  test('any input up to 1 MB costs at most a bounded multiple of its 1 KB baseline', () => {
    // Warm the JIT up so the baseline is not the cold-start cost.
    for (let i = 0; i < 50; i++) renderMarkdown(grow('[a](b) **x** _y_ `z` ![i](/j)\n- [ ] t\n', 4096));
    const unit = fc.oneof(
      fc.constantFrom(...ADVERSARIAL),
      fc.array(fc.constantFrom(...PUNCTUATION), { minLength: 1, maxLength: 12 }).map((a) => a.join('')),
    );
    fc.assert(
      fc.property(unit, fc.integer({ min: 64 * 1024, max: 1024 * 1024 }), (u, size) => {
        // One 1 KB render is near the clock's resolution: measure 16 of them and divide.
        const base = cpuMicros(grow(u, BASELINE), 5, 16) / 16;
        // Growing in steps, so a quadratic renderer fails at 32 KB rather than hang for minutes at 1 MB.
        for (const n of [32 * 1024, 128 * 1024, size]) {
          const cost = cpuMicros(grow(u, n), 2);
          const bound = Math.max(SLACK * (Math.min(n, MARKDOWN_LIMIT) / BASELINE) * base, 20_000);
          expect(cost, `${JSON.stringify(u)} × ${n} chars: ${cost} µs, 1 KB: ${base} µs`).toBeLessThanOrEqual(
            bound,
          );
        }
      }),
      { numRuns: 6, seed: 9, endOnFailure: true },
    );
  });

  test('the families that froze the old renderer render a 256 KB input in one pass', () => {
    for (const unit of ['[a](', '![a](']) {
      const html = renderMarkdown(grow(unit, MARKDOWN_LIMIT));
      // An unclosed destination is no link: all of it arrives as text.
      expect(html).not.toMatch(/<a |<img /);
      expect(html.startsWith(`<p>${unit.repeat(3)}`)).toBe(true);
    }
    const bold = renderMarkdown(grow('**a', MARKDOWN_LIMIT));
    expect(bold.startsWith('<p><strong>a</strong>a<strong>a</strong>')).toBe(true);
  });

  test('input over 256 KB is cut there and says so', () => {
    const html = renderMarkdown(`# Title\n\n${'word '.repeat(80_000)}`);
    expect(html).toContain('<h1>Title</h1>');
    expect(html).toContain('… truncated: showing the first 256 KB of 391 KB.');
    expect(renderMarkdown('short')).not.toContain('truncated');
  });
});
