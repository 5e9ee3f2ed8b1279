// The overview (/): every project grouped by OMS, worst first, with filters
// kept in the query string (?q=&oms=&level=&state=).

import { api } from './api.js';
import { bar, clear, duration, el, page, projectHref, since, sparkline } from './dom.js';
import { compareRows, projectSeverity, unreachable } from './model.js';

const FILTERS = ['q', 'oms', 'level', 'state'];
const SPARK_EVERY_MS = 60000;
const SPARK_MAX = 60;

export function overview(app) {
  const params = new URLSearchParams(location.search);
  const filter = Object.fromEntries(FILTERS.map((k) => [k, params.get(k) || '']));
  let rows = [];
  let conditions = [];
  const sparks = new Map();  // "oms/id" -> {at, values}

  const text = el('input', { type: 'search', placeholder: 'Filter: project, status, step, error…',
    'aria-label': 'Filter by text', testid: 'filter-text', value: filter.q });
  const omsSelect = el('select', { 'aria-label': 'OMS', testid: 'filter-oms' });
  const levelSelect = el('select', { 'aria-label': 'Alarm level', testid: 'filter-level' });
  const stateSelect = el('select', { 'aria-label': 'State', testid: 'filter-state' });
  const summary = el('p', { class: 'summary', role: 'status' });
  const list = el('div', { class: 'groups' });
  clear(app).append(
    el('h1', {}, 'Projects'),
    el('div', { class: 'filters' }, text, omsSelect, levelSelect, stateSelect),
    summary, list);

  function fillSelect(select, label, values, current) {
    const options = [el('option', { value: '' }, `${label}: all`)];
    const all = new Set(values);
    if (current) all.add(current);
    for (const v of [...all].sort()) options.push(el('option', { value: v }, v));
    clear(select).append(...options);
    select.value = current;
  }

  function keepInUrl() {
    const q = new URLSearchParams();
    for (const k of FILTERS) if (filter[k]) q.set(k, filter[k]);
    const s = q.toString();
    history.replaceState(null, '', page(s ? `./?${s}` : './'));
  }

  text.addEventListener('input', () => { filter.q = text.value.trim(); keepInUrl(); render(); });
  for (const [select, key] of [[omsSelect, 'oms'], [levelSelect, 'level'], [stateSelect, 'state']]) {
    select.addEventListener('change', () => { filter[key] = select.value; keepInUrl(); render(); });
  }

  function matches(r) {
    if (filter.oms && r.oms !== filter.oms) return false;
    if (filter.level && (r.alarm_level ?? '') !== filter.level) return false;
    if (filter.state && (r.status ?? '') !== filter.state) return false;
    if (filter.q) {
      const hay = [r.oms, r.project_id, r.status, r.step, r.alarm_level, r.error, r.trend,
        ...r.conditions.map((c) => c.kind)].join(' ').toLowerCase();
      return filter.q.toLowerCase().split(/\s+/).every((w) => hay.includes(w));
    }
    return true;
  }

  function row(r) {
    const spark = sparks.get(`${r.oms}/${r.project_id}`);
    const lag = r.incr_lag_s === null || r.incr_lag_s === undefined ? '-' : duration(r.incr_lag_s);
    return el('a', {
      href: projectHref(r.project_id, r.oms),
      class: `row sev-${r.severity}`,
      testid: 'project-row',
      data: { project: r.project_id, status: r.status ?? '', severity: r.severity },
    },
    el('span', { class: 'cell id' }, el('strong', {}, r.project_id),
      el('small', {}, r.step ?? (r.outcome === 'ok' ? '' : r.outcome))),
    el('span', { class: `cell status sev-text-${r.severity}` }, r.status ?? 'no data',
      el('small', {}, r.alarm_level ? `alarm ${r.alarm_level}` : '')),
    el('span', { class: 'cell progress' },
      el('small', {}, `schema ${r.struct_progress ?? '-'}%`), bar(r.struct_progress, 'schema transfer'),
      el('small', {}, `full ${r.full_progress ?? '-'}%${r.eta ? ` · ETA ${r.eta}` : ''}`),
      bar(r.full_progress, 'full transfer')),
    el('span', { class: 'cell lag' }, el('span', {}, `lag ${lag}`),
      spark ? sparkline(spark.values, `lag of ${r.project_id}, last 6h`) : null,
      el('small', {}, r.trend ?? '')),
    el('span', { class: 'cell conditions' },
      ...r.conditions.map((c) => el('span', { class: `chip sev-${c.severity}` }, `${c.kind} ${since(c.since)}`)),
      r.conditions.length === 0 && r.open_conditions > 0 ? el('span', { class: 'chip' }, `${r.open_conditions} open`) : null,
      r.error ? el('small', { class: 'error' }, r.error) : null),
    el('span', { class: 'cell polled' }, el('small', {}, `polled ${since(r.last_polled_at)} ago`)));
  }

  function render() {
    const shown = rows.filter(matches);
    summary.textContent = `${shown.length} of ${rows.length} projects`;
    const groups = new Map();
    for (const r of rows) {
      if (!groups.has(r.oms)) groups.set(r.oms, []);
      groups.get(r.oms).push(r);
    }
    fillSelect(omsSelect, 'OMS', [...groups.keys()], filter.oms);
    fillSelect(levelSelect, 'Alarm level', rows.map((r) => r.alarm_level).filter(Boolean), filter.level);
    fillSelect(stateSelect, 'State', rows.map((r) => r.status).filter(Boolean), filter.state);
    const sections = [];
    for (const [oms, all] of [...groups.entries()].sort((a, b) => a[0].localeCompare(b[0]))) {
      const visible = all.filter(matches).sort(compareRows);
      if (visible.length === 0) continue;
      const head = el('h2', {}, oms, el('small', {}, ` ${all.length} projects`));
      const section = el('section', { class: 'oms-group', testid: 'oms-group', data: { oms } }, head);
      const down = conditions.find((c) => c.oms === oms && !c.project_id && c.kind === 'oms_unreachable');
      if (down || unreachable(all)) {
        const err = all[0].error ?? 'no answer';
        section.append(el('div', { class: 'oms-banner sev-critical', testid: 'oms-banner', data: { oms } },
          down ? `${down.summary} (since ${since(down.since)} ago)`
            : `OMS ${oms} is unreachable: ${err} (last poll ${since(all[0].last_polled_at)} ago)`));
        const details = el('details', {}, el('summary', {}, `${visible.length} projects`), ...visible.map(row));
        section.append(details);
      } else {
        section.append(...visible.map(row));
      }
      sections.push(section);
    }
    if (rows.length === 0) sections.push(el('p', { class: 'muted' }, 'No project has been polled yet.'));
    // Keyboard focus survives the refresh.
    const focused = document.activeElement?.closest?.('[data-testid=project-row]');
    const key = focused && [focused.closest('[data-oms]')?.dataset.oms, focused.dataset.project];
    clear(list).append(...sections);
    if (key) {
      for (const r of list.querySelectorAll('[data-testid=project-row]')) {
        if (r.dataset.project === key[1] && r.closest('[data-oms]')?.dataset.oms === key[0]) r.focus();
      }
    }
  }

  async function loadSparks() {
    const now = Date.now();
    const due = rows.filter((r) => r.incr_lag_s !== null && r.incr_lag_s !== undefined)
      .filter((r) => (sparks.get(`${r.oms}/${r.project_id}`)?.at ?? 0) < now - SPARK_EVERY_MS)
      .slice(0, SPARK_MAX);
    for (const r of due) {
      const h = await api(`/api/v1/projects/${encodeURIComponent(r.project_id)}/history?since=6h&limit=360`);
      const values = h.samples.filter((s) => s.oms === r.oms).map((s) => s.incr_lag_s);
      sparks.set(`${r.oms}/${r.project_id}`, { at: now, values });
    }
    if (due.length) render();
  }

  return async function refresh() {
    const [data, open] = await Promise.all([api('/api/v1/projects'), api('/api/v1/conditions')]);
    const projects = data.projects;
    conditions = open.conditions;
    rows = projects.map((p) => {
      const mine = conditions.filter((c) => c.oms === p.oms && c.project_id === p.project_id);
      return { ...p, conditions: mine, severity: projectSeverity(p, mine) };
    });
    render();
    loadSparks().catch(() => {});
  };
}
