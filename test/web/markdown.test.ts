// The web's Markdown renderer: the postmortem subset becomes HTML, and nothing in the input becomes markup
// or a script URL (its output is the one HTML the pages insert unescaped).
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { safeUrl } from '../../src/web/format.ts';
import { renderMarkdown } from '../../src/web/markdown.ts';

const golden = readFileSync(new URL('../fixtures/postmortem/golden.md', import.meta.url), 'utf8');

describe('renderMarkdown', () => {
  test('renders the postmortem draft: headings, lists, tables, code, details, images', () => {
    const html = renderMarkdown(golden, { headingOffset: 1 });
    expect(html).toContain('<h2>Postmortem: HighErrorRate</h2>');
    expect(html).toContain('<h3>Key times</h3>');
    expect(html).toContain('<li><strong>Severity:</strong> critical</li>');
    expect(html).toContain('<th>measure</th>');
    // markdown-it puts each table cell on a line of its own.
    expect(html.replace(/>\n</g, '><')).toContain(
      '<td>time to detect</td><td>15 s</td><td>the alert started → firebreak received it</td>',
    );
    expect(html).toContain('<em>Draft generated from the incident journal of <code>');
    expect(html).toContain('<details><summary>JSON</summary>');
    expect(html).toContain('<pre><code class="language-json">{\n  &quot;status&quot;: &quot;success&quot;,');
    expect(html).toContain('</details>');
    expect(html).toMatch(/<img src="\/api\/evidence\/[\w-]+" alt="Error rate graph" loading="lazy">/);
    expect(html).toMatch(/<li class="task"><input type="checkbox" disabled> /);
  });

  test('table cells keep escaped pipes', () => {
    const html = renderMarkdown('| a | b |\n| --- | --- |\n| x \\| y | `z` |').replace(/>\n</g, '><');
    expect(html).toContain('<th>a</th><th>b</th>');
    expect(html).toContain('<td>x | y</td><td><code>z</code></td>');
  });

  test('raw HTML, script URLs and attribute breakers stay text', () => {
    const html = renderMarkdown(
      [
        '<script>alert(1)</script>',
        '<img src=x onerror=alert(1)>',
        '[click](javascript:alert(1)) [tab](java\tscript:alert(1)) [data](data:text/html,<b>)',
        '![x" onerror="alert(1)](/ok.png) ![y](javascript:alert(1))',
        '**<b>bold</b>** _<i>it</i>_ snake_case_name',
        '<details><summary><img src=x onerror=alert(1)></summary>',
        '```"><script>',
        '</code></pre><script>alert(2)</script>',
        '```',
      ].join('\n\n'),
    );
    // What the renderer itself writes is the only markup; the attack text is left as visible text.
    expect(html).not.toMatch(/<script|<img src=x|<b>|<i>|(href|src)="(javascript|java\s|data)/i);
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('click');
    expect(html).toContain('<img src="/ok.png" alt="x&quot; onerror=&quot;alert(1)" loading="lazy">');
    expect(html).toContain('<strong>&lt;b&gt;bold&lt;/b&gt;</strong>');
    expect(html).toContain('<em>&lt;i&gt;it&lt;/i&gt;</em>');
    expect(html).toContain('snake_case_name');
    expect(html).toContain('<details><summary>&lt;img src=x onerror=alert(1)&gt;</summary>');
    expect(html).toContain('&lt;/code&gt;&lt;/pre&gt;&lt;script&gt;alert(2)&lt;/script&gt;');
  });

  test('links to http(s) and local paths are kept; local evidence links can be rewritten', () => {
    const html = renderMarkdown('[graph](https://grafana.example/d/1?a=1&b=2) ![g](/api/evidence/abc)', {
      rewriteUrl: (u) => u.replace('/api/evidence/', '/ui/evidence/'),
    });
    expect(html).toContain(
      '<a href="https://grafana.example/d/1?a=1&amp;b=2" rel="noopener noreferrer" target="_blank">graph</a>',
    );
    expect(html).toContain('src="/ui/evidence/abc"');
  });
});

describe('safeUrl', () => {
  test('keeps http(s) and same-site paths, drops everything else', () => {
    expect(safeUrl('https://example.com/x')).toBe('https://example.com/x');
    expect(safeUrl('/incidents/1')).toBe('/incidents/1');
    for (const bad of [
      'javascript:alert(1)',
      ' JavaScript:alert(1)',
      '//evil.example',
      'data:,x',
      'vbscript:x',
      '/\\evil',
      'java\nscript:x',
    ])
      expect(safeUrl(bad), bad).toBeNull();
  });
});
