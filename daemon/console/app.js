// The console's entry point: picks the page from the path and polls the API
// every 5 seconds while the tab is visible.

import { poll } from './api.js';
import { eventsPage } from './events.js';
import { overview } from './overview.js';
import { project } from './project.js';
import { silencesPage } from './silences.js';

function start() {
  const app = document.getElementById('app');
  // The path below the console's root (the daemon's, or a proxy's prefix):
  // "", "events", "silences" or "projects/ID".
  const root = new URL('./', document.baseURI).pathname;
  const path = location.pathname.startsWith(root) ? location.pathname.slice(root.length) : '';
  let page = 'overview';
  let refresh;
  if (path.startsWith('projects/')) {
    page = 'project';
    refresh = project(app, decodeURIComponent(path.slice('projects/'.length)));
  } else if (path === 'events') {
    page = 'events';
    refresh = eventsPage(app);
  } else if (path === 'silences') {
    page = 'silences';
    refresh = silencesPage(app);
  } else {
    refresh = overview(app);
  }
  for (const a of document.querySelectorAll('[data-nav]')) {
    if (a.dataset.nav === page) a.setAttribute('aria-current', 'page');
  }
  document.title = `omswatch · ${page}`;
  poll(refresh, 5000);
}

start();
