// The web UI's only script (served as /ui/app.js). Pages work without it; with it, run graphs follow the
// journal over SSE, and Approve / Reject / Revert post without leaving the page. It writes text with
// textContent only; the one HTML it inserts is the approvals fragment rendered (and escaped) by the server.
(() => {
  const note = (text, tone) => {
    const el = document.getElementById('live-note');
    if (!el) return;
    el.textContent = text;
    el.className = `live-note flash on ${tone || ''}`;
  };

  const setBadge = (badge, status, tone) => {
    if (!badge) return;
    badge.textContent = status.replace(/_/g, ' ');
    badge.className = `badge ${tone}`;
  };

  const applyState = (runs) => {
    for (const run of runs) {
      const card = document.querySelector(`[data-run="${CSS.escape(run.runId)}"]`);
      if (!card) continue;
      card.dataset.runStatusValue = run.status;
      setBadge(card.querySelector('[data-run-status] .badge'), run.status, run.tone);
      for (const step of run.steps) {
        for (const el of card.querySelectorAll(`[data-step="${CSS.escape(step.name)}"]`)) {
          el.setAttribute('data-status', step.status);
          if (el.tagName.toLowerCase() === 'g') {
            el.setAttribute('class', step.tone);
            const text = el.querySelector('[data-status-text]');
            if (text) text.textContent = `${el.dataset.kind} · ${step.status.replace(/_/g, ' ')}`;
          } else {
            setBadge(el.querySelector('[data-status-text] .badge'), step.status, step.tone);
          }
        }
      }
    }
  };

  const appendJournal = (row) => {
    const body = document.querySelector('#timeline tbody');
    if (!body || body.querySelector(`[data-seq="${row.seq}"]`)) return;
    const tr = document.createElement('tr');
    tr.dataset.seq = String(row.seq);
    const cells = [
      `${row.at.slice(0, 19).replace('T', ' ')}Z`,
      row.event || row.type,
      row.stepKey || '',
      row.detail,
    ];
    cells.forEach((text, i) => {
      const td = document.createElement('td');
      td.textContent = text;
      if (i === 0) td.className = 'small mono';
      if (i === 3) td.className = 'small';
      tr.appendChild(td);
    });
    body.appendChild(tr);
  };

  let refreshTimer = null;
  const refreshApprovals = async () => {
    const block = document.getElementById('approvals');
    if (!block?.dataset.src) return;
    const typing = block.contains(document.activeElement) && document.activeElement.value;
    if (typing) {
      note('An approval changed: reload the page when you are done typing.', 'wait');
      return;
    }
    const res = await fetch(block.dataset.src, { headers: { accept: 'text/html' } });
    if (!res.ok) return;
    const template = document.createElement('template');
    template.innerHTML = (await res.text()).trim();
    const fresh = template.content.firstElementChild;
    if (fresh?.id === 'approvals') document.getElementById('approvals')?.replaceWith(fresh);
  };
  const scheduleRefresh = () => {
    if (refreshTimer) return;
    refreshTimer = setTimeout(() => {
      refreshTimer = null;
      refreshApprovals().catch(() => {});
    }, 100);
  };

  const follow = (root) => {
    const source = new EventSource(root.dataset.live);
    source.addEventListener('state', (e) => applyState(JSON.parse(e.data)));
    source.addEventListener('journal', (e) => {
      const row = JSON.parse(e.data);
      appendJournal(row);
      if (row.type.startsWith('approval.')) scheduleRefresh();
      if (
        row.type === 'run.created' &&
        row.runId &&
        !document.querySelector(`[data-run="${CSS.escape(row.runId)}"]`)
      )
        note('A new run started: reload the page to see it.', 'run');
    });
    source.addEventListener('end', () => source.close());
  };

  // Forms marked data-fetch post in the background; the live stream shows what follows.
  document.addEventListener('submit', async (e) => {
    const form = e.target;
    if (!(form instanceof HTMLFormElement) || !form.dataset.fetch) return;
    e.preventDefault();
    const buttons = form.querySelectorAll('button');
    for (const b of buttons) b.disabled = true;
    try {
      const res = await fetch(form.action, {
        method: 'POST',
        headers: { accept: 'application/json' },
        body: new URLSearchParams(new FormData(form)),
      });
      const body = await res.json().catch(() => ({ ok: false, message: `HTTP ${res.status}` }));
      note(body.message, body.ok ? 'ok' : 'bad');
      refreshApprovals().catch(() => {});
    } catch (err) {
      note(`Could not reach firebreak: ${err.message}`, 'bad');
    } finally {
      for (const b of buttons) b.disabled = false;
    }
  });

  document.addEventListener('DOMContentLoaded', () => {
    const root = document.querySelector('[data-live]');
    if (root && 'EventSource' in window) follow(root);
  });
})();
