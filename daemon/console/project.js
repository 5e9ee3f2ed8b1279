// One project (/projects/{id}?oms=NAME): lag and throughput over time, the
// status timeline, the steps and verification, the open conditions (with
// acks) and the project's events with their deliveries.

import { api, ApiError } from './api.js';
import { bar, clear, duration, el, localTime, since } from './dom.js';
import { eventRow } from './events.js';
import { projectSeverity, statusBands } from './model.js';

const RANGES = { '1h': 3600e3, '24h': 86400e3, '7d': 7 * 86400e3, '30d': 30 * 86400e3 };
const BY_KEY = 'omswatch.acked_by';

// Acks: the endpoint may be missing (an older daemon: 404/405) or refuse
// writes (403); the controls are hidden then.
export const acks = { available: true, readOnly: false, inForce: [] };

export function project(app, id) {
  const oms = new URLSearchParams(location.search).get('oms') || '';
  let range = '24h';
  let zoom = null;  // {from, to} Unix ms, from dragging on the chart
  let chart = null;
  let chartKey = '';
  let cachedHistory = null;  // {key, at, history}
  let generation = 0;  // a newer refresh (a range clicked) makes older answers moot

  const title = el('h1', {}, id, oms ? el('small', {}, ` on ${oms}`) : null);
  const head = el('div', { class: 'project-head' });
  const rangeButtons = Object.keys(RANGES).map((r) => el('button', {
    type: 'button', testid: `range-${r}`, 'aria-pressed': r === range ? 'true' : 'false',
    onclick: () => { range = r; zoom = null; chartKey = ''; refresh(); },
  }, r));
  const resetZoom = el('button', { type: 'button', hidden: true, onclick: () => { zoom = null; chartKey = ''; refresh(); } },
    'Reset zoom');
  const canvas = el('canvas', { 'aria-label': 'incremental lag and throughput over time', role: 'img' });
  const ready = el('span', { testid: 'chart-ready', class: 'muted', 'data-points': '0' });
  const chartBox = el('div', { class: 'chart', testid: 'chart' }, canvas);
  const timeline = el('div', { class: 'timeline', testid: 'timeline' });
  const conditionsBox = el('div', { class: 'conditions' });
  const steps = el('div', { class: 'steps', testid: 'steps' });
  const events = el('div', { class: 'events', testid: 'events' });
  clear(app).append(title, head,
    el('section', {}, el('h2', {}, 'Open conditions'), conditionsBox),
    el('section', {},
      el('h2', {}, 'Lag and throughput'),
      el('div', { class: 'ranges', role: 'group', 'aria-label': 'time range' }, ...rangeButtons, resetZoom, ready),
      el('p', { class: 'muted hint' }, 'Drag across the chart to zoom in.'),
      chartBox),
    el('section', {}, el('h2', {}, 'Status'), timeline),
    el('section', {}, el('h2', {}, 'Steps and verification'), steps),
    el('section', {}, el('h2', {}, 'Events'), events));

  // Zoom: drag across the chart to choose a window.
  let dragFrom = null;
  const xAt = (e) => chart?.scales?.x?.getValueForPixel(e.offsetX);
  canvas.addEventListener('pointerdown', (e) => { dragFrom = xAt(e); });
  canvas.addEventListener('pointerup', (e) => {
    const to = xAt(e);
    if (dragFrom !== null && to !== undefined && Math.abs(to - dragFrom) > 30e3) {
      zoom = { from: Math.min(dragFrom, to), to: Math.max(dragFrom, to) };
      chartKey = '';
      refresh();
    }
    dragFrom = null;
  });

  const mine = (rows) => rows.filter((r) => !oms || r.oms === oms);

  function drawChart(samples, stepRows, from, to) {
    const lag = samples.filter((s) => s.incr_lag_s !== null).map((s) => ({ x: Date.parse(s.observed_at), y: s.incr_lag_s }));
    const dst = stepRows.filter((s) => s.dst_rps !== null).map((s) => ({ x: Date.parse(s.observed_at), y: s.dst_rps }));
    const src = stepRows.filter((s) => s.src_rps !== null).map((s) => ({ x: Date.parse(s.observed_at), y: s.src_rps }));
    const Chart = window.Chart;
    const points = lag.length + dst.length + src.length;
    if (!Chart) {
      ready.textContent = 'the charting library did not load';
      return;
    }
    const css = getComputedStyle(document.documentElement);
    const ink = css.getPropertyValue('--muted').trim() || '#888';
    const grid = css.getPropertyValue('--line').trim() || '#444';
    const datasets = [
      { label: 'incremental lag (s)', data: lag, yAxisID: 'lag', borderColor: '#e8a33d', backgroundColor: '#e8a33d', pointRadius: 0, borderWidth: 1.5 },
      { label: 'written rows/s', data: dst, yAxisID: 'rps', borderColor: '#4aa3df', backgroundColor: '#4aa3df', pointRadius: 0, borderWidth: 1.5 },
      { label: 'read rows/s', data: src, yAxisID: 'rps', borderColor: '#7bc67b', backgroundColor: '#7bc67b', pointRadius: 0, borderWidth: 1, hidden: src.length === 0 },
    ];
    const tick = (v) => {
      const d = new Date(v);
      return to - from > 2 * 86400e3 ? d.toLocaleDateString(undefined, { month: 'short', day: 'numeric' })
        : d.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit', hour12: false });
    };
    if (!chart) {
      chart = new Chart(canvas, {
        type: 'line',
        data: { datasets },
        options: {
          animation: false,
          parsing: false,
          normalized: true,
          maintainAspectRatio: false,
          interaction: { mode: 'nearest', axis: 'x', intersect: false },
          scales: {
            x: { type: 'linear', min: from, max: to, ticks: { color: ink, callback: tick, maxTicksLimit: 8 }, grid: { color: grid } },
            lag: { position: 'left', beginAtZero: true, title: { display: true, text: 'lag s', color: ink }, ticks: { color: ink }, grid: { color: grid } },
            rps: { position: 'right', beginAtZero: true, title: { display: true, text: 'rows/s', color: ink }, ticks: { color: ink }, grid: { drawOnChartArea: false } },
          },
          plugins: {
            legend: { labels: { color: ink } },
            decimation: { enabled: true, algorithm: 'lttb', samples: 800 },
            tooltip: { callbacks: { title: (items) => (items.length ? new Date(items[0].parsed.x).toLocaleString(undefined, { hour12: false }) : '') } },
          },
        },
      });
    } else {
      chart.data.datasets.forEach((d, i) => { d.data = datasets[i].data; d.hidden = datasets[i].hidden; });
      chart.options.scales.x.min = from;
      chart.options.scales.x.max = to;
      chart.options.scales.x.ticks.callback = tick;
      chart.update('none');
    }
    ready.dataset.points = String(points);
    ready.textContent = `${points} points`;
  }

  function renderHead(p, conditions) {
    if (!p) {
      clear(head).append(el('p', { class: 'muted' }, 'No poll of this project is stored.'));
      return;
    }
    const severity = projectSeverity(p, conditions);
    clear(head).append(el('div', { class: `facts sev-${severity}`, data: { severity, status: p.status ?? '' } },
      fact('status', p.status ?? 'no data'), fact('step', p.step ?? '-'), fact('alarm level', p.alarm_level ?? '-'),
      fact('lag', p.incr_lag_s === null ? '-' : duration(p.incr_lag_s)), fact('trend', p.trend ?? '-'),
      el('div', { class: 'fact' }, el('span', {}, 'schema'), bar(p.struct_progress, 'schema transfer'), el('small', {}, `${p.struct_progress ?? '-'}%`)),
      el('div', { class: 'fact' }, el('span', {}, 'full'), bar(p.full_progress, 'full transfer'),
        el('small', {}, `${p.full_progress ?? '-'}%${p.eta ? ` · ETA ${p.eta}` : ''}`)),
      fact('last poll', `${since(p.last_polled_at)} ago (${p.outcome})`),
      p.error ? fact('error', p.error) : null));
  }

  function renderTimeline(samples, to) {
    const bands = statusBands(samples, to);
    const total = bands.reduce((n, b) => n + (b.to - b.from), 0) || 1;
    clear(timeline).append(...bands.map((b) => {
      const text = `${b.status} ${duration((b.to - b.from) / 1000)}`;
      const band = el('div', { class: `band st-${b.status.replace(/[^A-Za-z]/g, '')}`, title: `${text} from ${new Date(b.from).toLocaleString(undefined, { hour12: false })}` }, text);
      band.style.flexGrow = String(Math.max((b.to - b.from) / total, 0.001));
      return band;
    }));
    if (bands.length === 0) timeline.append(el('p', { class: 'muted' }, 'No samples in this window.'));
  }

  function renderSteps(p, stepRows) {
    const latest = new Map();
    for (const s of stepRows) latest.set(s.step, s);
    const items = [...latest.values()].map((s) => el('li', {},
      el('strong', {}, s.step), ` ${s.step_status ?? '-'} `, s.progress !== null ? `${s.progress}% ` : '',
      s.processed !== null ? `${s.processed}${s.capacity !== null ? ` of ${s.capacity}` : ''} records ` : '',
      s.dst_rps !== null ? `· ${s.dst_rps} rows/s written ` : '', s.eta ? `· ETA ${s.eta} ` : '',
      el('small', {}, `(${localTime(s.observed_at)})`)));
    if (p && p.verify_finished !== null && p.verify_finished !== undefined) {
      items.push(el('li', { class: p.verify_differences ? 'sev-text-warning' : '' }, el('strong', {}, 'verification'),
        p.verify_finished ? ` finished: ${p.verify_differences ?? '?'} differences` : ' running',
        p.verify_differences === 0 ? ' (the data are equal)' : ''));
    }
    if (p && p.step) items.unshift(el('li', {}, el('strong', {}, 'current step'), ` ${p.step}`));
    clear(steps).append(items.length ? el('ul', {}, ...items) : el('p', { class: 'muted' }, 'No step readings in this window.'));
  }

  function renderConditions(conditions) {
    const rows = conditions.map((c) => {
      const ack = acks.inForce.find((a) => a.kind === c.kind && a.project_id === c.project_id && (!a.oms || a.oms === c.oms));
      const node = el('div', { class: `condition sev-${c.severity}`, testid: 'condition', data: { kind: c.kind } },
        el('strong', {}, c.kind), el('span', {}, ` held for ${since(c.since)} · ${c.severity} `),
        el('span', { class: 'summary' }, c.summary ?? ''));
      if (ack) {
        node.append(el('span', { class: 'acked', testid: 'acked-by' }, `acked by ${ack.acked_by}${ack.reason ? `: ${ack.reason}` : ''}`));
      } else if (acks.available && !acks.readOnly) {
        node.append(el('button', { type: 'button', testid: 'ack', onclick: () => ackForm(node, c) }, 'Acknowledge'));
      }
      return node;
    });
    clear(conditionsBox).append(...(rows.length ? rows : [el('p', { class: 'muted' }, 'None: nothing fires for this project now.')]));
  }

  function ackForm(node, c) {
    node.querySelector('[data-testid=ack]')?.remove();
    const by = el('input', { name: 'acked_by', required: true, testid: 'ack-by', placeholder: 'who', 'aria-label': 'acknowledged by',
      value: localStorage.getItem(BY_KEY) || '' });
    const reason = el('input', { name: 'reason', testid: 'ack-reason', placeholder: 'why (optional)', 'aria-label': 'reason' });
    const message = el('span', { class: 'error', role: 'alert' });
    const form = el('form', { class: 'inline-form' }, by, reason, el('button', { type: 'submit', testid: 'ack-submit' }, 'Acknowledge'), message);
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      localStorage.setItem(BY_KEY, by.value.trim());
      try {
        const answer = await api('/api/v1/acks', { method: 'POST', body: { oms: c.oms, project_id: c.project_id, kind: c.kind, acked_by: by.value.trim(), reason: reason.value.trim() } });
        const made = answer?.ack ?? { oms: c.oms, project_id: c.project_id, kind: c.kind, acked_by: by.value.trim(), reason: reason.value.trim() };
        acks.inForce = [...acks.inForce.filter((a) => !(a.kind === c.kind && a.project_id === c.project_id)), made];
        form.replaceWith(el('span', { class: 'acked', testid: 'acked-by' }, `acked by ${made.acked_by}${made.reason ? `: ${made.reason}` : ''}`));
      } catch (err) {
        if (err instanceof ApiError && (err.status === 404 || err.status === 405)) acks.available = false;
        if (err instanceof ApiError && err.status === 403) acks.readOnly = true;
        message.textContent = err.message;
      }
    });
    node.append(form);
    by.value ? reason.focus() : by.focus();
  }

  async function loadAcks() {
    if (!acks.available) return;
    try {
      const answer = await api('/api/v1/acks');
      acks.inForce = answer?.acks ?? [];
    } catch (err) {
      if (err instanceof ApiError && (err.status === 404 || err.status === 405)) acks.available = false;
      else throw err;
    }
  }

  async function refresh() {
    const mineGeneration = ++generation;
    rangeButtons.forEach((b) => b.setAttribute('aria-pressed', b.dataset.testid === `range-${range}` && !zoom ? 'true' : 'false'));
    resetZoom.hidden = !zoom;
    const to = zoom ? zoom.to : Date.now();
    const from = zoom ? zoom.from : to - RANGES[range];
    const span = zoom ? `since=${new Date(from).toISOString()}&until=${new Date(to).toISOString()}`
      : `since=${range}`;
    const path = encodeURIComponent(id);
    // A week or a month of samples (up to 10,000 rows) is read again once a
    // minute, not at every poll; a zoomed window, which does not move, once.
    const historyKey = zoom ? span : range;
    const stale = !cachedHistory || cachedHistory.key !== historyKey
      || (!zoom && Date.now() - cachedHistory.at >= (RANGES[range] > RANGES['24h'] ? 60e3 : 0));
    const readHistory = stale
      ? api(`/api/v1/projects/${path}/history?${span}&limit=10000`)
        .then((h) => { cachedHistory = { key: historyKey, at: Date.now(), history: h }; return h; })
      : Promise.resolve(cachedHistory.history);
    const [status, open, history, ev] = await Promise.all([
      api('/api/v1/projects'),
      api('/api/v1/conditions'),
      readHistory,
      api(`/api/v1/events?project=${path}&limit=500`),
    ]);
    await loadAcks();
    if (mineGeneration !== generation) return;
    const p = mine(status.projects.filter((r) => r.project_id === id))[0];
    const conditions = mine(open.conditions.filter((c) => c.project_id === id));
    const samples = mine(history.samples);
    const stepRows = mine(history.steps);
    renderHead(p, conditions);
    // The chart is redrawn when its data changed (and at least once a poll for a sliding window).
    const key = `${range}/${zoom?.from}/${samples.length}/${samples.at(-1)?.observed_at}/${stepRows.length}`;
    if (key !== chartKey) {
      chartKey = key;
      drawChart(samples, stepRows, from, to);
    }
    renderTimeline(samples, to);
    renderSteps(p, stepRows);
    // Not while someone types an acknowledgement.
    if (!conditionsBox.querySelector('form')) renderConditions(conditions);
    const evRows = mine(ev.events);
    clear(events).append(...(evRows.length ? evRows.map((e) => eventRow(e, false)) : [el('p', { class: 'muted' }, 'No events.')]));
  }

  return refresh;
}

function fact(label, value) {
  return el('div', { class: 'fact' }, el('span', {}, label), el('strong', {}, value));
}
