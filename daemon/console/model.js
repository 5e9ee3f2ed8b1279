// Decisions the pages make from the API's rows: open conditions, a
// project's severity, the order of the overview. Pure functions.

import { severityRank, worse } from './dom.js';

// ok, info, warning or critical: the worst of the project's state and its
// open conditions.
export function projectSeverity(p, conditions = []) {
  let s = 'ok';
  if (p.status === 'FAILED') s = 'critical';
  else if (p.status === 'SUSPEND' || p.status === 'SUSPENDED') s = 'warning';
  if (p.outcome && p.outcome !== 'ok') s = worse(s, 'warning');
  if (p.open_conditions > 0) s = worse(s, 'info');
  for (const c of conditions) {
    s = worse(s, c.severity === 'critical' || c.severity === 'warning' || c.severity === 'info' ? c.severity : 'info');
  }
  return s;
}

const STATUS_ORDER = ['FAILED', 'SUSPEND', 'SUSPENDED', 'RUNNING', 'INIT', 'FINISHED', 'RELEASED', 'DELETED'];

// Worst first: severity, then the status, then the lag (largest first), then the id.
export function compareRows(a, b) {
  const bySeverity = severityRank(b.severity) - severityRank(a.severity);
  if (bySeverity) return bySeverity;
  const rank = (s) => {
    const i = STATUS_ORDER.indexOf(s);
    return i < 0 ? STATUS_ORDER.length : i;
  };
  const byStatus = rank(a.status) - rank(b.status);
  if (byStatus) return byStatus;
  const byLag = (b.incr_lag_s ?? -1) - (a.incr_lag_s ?? -1);
  if (byLag) return byLag;
  return String(a.project_id).localeCompare(String(b.project_id));
}

// The status timeline: consecutive samples of one status as bands
// {status, from, to} (Unix ms), oldest first; `until` closes the last band.
export function statusBands(samples, until) {
  const bands = [];
  for (const s of samples) {
    const t = Date.parse(s.observed_at);
    const status = s.status ?? (s.outcome === 'ok' ? 'UNKNOWN' : 'NO DATA');
    const last = bands[bands.length - 1];
    if (last && last.status === status) continue;
    if (last) last.to = t;
    bands.push({ status, from: t, to: t });
  }
  if (bands.length) bands[bands.length - 1].to = Math.max(bands[bands.length - 1].from, until);
  return bands;
}

// An OMS is unreachable when every one of its projects' last poll failed.
export function unreachable(rows) {
  return rows.length > 0 && rows.every((r) => r.outcome === 'error');
}
