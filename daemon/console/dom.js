// Building the pages: elements with text only (never HTML from data), and
// the formats the pages share.

// el('div', {class: 'x', testid: 'row', data: {project: id}}, 'text', child...)
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === 'class') node.className = value;
    else if (name === 'testid') node.dataset.testid = value;
    else if (name === 'data') Object.assign(node.dataset, value);
    else if (name === 'text') node.textContent = value;
    else if (name.startsWith('on')) node.addEventListener(name.slice(2), value);
    else if (value === true) node.setAttribute(name, '');
    else node.setAttribute(name, String(value));
  }
  for (const child of children) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

export function clear(node) {
  while (node.firstChild) node.firstChild.remove();
  return node;
}

// 3h 12m, 20m, 45s, 2d 4h.
export function duration(seconds) {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return '-';
  let s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  const d = Math.floor(s / 86400);
  s -= d * 86400;
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  if (d) return h ? `${d}d ${h}h` : `${d}d`;
  if (h) return m ? `${h}h ${m}m` : `${h}h`;
  return `${m}m`;
}

export function since(iso, now = Date.now()) {
  const t = Date.parse(iso);
  return Number.isFinite(t) ? duration((now - t) / 1000) : '-';
}

export function localTime(iso) {
  const t = Date.parse(iso);
  if (!Number.isFinite(t)) return '-';
  return new Date(t).toLocaleString(undefined, { hour12: false });
}

export const SEVERITIES = ['ok', 'info', 'warning', 'critical'];
export const severityRank = (s) => Math.max(0, SEVERITIES.indexOf(s));
export const worse = (a, b) => (severityRank(a) >= severityRank(b) ? a : b);

// The console's own address: the page's base (the daemon's root, or the path
// a reverse proxy serves it under). `page("events")` is its events page.
export function page(relative) {
  const url = new URL(relative, document.baseURI);
  return url.pathname + url.search;
}

export function projectHref(id, oms) {
  return page(`projects/${encodeURIComponent(id)}${oms ? `?oms=${encodeURIComponent(oms)}` : ''}`);
}

// A progress bar: <div class=bar><span style width>: the width set through
// the CSSOM, which the Content-Security-Policy allows.
export function bar(percent, label) {
  const fill = el('span');
  const p = Number.isFinite(percent) ? Math.max(0, Math.min(100, percent)) : 0;
  fill.style.width = `${p}%`;
  return el('div', { class: 'bar', role: 'progressbar', 'aria-valuenow': p, 'aria-valuemin': 0,
    'aria-valuemax': 100, 'aria-label': label, title: `${label} ${p}%` }, fill);
}

// A small SVG line of `values` (numbers or null), for the lag of the last hours.
export function sparkline(values, label) {
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('viewBox', '0 0 100 24');
  svg.setAttribute('preserveAspectRatio', 'none');
  svg.setAttribute('class', 'spark');
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', label);
  const nums = values.filter((v) => Number.isFinite(v));
  if (nums.length < 2) return svg;
  const max = Math.max(...nums, 1);
  const step = 100 / (values.length - 1);
  const points = [];
  values.forEach((v, i) => {
    if (Number.isFinite(v)) points.push(`${(i * step).toFixed(1)},${(23 - (v / max) * 22).toFixed(1)}`);
  });
  const line = document.createElementNS(ns, 'polyline');
  line.setAttribute('points', points.join(' '));
  line.setAttribute('fill', 'none');
  svg.append(line);
  return svg;
}
