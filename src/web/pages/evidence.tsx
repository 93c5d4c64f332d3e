// Evidence items with their provenance; each kind shown as itself, all of it escaped.
import type { EvidenceRecord } from '../../store/records.ts';
import { safeUrl, utc } from '../format.ts';
import { renderMarkdown } from '../markdown.ts';

/** The API's evidence links (bearer tokens) become the web's (session cookie). */
export const toWebUrl = (u: string) => u.replace(/^\/api\/evidence\//, '/ui/evidence/');

export function EvidenceList({ items }: { items: EvidenceRecord[] }) {
  if (items.length === 0) return <p class="mut">No evidence attached yet.</p>;
  return (
    <div>
      {items.map((e) => (
        <div class="card evidence" id={`evidence-${e.id}`}>
          <h3>{e.title}</h3>
          <p class="small mut">
            {`${e.kind}${e.stepKey ? ` from ${e.stepKey}` : ''}${e.attempt ? `, attempt ${e.attempt}` : ''} · ${utc(e.createdAt)} · sha256 `}
            <span class="mono">{e.contentHash.slice(0, 12)}</span>
          </p>
          <Content e={e} />
        </div>
      ))}
    </div>
  );
}

function Content({ e }: { e: EvidenceRecord }) {
  const c = e.content;
  switch (e.kind) {
    case 'text':
      return <pre>{String(c ?? '')}</pre>;
    case 'markdown':
      // The renderer escapes all input and keeps only http(s) and local URLs (markdown.ts).
      return (
        <div
          class="md"
          dangerouslySetInnerHTML={{
            __html: renderMarkdown(String(c ?? ''), { headingOffset: 3, rewriteUrl: toWebUrl }),
          }}
        />
      );
    case 'table': {
      const t = (c ?? {}) as { columns?: unknown[]; rows?: unknown[][] };
      return (
        <div class="scroll">
          <table>
            <thead>
              <tr>
                {(t.columns ?? []).map((col) => (
                  <th>{String(col)}</th>
                ))}
              </tr>
            </thead>
            <tbody>
              {(t.rows ?? []).map((r) => (
                <tr>
                  {(Array.isArray(r) ? r : [r]).map((v) => (
                    <td>{typeof v === 'string' ? v : JSON.stringify(v)}</td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      );
    }
    case 'link': {
      const raw = (c as { url?: string } | null)?.url ?? '';
      const href = safeUrl(raw);
      return href ? (
        <a href={href} rel="noopener noreferrer" target="_blank">
          {raw}
        </a>
      ) : (
        <code>{raw}</code>
      );
    }
    case 'image':
      return <img src={`/ui/evidence/${e.id}`} alt={e.title} loading="lazy" />;
    default:
      return (
        <details>
          <summary>JSON</summary>
          <pre>{JSON.stringify(c, null, 2)}</pre>
        </details>
      );
  }
}
