// The web console in headless Chromium, against the real daemon: `omswatch run`
// watching omswatch-sim, a recording receiver, and the console's DOM contract
// (the data-testid attributes of its pages): a page without its attribute fails
// its test. Run by ctest (tests/browser/run.sh); each part starts its
// own simulator and daemon so that the storylines' clocks start with it.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import {
  api, binaries, cleanupAll, clickRange, launchBrowser, omsTable, routesTo, screenshot, startDaemon,
  startReceiver, startSim, tempDir, waitFor,
} from './rig.mjs';

after(cleanupAll);

// The contract names the forms, not each of their fields: fills the first
// field that one of `selectors` finds in `scope`; false when none does.
async function fill(scope, selectors, value) {
  for (const sel of selectors) {
    const field = scope.locator(sel).first();
    if (await field.count()) {
      await field.fill(value);
      return true;
    }
  }
  return false;
}

const row = (page, id) => page.locator(`[data-testid=project-row][data-project="${id}"]`);

// The colours a row is drawn with: its own and its cells' (whichever carries
// the severity's colour: background, border or text).
async function colours(locator) {
  return locator.evaluate((el) => {
    const pick = (e) => {
      const s = getComputedStyle(e);
      return [s.backgroundColor, s.borderLeftColor, s.borderTopColor, s.color, s.outlineColor].join(' ');
    };
    return [pick(el), ...Array.from(el.querySelectorAll('*')).slice(0, 8).map(pick)].join(' | ');
  });
}

describe('a write without the token', () => {
  const token = 'browser-test-token-7Qx2';
  let daemon;
  before(async () => {
    const sim = await startSim(['--scenario', 'static', '--projects', '3']);
    daemon = await startDaemon((dir) => [
      '[daemon]',
      `database = "${dir}/omswatch.db"`,
      'listen = "127.0.0.1:0"',
      `api_token = "${token}"`,
      '',
      omsTable(dir, 'sim', sim),
    ].join('\n'));
  });

  test('is refused with 401 and a Bearer challenge', async () => {
    for (const path of ['/api/v1/silences', '/api/v1/acks']) {
      const none = await api(daemon, path, { method: 'POST', body: { comment: 'no token' } });
      assert.equal(none.status, 401, `POST ${path} without Authorization`);
      assert.match(none.headers.get('www-authenticate') ?? '', /^Bearer realm="omswatch"/);
      const wrong = await api(daemon, path, { method: 'POST', token: 'not-the-token', body: {} });
      assert.equal(wrong.status, 401, `POST ${path} with another token`);
    }
    const silence = { project_id: 'np_sim_000001', duration: '1h', comment: 'token test', created_by: 'browser-test' };
    const refused = await api(daemon, '/api/v1/silences', { method: 'POST', body: silence });
    assert.equal(refused.status, 401);
    assert.equal((await api(daemon, '/api/v1/silences', { token })).json?.silences?.length ?? 0, 0,
      'the refused write left nothing behind');
    const accepted = await api(daemon, '/api/v1/silences', { method: 'POST', token, body: silence });
    assert.equal(accepted.status, 201, accepted.text);
    assert.equal((await api(daemon, '/api/v1/projects')).status, 401);
    assert.equal((await api(daemon, '/api/v1/projects', { token })).status, 200);
    assert.equal((await api(daemon, '/healthz')).status !== 401, true);
  });

  test('Chromium reaches the daemon (the rig works)', async () => {
    const page = await (await launchBrowser()).newPage();
    const res = await page.goto(daemon.url + '/healthz');
    assert.equal(res.status(), 200);
    assert.match(await page.locator('body').textContent(), /"status"/);
    const refused = await page.goto(daemon.url + '/api/v1/projects');
    assert.equal(refused.status(), 401);
  });

  test('the page asks for the token, then shows the projects', async () => {
    const context = await launchBrowser();
    const page = await context.newPage();
    const shell = await page.goto(daemon.url + '/');
    assert.equal(shell.status(), 200, 'the console shell is served without the token');
    await page.locator('[data-testid=token-form]').waitFor({ state: 'visible', timeout: 15000 });
    await screenshot(page, 'token-form');
    await page.locator('[data-testid=token-input]').fill(token);
    await page.locator('[data-testid=token-input]').press('Enter');
    await waitFor('the three projects after the token is given',
      async () => (await page.locator('[data-testid=project-row]').count()) === 3, { timeout: 30000 });
    assert.equal(await page.locator('[data-testid=token-form]').isVisible(), false);
    const kept = await page.evaluate(() => Object.values(sessionStorage));
    assert.ok(kept.includes(token), 'the token is kept in sessionStorage');
  });
});

describe('the overview', () => {
  let daemon;
  let page;
  before(async () => {
    // The browser first: the storyline's clock starts with the simulator.
    const context = await launchBrowser();
    page = await context.newPage();
    // demo: np_demo_audit is RUNNING, then FAILED from 25 s; static: healthy rows.
    const sim = await startSim(['--scenario', 'demo,static', '--projects', '3']);
    const receiver = await startReceiver();
    daemon = await startDaemon((dir) => [
      '[daemon]',
      `database = "${dir}/omswatch.db"`,
      'listen = "127.0.0.1:0"',
      '',
      omsTable(dir, 'sim', sim),
      '[[receivers]]',
      'name = "ops"',
      'type = "webhook"',
      `url = "${receiver.url}/hook"`,
      '',
      routesTo(['ops']),
    ].join('\n'));
  });

  test('a state change appears without reload', async () => {
    await page.goto(daemon.url + '/');
    await page.evaluate(() => { window.omswatchTestMark = 'same document'; });
    const audit = row(page, 'np_demo_audit');
    await audit.waitFor({ timeout: 20000 });
    const before = await audit.getAttribute('data-status');
    assert.notEqual(before, 'FAILED',
      'np_demo_audit fails 25 s after the simulator starts: the page opened too late to see it change');
    await waitFor('np_demo_audit to show FAILED', async () =>
      (await audit.getAttribute('data-status')) === 'FAILED', { timeout: 60000 });
    assert.equal(await page.evaluate(() => window.omswatchTestMark), 'same document', 'the page was not reloaded');
    assert.equal((await page.locator('[data-testid=live]').textContent()).trim(), 'live');
  });

  test('lists the projects, worst first, with the colours of their severity', async () => {
    const group = page.locator('[data-testid=oms-group][data-oms=sim]');
    await waitFor('the six projects of the simulator', async () =>
      (await group.locator('[data-testid=project-row]').count()) === 6, { timeout: 20000 });
    const failed = row(page, 'np_demo_audit');
    await waitFor('np_demo_audit FAILED', async () => (await failed.getAttribute('data-status')) === 'FAILED',
      { timeout: 60000 });
    const healthy = row(page, 'np_sim_000001');
    assert.equal(await healthy.getAttribute('data-status'), 'RUNNING');
    await waitFor('the FAILED row to be critical', async () =>
      (await failed.getAttribute('data-severity')) === 'critical');
    assert.equal(await healthy.getAttribute('data-severity'), 'ok');
    assert.match(await failed.getAttribute('class'), /\bsev-critical\b/);
    assert.match(await healthy.getAttribute('class'), /\bsev-ok\b/);
    assert.notEqual(await colours(failed), await colours(healthy), 'FAILED and RUNNING rows look alike');
    const order = await group.locator('[data-testid=project-row]').evaluateAll(
      (rows) => rows.map((r) => r.getAttribute('data-project')));
    assert.ok(order.indexOf('np_demo_audit') < order.indexOf('np_sim_000001'), `worst first: ${order}`);
    const link = await failed.evaluate((el) => (el.matches('a') ? el : el.querySelector('a'))?.getAttribute('href'));
    assert.match(link ?? '', /\/projects\/np_demo_audit/);
    await screenshot(page, 'overview', { doc: 'console-overview' });
  });

  test('the filters are kept in the address', async () => {
    await page.goto(daemon.url + '/');
    const rows = page.locator('[data-testid=project-row]');
    await waitFor('the six rows', async () => (await rows.count()) === 6, { timeout: 20000 });
    await waitFor('np_demo_audit FAILED', async () =>
      (await row(page, 'np_demo_audit').getAttribute('data-status')) === 'FAILED', { timeout: 60000 });
    await page.locator('[data-testid=filter-text]').fill('audit');
    await waitFor('one row for "audit"', async () => (await rows.count()) === 1);
    assert.equal(await rows.first().getAttribute('data-project'), 'np_demo_audit');
    await waitFor('q=audit in the address', () => new URL(page.url()).searchParams.get('q') === 'audit');
    // A shared link opens with its filter.
    await page.goto(daemon.url + '/?state=RUNNING');
    await waitFor('the five RUNNING rows', async () => (await rows.count()) === 5, { timeout: 20000 });
    assert.equal(await page.locator('[data-testid=filter-state]').inputValue(), 'RUNNING');
    assert.equal(await page.locator('[data-testid=project-row][data-status=FAILED]').count(), 0);
  });

  test('the events page links each event to its project', async () => {
    await page.goto(daemon.url + '/events');
    const rows = page.locator('[data-testid=event-row]');
    await rows.first().waitFor({ timeout: 20000 });
    const links = await rows.evaluateAll((all) => all.map((r) => r.querySelector('a[href*="/projects/"]')?.getAttribute('href') ?? ''));
    assert.ok(links.length > 0);
    assert.ok(links.some((h) => h.includes('/projects/np_demo_audit')), `links: ${links}`);
    await screenshot(page, 'events', { doc: 'console-events' });
  });

  test('says so when the daemon is gone', async () => {
    await page.goto(daemon.url + '/');
    const liveText = async () => (await page.locator('[data-testid=live]').textContent()).trim();
    await waitFor('the page to be live', async () => (await liveText()) === 'live', { timeout: 20000 });
    daemon.child.kill('SIGTERM');
    await page.locator('[data-testid=disconnected]').waitFor({ state: 'visible', timeout: 30000 });
    assert.equal(await liveText(), 'disconnected');
    await screenshot(page, 'disconnected');
  });
});

describe('the project page', { skip: binaries.historyFill ? false : 'bench/history_fill is not built (OMSWATCH_BUILD_BENCH=OFF)' }, () => {
  let daemon;
  let page;
  before(async () => {
    const dir = tempDir('omswatch-daemon-');
    // A week of one project's polls, one a minute, written by the real storage code.
    const fill = spawnSync(binaries.historyFill, ['--db', `${dir}/omswatch.db`, '--projects', '1', '--days', '7',
      '--interval', '1m'], { encoding: 'utf8' });
    assert.equal(fill.status, 0, `history_fill: ${fill.stderr}`);
    const sim = await startSim(['--scenario', 'static', '--projects', '2']);
    daemon = await startDaemon((d) => [
      '[daemon]',
      `database = "${d}/omswatch.db"`,
      'listen = "127.0.0.1:0"',
      '',
      omsTable(d, 'sim', sim),
    ].join('\n'), { dir });
    page = await (await launchBrowser()).newPage();
  });

  test('the chart draws a week of history', async () => {
    const history = await api(daemon, '/api/v1/projects/np_100000/history?since=7d&limit=10000');
    assert.equal(history.status, 200, history.text);
    assert.ok(history.json.samples.length > 7 * 24 * 30, 'history_fill wrote a week of samples');
    await page.goto(daemon.url + '/projects/np_100000?oms=prod');
    await page.locator('[data-testid=chart] canvas').waitFor({ timeout: 20000 });
    const ready = page.locator('[data-testid=chart-ready]');
    await waitFor('the first chart', async () => Number(await ready.getAttribute('data-points')) > 0);
    // A week at one sample a minute: at least one point per hour of it, and
    // more than the last day's.
    const week = await clickRange(page, '7d');
    assert.ok(week > 7 * 24, `the 7d chart drew ${week} points`);
    assert.equal(Number(await ready.getAttribute('data-points')), week);
    await screenshot(page, 'project', { doc: 'console-project' });
    const day = await clickRange(page, '24h');
    assert.ok(day > 0 && day < week, `24h: ${day} points, 7d: ${week}`);
    for (const part of ['timeline', 'steps', 'events']) {
      assert.ok(await page.locator(`[data-testid=${part}]`).count(), `the page has [data-testid=${part}]`);
    }
  });
});

describe('acknowledging a condition', () => {
  // Two OMS names for one simulator: np_demo_audit fails in both, so the
  // condition acked (east) and the one that is not (west) are reminded of on
  // the same minute; the west reminder is the event that shows the east one
  // was left out.
  let daemon;
  let receiver;
  let page;
  before(async () => {
    const sim = await startSim(['--scenario', 'demo']);
    receiver = await startReceiver();
    daemon = await startDaemon((dir) => [
      '[daemon]',
      `database = "${dir}/omswatch.db"`,
      'listen = "127.0.0.1:0"',
      '',
      omsTable(dir, 'east', sim, { projects: ['np_demo_audit'] }),
      omsTable(dir, 'west', sim, { projects: ['np_demo_audit'] }),
      '[[receivers]]',
      'name = "am"',
      'type = "alertmanager"',
      `url = "${receiver.url}"`,
      '',
      routesTo(['am']),
    ].join('\n'));
    page = await (await launchBrowser()).newPage();
  });

  const firing = (r, oms) => r.path === '/api/v2/alerts' && Array.isArray(r.json) && r.json.some((a) =>
    a.labels?.alertname === 'project_failed' && a.labels?.oms === oms && Date.parse(a.endsAt) > r.at);

  test('stops its next reminder, and the page shows who acked it', async () => {
    await waitFor('project_failed firing from both OMS', () =>
      receiver.requests.some((r) => firing(r, 'east')) && receiver.requests.some((r) => firing(r, 'west')),
    { timeout: 90000 });
    await page.goto(daemon.url + '/projects/np_demo_audit?oms=east');
    const condition = page.locator('[data-testid=condition][data-kind=project_failed]');
    await condition.waitFor({ timeout: 20000 });
    await condition.locator('[data-testid=ack]').click();
    // Who and why, when the page asks for them after the click.
    if (await fill(page, ['[data-testid=ack-by]', '[name=acked_by]', '[name=by]'], 'browser-test')) {
      await fill(page, ['[data-testid=ack-reason]', '[name=reason]'], 'looking into ORA-01555');
      const submit = page.locator('[data-testid=ack-submit]');
      if (await submit.count()) await submit.click();
      else await page.locator('[data-testid=ack-by], [name=acked_by], [name=by]').first().press('Enter');
    }
    const ackedBy = condition.locator('[data-testid=acked-by]');
    await ackedBy.waitFor({ timeout: 20000 });
    assert.match(await ackedBy.textContent(), /browser-test/);
    const ackedAt = Date.now();
    const lastEast = Math.max(...receiver.requests.filter((r) => firing(r, 'east')).map((r) => r.at));
    // East's next reminder was due a minute after its last one; wait for a
    // west reminder later than that.
    await waitFor('a west reminder after the east one was due', () =>
      receiver.requests.some((r) => r.at > lastEast + 65000 && r.at > ackedAt && firing(r, 'west')),
    { timeout: 200000, every: 500 });
    const eastAfter = receiver.requests.filter((r) => r.at > ackedAt + 2000 && firing(r, 'east'));
    assert.deepEqual(eastAfter.map((r) => r.body), [], 'the acked condition was reminded of');
    await screenshot(page, 'project-acked');
  });
});

describe('a silence created in the page', () => {
  let sim;
  let daemon;
  let receiver;
  let page;
  before(async () => {
    // The browser first: the storyline's clock starts with the simulator.
    page = await (await launchBrowser()).newPage();
    // demo: np_demo_billing's checkpoint freezes at 20 s: incr_stalled fires 5 s later.
    sim = await startSim(['--scenario', 'demo']);
    receiver = await startReceiver();
    daemon = await startDaemon((dir) => [
      '[daemon]',
      `database = "${dir}/omswatch.db"`,
      'listen = "127.0.0.1:0"',
      '',
      omsTable(dir, 'sim', sim),
      '[detect]',
      'stall_after = "5s"',
      '',
      '[[receivers]]',
      'name = "hook"',
      'type = "webhook"',
      `url = "${receiver.url}/hook"`,
      '',
      routesTo(['hook']),
    ].join('\n'));
  });

  test('suppresses the delivery it matches', async () => {
    // The form is on the silences page, or else on the overview.
    const form = page.locator('[data-testid=silence-form]');
    await page.goto(daemon.url + '/silences');
    if (!(await form.count())) await page.goto(daemon.url + '/');
    await form.waitFor({ timeout: 20000 });
    assert.ok(await fill(form, ['[data-testid=silence-project]', '[name=project_id]', '[name=project]'],
      'np_demo_billing'), 'the silence form has a project matcher');
    assert.ok(await fill(form, ['[data-testid=silence-duration]', '[name=duration]', '[name=for]'], '1h'),
      'the silence form has a duration');
    await fill(form, ['[data-testid=silence-comment]', '[name=comment]', 'textarea'], 'billing maintenance');
    await fill(form, ['[data-testid=silence-created-by]', '[name=created_by]', '[name=by]'], 'browser-test');
    await form.locator('[type=submit]').first().click();
    await page.locator('[data-testid=silence-row]').first().waitFor({ timeout: 20000 });
    assert.ok(Date.now() - sim.startedAt < 20000,
      'the silence came after np_demo_billing\'s checkpoint froze (20 s after the start): too late to test');
    assert.ok(await page.locator('[data-testid=silence-row] [data-testid=silence-expire]').count());
    await screenshot(page, 'silences');

    const stalled = await waitFor('np_demo_billing incr_stalled, silenced', async () => {
      const r = await api(daemon, '/api/v1/events?project=np_demo_billing&kind=incr_stalled');
      return r.json?.events?.find((e) => e.state === 'firing' && e.deliveries.some((d) => d.status === 'silenced'));
    }, { timeout: 90000, every: 250 });
    assert.ok(stalled);
    const sent = receiver.requests.filter((r) => r.body.includes('np_demo_billing') && r.body.includes('incr_stalled'));
    assert.deepEqual(sent.map((r) => r.body), [], 'the silenced condition reached the receiver');
  });
});
