// The events page (/events): the filters of `omswatch events` (project, kind,
// severity, since, until, limit), kept in the query string; each event links
// to its project and says where it was delivered and how.

import { api } from './api.js';
import { clear, el, localTime, page, projectHref } from './dom.js';

const FILTERS = ['project', 'kind', 'severity', 'since', 'until', 'limit'];

export function eventRow(e, withProject = true) {
  const deliveries = e.deliveries.length
    ? e.deliveries.map((d) => el('span', { class: `chip delivery-${d.status}`,
      title: d.last_error ? `last error: ${d.last_error}` : (d.delivered_at ? `delivered ${localTime(d.delivered_at)}` : '') },
    `${d.receiver}: ${d.status}${d.attempts > 1 ? ` (${d.attempts} attempts)` : ''}${d.last_error ? ` · ${d.last_error}` : ''}`))
    : [el('span', { class: 'muted' }, 'not delivered to any receiver')];
  return el('div', { class: `event-row sev-${e.severity === 'info' ? 'info' : e.severity}`, testid: 'event-row',
    data: { kind: e.kind, state: e.state, severity: e.severity } },
  el('span', { class: 'when' }, localTime(e.observed_at)),
  el('span', { class: 'what' },
    el('strong', {}, e.kind), ` ${e.state} · ${e.severity}`,
    withProject && e.project_id ? el('a', { href: projectHref(e.project_id, e.oms) }, ` ${e.project_id}`) : null,
    el('small', {}, ` on ${e.oms}`)),
  el('span', { class: 'summary' }, e.summary ?? ''),
  el('span', { class: 'deliveries' }, ...deliveries));
}

export function eventsPage(app) {
  const params = new URLSearchParams(location.search);
  const inputs = {
    project: el('input', { name: 'project', placeholder: 'project id', 'aria-label': 'project' }),
    kind: el('input', { name: 'kind', placeholder: 'kind (project_failed…)', 'aria-label': 'kind' }),
    severity: el('select', { name: 'severity', 'aria-label': 'least severity' },
      el('option', { value: '' }, 'any severity'), el('option', { value: 'info' }, 'info and worse'),
      el('option', { value: 'warning' }, 'warning and worse'), el('option', { value: 'critical' }, 'critical')),
    since: el('input', { name: 'since', placeholder: 'since (24h, 2026-11-29)', 'aria-label': 'since' }),
    until: el('input', { name: 'until', placeholder: 'until', 'aria-label': 'until' }),
    limit: el('input', { name: 'limit', type: 'number', min: 1, max: 10000, placeholder: 'limit (200)', 'aria-label': 'limit' }),
  };
  for (const k of FILTERS) inputs[k].value = params.get(k) || '';
  const message = el('p', { class: 'summary', role: 'status' });
  const list = el('div', { class: 'event-list' });
  const form = el('form', { class: 'filters' }, ...FILTERS.map((k) => inputs[k]), el('button', { type: 'submit' }, 'Show'));
  clear(app).append(el('h1', {}, 'Events'), form, message, list);

  const query = () => {
    const q = new URLSearchParams();
    for (const k of FILTERS) if (inputs[k].value.trim()) q.set(k, inputs[k].value.trim());
    return q;
  };
  async function refresh() {
    const q = query();
    if (!q.has('limit')) q.set('limit', '200');
    let data;
    try {
      data = await api(`/api/v1/events?${q}`);
    } catch (err) {
      if (err.status === 400) {
        message.textContent = `${err.message}`;
        return;
      }
      throw err;
    }
    message.textContent = `${data.events.length} events${data.truncated ? ' (older ones left out: raise the limit)' : ''}`;
    clear(list).append(...data.events.map((e) => eventRow(e)));
  }
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const s = query().toString();
    history.replaceState(null, '', page(s ? `events?${s}` : 'events'));
    refresh().catch(() => {});
  });
  return refresh;
}
