// A small Markdown renderer for the subset postmortems and evidence use: headings, paragraphs, lists
// (with task boxes), tables, fenced code, inline code, bold, italic, links, images, and the one HTML
// construct the draft writes (<details><summary>…</summary> … </details>, matched as whole lines).
// Everything else is text: every character of the input reaches the page escaped, and a link or image
// keeps its URL only when it is http(s) or a path on this site, so an edited postmortem or an alert's
// annotation cannot run script in the page.
import { escapeHtml, safeUrl } from './format.ts';

export interface MarkdownOptions {
  /** Added to heading levels (1: `#` becomes <h2>), so a document sits under the page's own title. */
  headingOffset?: number;
  /** Rewrites a URL that passed the safety check (the API's evidence links to the web's). */
  rewriteUrl?: (url: string) => string;
}

type Block = { html: string; next: number };

const FENCE = /^(`{3,}|~{3,})\s*([\w+-]*)\s*$/;
const HEADING = /^(#{1,6})\s+(.*?)\s*#*\s*$/;
const BULLET = /^\s*[-*+]\s+(.*)$/;
const ORDERED = /^\s*\d{1,9}[.)]\s+(.*)$/;
const TABLE_RULE = /^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$/;
const DETAILS_OPEN = /^\s*<details>\s*<summary>(.*)<\/summary>\s*$/i;
const DETAILS_CLOSE = /^\s*<\/details>\s*$/i;
const RULE = /^\s*([-*_])(\s*\1){2,}\s*$/;

export function renderMarkdown(source: string, opts: MarkdownOptions = {}): string {
  const lines = source.replace(/\r\n?/g, '\n').split('\n');
  const out: string[] = [];
  let i = 0;
  while (i < lines.length) {
    const block = renderBlock(lines, i, opts);
    if (block.html) out.push(block.html);
    i = block.next;
  }
  return out.join('\n');
}

function renderBlock(lines: string[], i: number, opts: MarkdownOptions): Block {
  const line = lines[i]!;
  if (line.trim() === '') return { html: '', next: i + 1 };
  const fence = FENCE.exec(line);
  if (fence) return codeBlock(lines, i, fence[1]!, fence[2] ?? '');
  const heading = HEADING.exec(line);
  if (heading) {
    const level = Math.min(6, heading[1]!.length + (opts.headingOffset ?? 0));
    return { html: `<h${level}>${inline(heading[2]!, opts)}</h${level}>`, next: i + 1 };
  }
  const details = DETAILS_OPEN.exec(line);
  if (details) return { html: `<details><summary>${inline(details[1]!, opts)}</summary>`, next: i + 1 };
  if (DETAILS_CLOSE.test(line)) return { html: '</details>', next: i + 1 };
  if (RULE.test(line)) return { html: '<hr>', next: i + 1 };
  if (line.includes('|') && TABLE_RULE.test(lines[i + 1] ?? '')) return table(lines, i, opts);
  if (BULLET.test(line)) return list(lines, i, BULLET, 'ul', opts);
  if (ORDERED.test(line)) return list(lines, i, ORDERED, 'ol', opts);
  return paragraph(lines, i, opts);
}

function codeBlock(lines: string[], start: number, marker: string, lang: string): Block {
  const body: string[] = [];
  let i = start + 1;
  while (i < lines.length && !lines[i]!.trim().startsWith(marker)) body.push(lines[i++]!);
  const cls = lang ? ` class="language-${escapeHtml(lang)}"` : '';
  return { html: `<pre><code${cls}>${escapeHtml(body.join('\n'))}</code></pre>`, next: i + 1 };
}

function list(lines: string[], start: number, re: RegExp, tag: 'ul' | 'ol', opts: MarkdownOptions): Block {
  const items: string[] = [];
  let i = start;
  for (let m = re.exec(lines[i] ?? ''); m; m = re.exec(lines[i] ?? '')) {
    const task = /^\[([ xX])\]\s+(.*)$/.exec(m[1]!);
    items.push(
      task
        ? `<li class="task"><input type="checkbox" disabled${task[1] === ' ' ? '' : ' checked'}> ${inline(task[2]!, opts)}</li>`
        : `<li>${inline(m[1]!, opts)}</li>`,
    );
    i++;
  }
  return { html: `<${tag}>${items.join('')}</${tag}>`, next: i };
}

function table(lines: string[], start: number, opts: MarkdownOptions): Block {
  const head = cells(lines[start]!);
  const rows: string[][] = [];
  let i = start + 2;
  while (i < lines.length && lines[i]!.includes('|') && lines[i]!.trim() !== '')
    rows.push(cells(lines[i++]!));
  const th = head.map((h) => `<th>${inline(h, opts)}</th>`).join('');
  const tr = rows.map((r) => `<tr>${r.map((v) => `<td>${inline(v, opts)}</td>`).join('')}</tr>`).join('');
  return {
    html: `<div class="scroll"><table><thead><tr>${th}</tr></thead><tbody>${tr}</tbody></table></div>`,
    next: i,
  };
}

/** Splits a table row on pipes that are not escaped (`\|` stays in the cell). */
function cells(row: string): string[] {
  const parts = row.trim().split(/(?<!\\)\|/);
  if (parts[0]?.trim() === '') parts.shift();
  if (parts.at(-1)?.trim() === '') parts.pop();
  return parts.map((p) => p.trim());
}

function paragraph(lines: string[], start: number, opts: MarkdownOptions): Block {
  const text: string[] = [];
  let i = start;
  while (i < lines.length && lines[i]!.trim() !== '' && (i === start || !startsBlock(lines, i))) {
    text.push(lines[i++]!.trim());
  }
  return { html: `<p>${inline(text.join('\n'), opts)}</p>`, next: i };
}

function startsBlock(lines: string[], i: number): boolean {
  const l = lines[i]!;
  return (
    FENCE.test(l) ||
    HEADING.test(l) ||
    BULLET.test(l) ||
    ORDERED.test(l) ||
    DETAILS_OPEN.test(l) ||
    DETAILS_CLOSE.test(l) ||
    (l.includes('|') && TABLE_RULE.test(lines[i + 1] ?? ''))
  );
}

// Inline: one pass over the alternatives below, earliest match first; text between matches is escaped.
const INLINE = new RegExp(
  [
    /\\([\\`*_{}[\]()#+\-.!|<>~])/.source, // 1: backslash escape
    /(`+)([\s\S]*?[^`])\2(?!`)/.source, // 2,3: code span
    /!\[([^\]]*)\]\(\s*([^)\s]+)(?:\s+"[^"]*")?\s*\)/.source, // 4,5: image
    /\[([^\]]+)\]\(\s*([^)\s]+)(?:\s+"[^"]*")?\s*\)/.source, // 6,7: link
    /\*\*(?=\S)([\s\S]*?\S)\*\*/.source, // 8: bold
    /__(?=\S)([\s\S]*?\S)__/.source, // 9: bold
    /\*(?=\S)([^*]*?\S)\*/.source, // 10: italic
    /(?<![\w])_(?=\S)([^_]*?\S)_(?![\w])/.source, // 11: italic, not inside snake_case words
  ].join('|'),
  'g',
);

export function inline(text: string, opts: MarkdownOptions = {}): string {
  let out = '';
  let last = 0;
  for (const m of text.matchAll(INLINE)) {
    out += escapeHtml(text.slice(last, m.index));
    out += inlineMatch(m, opts);
    last = m.index + m[0].length;
  }
  out += escapeHtml(text.slice(last));
  return out;
}

function inlineMatch(m: RegExpMatchArray, opts: MarkdownOptions): string {
  if (m[1] !== undefined) return escapeHtml(m[1]);
  if (m[3] !== undefined) return `<code>${escapeHtml(m[3].trim() || m[3])}</code>`;
  if (m[5] !== undefined) {
    const src = url(m[5], opts);
    return src
      ? `<img src="${escapeHtml(src)}" alt="${escapeHtml(m[4] ?? '')}" loading="lazy">`
      : escapeHtml(m[0]);
  }
  if (m[7] !== undefined) {
    const href = url(m[7], opts);
    if (!href) return inline(m[6]!, opts);
    const external = /^https?:/i.test(href) ? ' rel="noopener noreferrer" target="_blank"' : '';
    return `<a href="${escapeHtml(href)}"${external}>${inline(m[6]!, opts)}</a>`;
  }
  const strong = m[8] ?? m[9];
  if (strong !== undefined) return `<strong>${inline(strong, opts)}</strong>`;
  const em = m[10] ?? m[11];
  if (em !== undefined) return `<em>${inline(em, opts)}</em>`;
  return escapeHtml(m[0]);
}

function url(raw: string, opts: MarkdownOptions): string | null {
  const safe = safeUrl(raw);
  return safe === null ? null : (opts.rewriteUrl?.(safe) ?? safe);
}
