// ActSearch web UI: a hash router over four pages (#/jobs, #/jobs/{id}, #/activations, #/activations/{id}).
// Plain ES modules, no build step. Every page gets a context whose signal aborts when the user navigates away,
// so its requests, timers and event streams stop with it.
import {h, replace, errorBox} from './js/dom.js';
import {getToken, setToken} from './js/api.js';
import {jobsPage} from './js/pages/jobs.js';
import {jobPage} from './js/pages/job.js';
import {activationsPage} from './js/pages/activations.js';
import {activationPage} from './js/pages/activation.js';

const routes = [
  {pattern: /^\/jobs\/?$/, page: jobsPage, nav: 'jobs'},
  {pattern: /^\/jobs\/([^/]+)$/, page: jobPage, nav: 'jobs'},
  {pattern: /^\/activations\/?$/, page: activationsPage, nav: 'activations'},
  {pattern: /^\/activations\/([^/]+)$/, page: activationPage, nav: 'activations'},
];

const main = document.getElementById('main');
let current = null;
let firstRoute = true;

function parseHash() {
  const raw = location.hash.replace(/^#/, '') || '/';
  const [path, search = ''] = raw.split('?', 2);
  return {path, query: new URLSearchParams(search)};
}

async function route() {
  const {path, query} = parseHash();
  if (path === '/' || path === '') {
    location.replace('#/jobs');
    return;
  }
  current?.abort();
  const controller = new AbortController();
  current = controller;
  const match = routes.map(r => ({r, m: r.pattern.exec(path)})).find(x => x.m);
  for (const link of document.querySelectorAll('[data-nav]')) {
    if (match && link.dataset.nav === match.r.nav) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  replace(main);
  main.setAttribute('aria-busy', 'true');
  const ctx = {
    main,
    query,
    signal: controller.signal,
    setTitle: title => { if (!controller.signal.aborted) document.title = `${title} · ActSearch`; },
    onCleanup: fn => controller.signal.addEventListener('abort', fn, {once: true}),
    every: (ms, fn) => {
      const timer = setInterval(() => { if (!document.hidden) fn(); }, ms);
      controller.signal.addEventListener('abort', () => clearInterval(timer), {once: true});
    },
    // Keeps the page's filters in the address so it can be bookmarked, without re-rendering the page.
    updateQuery: params => {
      const search = new URLSearchParams();
      for (const [k, v] of Object.entries(params)) if (v !== '' && v !== null && v !== undefined) search.set(k, String(v));
      const text = search.toString();
      history.replaceState(null, '', `#${path}${text ? `?${text}` : ''}`);
    },
  };
  try {
    if (!match) {
      ctx.setTitle('Not found');
      main.append(h('h1', {tabindex: -1}, 'Page not found'), h('p', {}, 'No page at ', h('code', {}, path), '. ', h('a', {href: '#/jobs'}, 'Go to the jobs.')));
    } else {
      const args = match.m.slice(1).map(decodeURIComponent);
      await match.r.page(ctx, ...args);
    }
  } catch (e) {
    if (e?.name !== 'AbortError' && current === controller) main.append(errorBox(e instanceof Error && !e.title ? {title: 'The page failed', detail: String(e.message)} : e));
  } finally {
    if (current === controller) {
      main.setAttribute('aria-busy', 'false');
      // After a navigation, screen readers and keyboard users start at the new page's heading.
      const heading = main.querySelector('h1');
      if (heading && !firstRoute) heading.focus({preventScroll: true});
      firstRoute = false;
    }
  }
}

function tokenDialog() {
  const dialog = document.getElementById('token-dialog');
  const input = document.getElementById('token-input');
  const status = document.getElementById('token-status');
  const show = () => { status.textContent = getToken() ? 'A token is set for this browser.' : 'No token set: the UI can read but not change anything.'; };
  document.getElementById('token-button').addEventListener('click', () => { input.value = ''; show(); dialog.showModal(); input.focus(); });
  document.getElementById('token-form').addEventListener('submit', e => {
    if (e.submitter?.value === 'clear') setToken('');
    else if (e.submitter?.value === 'save' && input.value.trim()) setToken(input.value.trim());
    input.value = '';
    show();
  });
}

// The skip link must not change the hash: the hash is the route.
document.querySelector('.skip-link').addEventListener('click', e => { e.preventDefault(); main.focus(); });
tokenDialog();
window.addEventListener('hashchange', route);
route();
