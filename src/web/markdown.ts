// Every Markdown firebreak shows (evidence, postmortems, alert text) goes through markdown-it, whose
// parser is linear in its input (test/web/markdown-linear.test.ts holds it to that): the hand-written
// regex renderer this replaces was quadratic, and one alert annotation of 240 KB froze the process for
// 111 s. Raw HTML is off, so every character of the input reaches the page escaped; a link or image
// keeps its URL only when it is http(s) or a path on this site (safeUrl), so an edited postmortem or an
// alert's annotation cannot run script in the page. The one HTML construct the postmortem draft writes,
// <details><summary>…</summary> … </details> as whole lines, is recognised by a block rule of its own.
import MarkdownIt, { type StateBlock, type StateCore, type Token } from 'markdown-it';
import { escapeHtml, safeUrl } from './format.ts';

export interface MarkdownOptions {
  /** Added to heading levels (1: `#` becomes <h2>), so a document sits under the page's own title. */
  headingOffset?: number;
  /** Rewrites a URL that passed the safety check (the API's evidence links to the web's). */
  rewriteUrl?: (url: string) => string;
}

/** Rendered input is capped: beyond this many characters the rest is shown as truncated. */
export const MARKDOWN_LIMIT = 256 * 1024;

const md = new MarkdownIt('default', {
  html: false,
  linkify: false,
  typographer: false,
  // Deep nesting (`> > > …`, `[[[…`) is cut off as text rather than recursed into.
  maxNesting: 20,
});
md.validateLink = (url) => safeUrl(url) !== null;

const DETAILS_OPEN = /^\s*<details>\s*<summary>(.*)<\/summary>\s*$/i;
const DETAILS_CLOSE = /^\s*<\/details>\s*$/i;

md.block.ruler.before('paragraph', 'details', details, { alt: ['paragraph'] });
md.core.ruler.after('inline', 'task_lists', taskLists);

/** What renderMarkdown passes through markdown-it's `env` to the rules below. */
type Env = MarkdownOptions;
const optsOf = (env: unknown): Env => (env ?? {}) as Env;
const render = md.renderer.rules;

render.heading_open = (tokens, idx, _o, env) => `<h${level(tokens[idx]!, optsOf(env))}>`;
render.heading_close = (tokens, idx, _o, env) => `</h${level(tokens[idx]!, optsOf(env))}>\n`;
render.table_open = () => '<div class="scroll"><table>\n';
render.table_close = () => '</table></div>\n';
render.link_open = (tokens, idx, opts, env, self) => {
  const t = tokens[idx]!;
  const href = url(t.attrGet('href'), optsOf(env));
  t.attrSet('href', href);
  if (/^https?:/i.test(href)) {
    t.attrSet('rel', 'noopener noreferrer');
    t.attrSet('target', '_blank');
  }
  return self.renderToken(tokens, idx, opts);
};
render.image = (tokens, idx, opts, env, self) => {
  const t = tokens[idx]!;
  const alt = self.renderInlineAsText(t.children ?? [], opts, env);
  return `<img src="${escapeHtml(url(t.attrGet('src'), optsOf(env)))}" alt="${escapeHtml(alt)}" loading="lazy">`;
};
render.details_open = (tokens, idx, opts, env) =>
  `<details><summary>${md.renderer.renderInline(tokens[idx]!.children ?? [], opts, env)}</summary>\n`;
render.details_close = () => '</details>\n';
render.task_box = (tokens, idx) =>
  `<input type="checkbox" disabled${tokens[idx]!.meta?.checked ? ' checked' : ''}> `;

export function renderMarkdown(source: string, opts: MarkdownOptions = {}): string {
  const capped = source.length > MARKDOWN_LIMIT;
  const text = capped ? source.slice(0, MARKDOWN_LIMIT) : source;
  const html = md.render(text, { ...opts }).trimEnd();
  if (!capped) return html;
  const kb = (n: number) => `${Math.ceil(n / 1024)} KB`;
  return `${html}\n<p class="truncated mut">… truncated: showing the first ${kb(MARKDOWN_LIMIT)} of ${kb(source.length)}.</p>`;
}

function level(t: Token, env: Env): number {
  return Math.min(6, Number(t.tag.slice(1)) + (env.headingOffset ?? 0));
}

/** markdown-it validated the URL already (validateLink); this only applies the page's rewrite. */
function url(raw: string | number | null, env: Env): string {
  const safe = safeUrl(raw === null ? null : String(raw));
  if (safe === null) return '#';
  return env.rewriteUrl?.(safe) ?? safe;
}

/** `<details><summary>…</summary>` and `</details>` on lines of their own. */
function details(state: StateBlock, startLine: number, _endLine: number, silent: boolean): boolean {
  const start = state.bMarks[startLine]! + state.tShift[startLine]!;
  const line = state.src.slice(start, state.eMarks[startLine]);
  const open = DETAILS_OPEN.exec(line);
  if (!open && !DETAILS_CLOSE.test(line)) return false;
  if (silent) return true;
  if (open) {
    const t = state.push('details_open', 'details', 1);
    const summary = new state.Token('inline', '', 0);
    summary.content = open[1]!;
    summary.children = [];
    state.md.inline.parse(summary.content, state.md, state.env, summary.children);
    t.children = summary.children;
  } else {
    state.push('details_close', 'details', -1);
  }
  state.line = startLine + 1;
  return true;
}

/** `- [ ] x` / `- [x] x`: a disabled checkbox, as the postmortem's action items use. */
function taskLists(state: StateCore): void {
  const tokens = state.tokens;
  for (let i = 2; i < tokens.length; i++) {
    const inline = tokens[i]!;
    if (inline.type !== 'inline' || tokens[i - 1]?.type !== 'paragraph_open') continue;
    const item = tokens[i - 2];
    if (item?.type !== 'list_item_open') continue;
    const first = inline.children?.[0];
    const m = first?.type === 'text' ? /^\[([ xX])\]\s+/.exec(first.content) : null;
    if (!first || !m) continue;
    first.content = first.content.slice(m[0].length);
    const box = new state.Token('task_box', '', 0);
    box.meta = { checked: m[1] !== ' ' };
    inline.children!.unshift(box);
    item.attrSet('class', 'task');
  }
}
