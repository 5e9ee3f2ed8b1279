// make bench-console: the web console's two budgets in headless Chromium,
// against the real daemon (docs/performance.md, "The web console"):
//   - the overview of 1,000 projects: from the navigation's start to the
//     moment every row is in the page (budget 500 ms);
//   - a project's 7-day chart: from the click on the 7d button to the chart
//     drawn with the week's points (budget 300 ms).
// Each figure is timed inside the page (performance.now(), a MutationObserver
// installed before the page's own script), so the driver's round trips are not
// counted. Prints one line per run and a summary; exits 1 when a budget is
// missed, 2 when the console cannot be measured.
//
//   node bench/console/console_bench.mjs [--runs N] [--projects N]
//
// The binaries come from OMSWATCH_BINARY, OMSWATCH_SIM_BINARY and
// OMSWATCH_HISTORY_FILL, as for the browser tests (tests/browser/rig.mjs).

import { spawnSync } from 'node:child_process';
import {
  api, binaries, cleanupAll, launchBrowser, omsTable, startDaemon, startSim, tempDir, waitFor,
} from '../../tests/browser/rig.mjs';

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const runs = option('--runs', 7);
const projects = option('--projects', 1000);
const budgets = { overview: 500, chart: 300 };

const stats = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const at = (q) => s[Math.min(s.length - 1, Math.floor(q * s.length))];
  return { median: at(0.5), p90: at(0.9), max: s[s.length - 1], min: s[0] };
};
const ms = (x) => `${x.toFixed(1)} ms`;

// Runs before the page's own script: records performance.now() when the
// overview holds `want` rows.
function rowsObserver(want) {
  const seen = () => document.querySelectorAll('[data-testid=project-row]').length >= want;
  const start = () => {
    const obs = new MutationObserver(() => {
      if (window.omswatchRowsReady === undefined && seen()) {
        window.omswatchRowsReady = performance.now();
        obs.disconnect();
      }
    });
    obs.observe(document, { childList: true, subtree: true });
  };
  if (document.documentElement) start(); else document.addEventListener('readystatechange', start, { once: true });
}

async function overview(context, daemon) {
  const figures = [];
  for (let i = 0; i < runs; ++i) {
    const page = await context.newPage();
    await page.addInitScript(rowsObserver, projects);
    await page.goto(daemon.url + '/');
    const t = await waitFor(`${projects} rows`, () => page.evaluate(() => window.omswatchRowsReady),
      { timeout: 60000, every: 50 });
    figures.push(t);
    console.log(`overview run ${i + 1}: ${projects} rows ready ${ms(t)} after navigation`);
    await page.close();
  }
  return figures;
}

async function chart(context, daemon) {
  const figures = [];
  for (let i = 0; i < runs; ++i) {
    const page = await context.newPage();
    await page.goto(daemon.url + '/projects/np_100000?oms=prod');
    const ready = page.locator('[data-testid=chart-ready]');
    const points = async () => Number((await ready.getAttribute('data-points')) ?? 0);
    // Start from the 24-hour view, drawn: the first draw (whatever its range),
    // then the 24h button's. A page that does not redraw the range it shows
    // writes nothing after the click: then the first draw was the 24h one.
    await waitFor('the first chart', async () => (await points()) > 0, { timeout: 30000 });
    await page.evaluate(() => {
      window.omswatchDayDrawn = false;
      const el = document.querySelector('[data-testid=chart-ready]');
      new MutationObserver((records, obs) => { window.omswatchDayDrawn = true; obs.disconnect(); })
        .observe(el, { attributes: true, attributeFilter: ['data-points'] });
      document.querySelector('[data-testid=range-24h]').click();
    });
    await waitFor('the 24h chart', () => page.evaluate(() => window.omswatchDayDrawn), { timeout: 5000 })
      .catch(() => {});
    const day = await points();
    // Click 7d inside the page and time until the week is drawn.
    await page.evaluate((dayPoints) => {
      window.omswatchWeekDrawn = undefined;
      const el = document.querySelector('[data-testid=chart-ready]');
      const obs = new MutationObserver(() => {
        if (Number(el.getAttribute('data-points')) > dayPoints) {
          window.omswatchWeekDrawn = performance.now() - window.omswatchClickAt;
          obs.disconnect();
        }
      });
      obs.observe(el, { attributes: true, attributeFilter: ['data-points'] });
      window.omswatchClickAt = performance.now();
      document.querySelector('[data-testid=range-7d]').click();
    }, day);
    const t = await waitFor('the 7d chart', () => page.evaluate(() => window.omswatchWeekDrawn),
      { timeout: 30000, every: 50 });
    const week = await points();
    figures.push(t);
    console.log(`chart run ${i + 1}: 7 days drawn (${week} points, 24h: ${day}) ${ms(t)} after the click`);
    await page.close();
  }
  return figures;
}

async function main() {
  // The overview: omswatch-sim's static fleet, every project polled once.
  const sim = await startSim(['--scenario', 'static', '--projects', String(projects)]);
  const dir = tempDir('omswatch-bench-');
  // The chart: a week of one project's polls every 10 s, written by the real storage code.
  const fill = spawnSync(binaries.historyFill, ['--db', `${dir}/omswatch.db`, '--projects', '1', '--days', '7',
    '--interval', '10s'], { encoding: 'utf8' });
  if (fill.status !== 0) throw new Error(`history_fill: ${fill.stderr}`);
  const daemon = await startDaemon((d) => [
    '[daemon]', `database = "${d}/omswatch.db"`, 'listen = "127.0.0.1:0"', '',
    omsTable(d, 'sim', sim, { interval: '10s' }),
  ].join('\n'), { dir });
  await waitFor(`the daemon to poll ${projects} projects`, async () => {
    const r = await api(daemon, '/api/v1/projects');
    return (r.json?.projects ?? []).filter((p) => p.oms === 'sim' && p.outcome === 'ok').length >= projects;
  }, { timeout: 120000, every: 500 });
  const shell = await api(daemon, '/');
  if (shell.status !== 200) {
    console.error(`bench-console: GET / answers ${shell.status}: this daemon serves no console`);
    return 2;
  }
  const context = await launchBrowser();
  const o = stats(await overview(context, daemon));
  const c = stats(await chart(context, daemon));
  const held = (s, budget) => (s.median <= budget ? 'held' : 'MISSED');
  console.log('');
  console.log(`overview, ${projects} projects ready: median ${ms(o.median)}, p90 ${ms(o.p90)}, ` +
    `max ${ms(o.max)} over ${runs} runs; budget ${budgets.overview} ms: ${held(o, budgets.overview)}`);
  console.log(`7-day chart drawn after the click: median ${ms(c.median)}, p90 ${ms(c.p90)}, ` +
    `max ${ms(c.max)} over ${runs} runs; budget ${budgets.chart} ms: ${held(c, budgets.chart)}`);
  return o.median <= budgets.overview && c.median <= budgets.chart ? 0 : 1;
}

let code = 2;
try {
  code = await main();
} catch (e) {
  console.error(`bench-console: ${e.message}`);
} finally {
  await cleanupAll();
}
process.exit(code);
