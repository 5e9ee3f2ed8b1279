// The rig of the console's browser tests and benchmarks: the real binaries
// (omswatch-sim, `omswatch run`), a recording receiver, and headless Chromium
// driven by playwright-core. Every wait is on an event with a deadline: a
// condition polled until it holds, never a fixed sleep.
//
// Paths come from the environment (tests/browser/CMakeLists.txt sets them):
//   OMSWATCH_BINARY, OMSWATCH_SIM_BINARY   the binaries under test
//   OMSWATCH_HISTORY_FILL                  bench/history_fill (may be unset)
//   OMSWATCH_SCREENSHOTS                   where screenshots go (default: a temp dir)
//   OMSWATCH_DOC_IMAGES                    when set, the final screenshots are also
//                                          written there (docs/img)
//   OMSWATCH_CHROMIUM                      the browser (default /usr/bin/chromium)

import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync, copyFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

export const binaries = {
  omswatch: process.env.OMSWATCH_BINARY,
  sim: process.env.OMSWATCH_SIM_BINARY,
  historyFill: process.env.OMSWATCH_HISTORY_FILL || '',
  chromium: process.env.OMSWATCH_CHROMIUM || '/usr/bin/chromium',
};

// The flags Chromium needs on a machine without internet access: without them
// it opens connections that are refused and looks up hosts at every start.
export const chromiumFlags = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  // A root without /dev/shm (a chroot, some containers): shared memory in /tmp.
  ...(existsSync('/dev/shm') ? [] : ['--disable-dev-shm-usage']),
];

const cleanups = [];
// Runs what the rig started, last first (node:test's after() calls it).
export async function cleanupAll() {
  while (cleanups.length) {
    try { await cleanups.pop()(); } catch { /* already gone */ }
  }
}

export function tempDir(prefix = 'omswatch-browser-') {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

// Polls `probe` (sync or async) every `every` ms until it returns a truthy
// value, which it returns; throws naming `what` at the deadline.
export async function waitFor(what, probe, { timeout = 30000, every = 100 } = {}) {
  const until = Date.now() + timeout;
  let last;
  for (;;) {
    try {
      const v = await probe();
      if (v) return v;
    } catch (e) { last = e; }
    if (Date.now() > until) {
      throw new Error(`timed out after ${timeout} ms waiting for ${what}` + (last ? `: ${last.message}` : ''));
    }
    await new Promise((r) => setTimeout(r, every));
  }
}

// Starts a child process; its stdout and stderr go to files in `dir`.
function start(name, argv, dir) {
  const out = join(dir, `${name}.out`);
  const err = join(dir, `${name}.err`);
  writeFileSync(out, '');
  writeFileSync(err, '');
  const child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
  const text = { out: '', err: '' };
  child.stdout.on('data', (d) => { text.out += d; writeFileSync(out, text.out); });
  child.stderr.on('data', (d) => { text.err += d; writeFileSync(err, text.err); });
  const exited = once(child, 'exit');
  cleanups.push(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 10000);
      await exited;
      clearTimeout(t);
    }
  });
  return { child, text, exited };
}

// omswatch-sim on a free port: { url, port, child, startedAt } (startedAt:
// Date.now() just before it started, the start of its storylines).
export async function startSim(args = ['--scenario', 'demo'], password = 'sim-pass') {
  const dir = tempDir('omswatch-sim-');
  const startedAt = Date.now();
  const p = start('sim', [binaries.sim, '--password', password, ...args], dir);
  const m = await waitFor('omswatch-sim to listen', () => {
    if (p.child.exitCode !== null) throw new Error(`omswatch-sim exited: ${p.text.err}`);
    return p.text.out.match(/listening on (http:\/\/127\.0\.0\.1:(\d+))/);
  });
  return { url: m[1], port: Number(m[2]), password, child: p.child, startedAt };
}

// A receiver on 127.0.0.1:0 that records every request and answers 200 (as
// Alertmanager's /api/v2/alerts does when it takes alerts).
export async function startReceiver() {
  const requests = [];
  const server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c) => { body += c; });
    req.on('end', () => {
      let json = null;
      try { json = JSON.parse(body); } catch { /* not JSON */ }
      requests.push({ at: Date.now(), method: req.method, path: req.url, headers: req.headers, body, json });
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end('{}');
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  cleanups.push(() => new Promise((r) => { server.closeAllConnections?.(); server.close(r); }));
  const { port } = server.address();
  return { url: `http://127.0.0.1:${port}`, requests, server };
}

// `omswatch run` with the configuration `toml(dir)` (dir: its own temp dir,
// for the database and secrets). Returns { url, port, dir, log() }.
export async function startDaemon(toml, { dir = tempDir('omswatch-daemon-') } = {}) {
  const config = join(dir, 'omswatch.toml');
  writeFileSync(config, toml(dir));
  chmodSync(config, 0o600);
  const p = start('omswatch', [binaries.omswatch, 'run', '-c', config], dir);
  const m = await waitFor('the daemon\'s HTTP endpoint', () => {
    if (p.child.exitCode !== null) throw new Error(`omswatch run exited: ${p.text.err}`);
    return (p.text.err + p.text.out).match(/HTTP endpoint on 127\.0\.0\.1:(\d+)/);
  });
  const port = Number(m[1]);
  return { url: `http://127.0.0.1:${port}`, port, dir, log: () => p.text.err + p.text.out, child: p.child };
}

// A password file with mode 0600, as omswatch requires of secrets.
export function secretFile(dir, name, value) {
  const f = join(dir, name);
  writeFileSync(f, `${value}\n`);
  chmodSync(f, 0o600);
  return f;
}

// The [[oms]] table of a simulator.
export function omsTable(dir, name, sim, { interval = '500ms', projects = null } = {}) {
  const pw = secretFile(dir, `${name}.password`, sim.password);
  return [
    '[[oms]]',
    `name = "${name}"`,
    `url = "${sim.url}"`,
    'username = "omswatch"',
    `password_file = "${pw}"`,
    `interval = "${interval}"`,
    'timeout = "2s"',
    projects ? `projects = [${projects.map((p) => `"${p}"`).join(', ')}]` : 'discover = true',
    '',
  ].join('\n');
}

// Routes that send every event of every level to `receivers` at once.
export function routesTo(receivers) {
  return ['HIGH', 'MEDIUM', 'LOW'].map((level) => [
    `[routes.${level}]`,
    `receivers = [${receivers.map((r) => `"${r}"`).join(', ')}]`,
    'group_wait = "0s"',
    '',
  ].join('\n')).join('\n');
}

// GET (or another method) on the daemon's API; { status, headers, json }.
export async function api(daemon, path, { method = 'GET', token, body } = {}) {
  const headers = {};
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(daemon.url + path, {
    method, headers, body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let json = null;
  try { json = JSON.parse(text); } catch { /* not JSON */ }
  return { status: res.status, headers: res.headers, text, json };
}

// Headless Chromium with a fresh, empty profile; returns a playwright
// BrowserContext (closed by cleanupAll).
export async function launchBrowser({ viewport = { width: 1280, height: 800 } } = {}) {
  const profile = tempDir('omswatch-chromium-');
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: binaries.chromium,
    headless: true,
    args: chromiumFlags,
    viewport,
  });
  cleanups.push(() => context.close());
  return context;
}

// Clicks the project page's range button `range` (1h, 24h, 7d, 30d) and waits
// for the chart's next draw: the first write of chart-ready's data-points
// after the click. Returns the points drawn.
export async function clickRange(page, range, { timeout = 20000 } = {}) {
  await page.evaluate((r) => {
    window.omswatchDrawn = undefined;
    const el = document.querySelector('[data-testid=chart-ready]');
    new MutationObserver((records, obs) => {
      window.omswatchDrawn = Number(el.getAttribute('data-points'));
      obs.disconnect();
    }).observe(el, { attributes: true, attributeFilter: ['data-points'] });
    document.querySelector(`[data-testid=range-${r}]`).click();
  }, range);
  return waitFor(`the ${range} chart`, () => page.evaluate(() => window.omswatchDrawn), { timeout });
}

const screenshotDir = process.env.OMSWATCH_SCREENSHOTS || tempDir('omswatch-screenshots-');
mkdirSync(screenshotDir, { recursive: true });

// Saves a screenshot of `page` as NAME.png in the build directory; with
// `doc`, also as docs/img/DOC.png when OMSWATCH_DOC_IMAGES names that folder.
export async function screenshot(page, name, { doc } = {}) {
  const file = join(screenshotDir, `${name}.png`);
  await page.screenshot({ path: file });
  if (doc && process.env.OMSWATCH_DOC_IMAGES) {
    mkdirSync(process.env.OMSWATCH_DOC_IMAGES, { recursive: true });
    copyFileSync(file, join(process.env.OMSWATCH_DOC_IMAGES, `${doc}.png`));
  }
  return file;
}

