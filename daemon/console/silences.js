// Silences (/silences): the ones in force, a form to create one (matchers:
// OMS, project, kind; a duration; who and why) and a button to expire each,
// through POST /api/v1/silences and POST /api/v1/silences/{id}/expire.
// Without those endpoints (404, 405) the page says so; when writes are
// refused (403) the form is hidden.

import { api, ApiError } from './api.js';
import { clear, el, localTime, projectHref } from './dom.js';

const BY_KEY = 'omswatch.acked_by';

export function silencesPage(app) {
  const field = (name, label, attrs = {}) => el('label', {}, label, el('input', { name, ...attrs }));
  const message = el('p', { class: 'error', role: 'alert' });
  const form = el('form', { class: 'silence-form', testid: 'silence-form' },
    field('oms', 'OMS', { placeholder: 'any' }),
    field('project_id', 'Project', { placeholder: 'any' }),
    field('kind', 'Kind', { placeholder: 'any (incr_stalled…)' }),
    field('duration', 'For', { value: '2h', required: true, placeholder: '2h, 30m, 1d' }),
    field('comment', 'Why', { required: true }),
    field('created_by', 'Who', { required: true, value: localStorage.getItem(BY_KEY) || '' }),
    el('button', { type: 'submit' }, 'Silence'), message);
  const list = el('div', { class: 'silence-list' });
  const note = el('p', { class: 'muted' });
  clear(app).append(el('h1', {}, 'Silences'), note, form, el('h2', {}, 'In force'), list);

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const data = Object.fromEntries(new FormData(form).entries());
    for (const k of Object.keys(data)) {
      data[k] = data[k].trim();
      if (!data[k]) delete data[k];
    }
    localStorage.setItem(BY_KEY, data.created_by || '');
    message.textContent = '';
    try {
      await api('/api/v1/silences', { method: 'POST', body: data });
      form.querySelector('[name=comment]').value = '';
      await refresh();
    } catch (err) {
      message.textContent = err.message;
      if (err instanceof ApiError && err.status === 403) form.hidden = true;
    }
  });

  async function expire(s) {
    try {
      await api(`/api/v1/silences/${encodeURIComponent(s.id)}/expire`, { method: 'POST', body: {} });
      await refresh();
    } catch (err) {
      message.textContent = err.message;
    }
  }

  async function refresh() {
    let data;
    try {
      data = await api('/api/v1/silences');
    } catch (err) {
      if (err instanceof ApiError && (err.status === 404 || err.status === 405)) {
        note.textContent = 'This daemon does not offer silences through its API; use omswatch silence on its host.';
        form.hidden = true;
        return;
      }
      throw err;
    }
    const silences = data?.silences ?? [];
    const any = (v) => v || 'any';
    clear(list).append(...(silences.length ? silences.map((s) => el('div', { class: 'silence-row', testid: 'silence-row', data: { id: s.id } },
      el('span', {}, `OMS ${any(s.oms)} · project `, s.project_id ? el('a', { href: projectHref(s.project_id, s.oms) }, s.project_id) : 'any',
        ` · kind ${any(s.kind)}`),
      el('span', {}, `until ${localTime(s.ends_at)}`),
      el('span', { class: 'summary' }, `${s.comment ?? ''} (${s.created_by ?? '?'})`),
      el('button', { type: 'button', testid: 'silence-expire', onclick: () => expire(s) }, 'Expire')))
      : [el('p', { class: 'muted' }, 'No silence is in force.')]));
  }
  return refresh;
}
