// The JSON API as the pages use it: the bearer token (kept in sessionStorage,
// asked for on 401), the live indicator and the disconnected banner.

const TOKEN_KEY = 'omswatch.token';
const listeners = new Set();

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

export function token() {
  return sessionStorage.getItem(TOKEN_KEY) || '';
}

// Called (without arguments) when a token has been given: the page reloads its data.
export function onToken(fn) {
  listeners.add(fn);
}

let waitingForToken = false;
export const needsToken = () => waitingForToken;

export function setLive(ok) {
  const live = document.querySelector('[data-testid=live]');
  const banner = document.querySelector('[data-testid=disconnected]');
  if (live) {
    live.textContent = ok ? 'live' : 'disconnected';
    live.classList.toggle('down', !ok);
  }
  if (banner) banner.hidden = ok;
}

function showTokenForm(message) {
  waitingForToken = true;
  let form = document.querySelector('[data-testid=token-form]');
  if (!form) {
    form = document.createElement('form');
    form.className = 'token-form';
    form.dataset.testid = 'token-form';
    const label = document.createElement('label');
    label.textContent = 'API token';
    const input = document.createElement('input');
    input.type = 'password';
    input.name = 'token';
    input.autocomplete = 'current-password';
    input.required = true;
    input.dataset.testid = 'token-input';
    label.append(input);
    const note = document.createElement('p');
    note.className = 'note';
    const button = document.createElement('button');
    button.type = 'submit';
    button.textContent = 'Use token';
    form.append(note, label, button);
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      const value = input.value.trim();
      if (!value) return;
      sessionStorage.setItem(TOKEN_KEY, value);
      input.value = '';
      form.hidden = true;
      waitingForToken = false;
      for (const fn of listeners) fn();
    });
    document.body.insertBefore(form, document.getElementById('app'));
  }
  form.querySelector('.note').textContent = message;
  form.hidden = false;
  form.querySelector('input').focus();
}

// fetch() of an API path; resolves to the parsed JSON body. Rejects with
// ApiError (status 0: the daemon did not answer).
export async function api(path, { method = 'GET', body } = {}) {
  const headers = { Accept: 'application/json' };
  const t = token();
  if (t) headers.Authorization = `Bearer ${t}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let res;
  try {
    // Relative to the console's root: it may be served under a proxy's path.
    res = await fetch(new URL(path.replace(/^\//, ''), document.baseURI), {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: 'no-store',
      credentials: 'omit',
    });
  } catch (e) {
    setLive(false);
    throw new ApiError(0, 'the daemon does not answer');
  }
  setLive(true);
  let data = null;
  try {
    data = await res.json();
  } catch (e) {
    data = null;
  }
  if (res.status === 401) {
    showTokenForm(t ? 'The token was refused. Enter the API token (daemon.api_token).'
      : 'This daemon needs its API token (daemon.api_token) to show its data.');
    throw new ApiError(401, 'the API token is needed');
  }
  if (!res.ok) throw new ApiError(res.status, (data && data.error) || `HTTP ${res.status}`);
  return data;
}

// Runs `refresh` now, then every `ms` while the tab is visible (and at once
// when it becomes visible again); not while the token form waits.
export function poll(refresh, ms = 5000) {
  let running = false;
  const tick = async () => {
    if (running || document.hidden || waitingForToken) return;
    running = true;
    try {
      await refresh();
    } catch (e) {
      if (!(e instanceof ApiError)) console.error(e);
    } finally {
      running = false;
    }
  };
  onToken(tick);
  document.addEventListener('visibilitychange', () => {
    if (!document.hidden) tick();
  });
  setInterval(tick, ms);
  tick();
  return tick;
}
