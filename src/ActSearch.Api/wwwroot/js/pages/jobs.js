// #/jobs — every job, newest first, refreshed every few seconds.
import {h, replace, select, labelled, errorBox, jobHref, activationHref} from '../dom.js';
import {api} from '../api.js';
import {num, time, progress, budgetText, objectiveValue, JOB_STATES} from '../format.js';
import {stateBadge, progressBar, pager} from '../widgets.js';

const REFRESH_MS = 3000;
const PAGE_SIZE = 25;

export function jobsPage(ctx) {
  ctx.setTitle('Jobs');
  const state = {state: ctx.query.get('state') ?? '', page: Number(ctx.query.get('page') ?? 1) || 1};

  const stateFilter = select({id: 'job-state-filter', onchange: () => { state.state = stateFilter.value; state.page = 1; sync(); load(); }},
    [['', 'All states'], ...JOB_STATES.map(s => [s, s])], state.state);
  const updated = h('span', {class: 'muted', id: 'jobs-updated', 'aria-live': 'off'});
  const body = h('div', {id: 'jobs-body', 'aria-busy': 'true'}, h('p', {class: 'muted'}, 'Loading jobs…'));

  ctx.main.append(
    h('div', {class: 'page-head'}, h('h1', {tabindex: -1}, 'Jobs'), h('div', {class: 'toolbar'}, labelled('State', stateFilter), updated)),
    body);

  function sync() {
    ctx.updateQuery({state: state.state, page: state.page > 1 ? state.page : ''});
  }

  async function load() {
    try {
      const data = await api.jobs({state: state.state, page: state.page, pageSize: PAGE_SIZE}, {signal: ctx.signal});
      render(data);
      updated.textContent = `Updated ${new Date().toLocaleTimeString('en-GB')}`;
    } catch (e) {
      if (e?.name === 'AbortError') return;
      replace(body, errorBox(e));
    } finally {
      body.setAttribute('aria-busy', 'false');
    }
  }

  function render(data) {
    if (data.items.length === 0) {
      replace(body, h('p', {class: 'empty'}, state.state ? `No ${state.state} jobs.` : 'No jobs yet. Submit one with `actsearch submit <space.yaml>` or POST /api/jobs.'));
      return;
    }
    const table = h('table', {class: 'data jobs-table'},
      h('caption', {class: 'visually-hidden'}, 'Jobs, newest first'),
      h('thead', {}, h('tr', {},
        ['Job', 'State', 'Progress', 'Generation', 'Scored', 'Rejected', 'Failed', 'Budget', 'Best values', 'Created']
          .map(t => h('th', {scope: 'col'}, t)))),
      h('tbody', {}, data.items.map(jobRow)));
    replace(body, h('div', {class: 'table-wrap'}, table), pager(data, page => { state.page = page; sync(); load(); }, 'jobs'));
  }

  load();
  // A refresh rebuilds the table; skip it while keyboard focus is inside, so a focused link is not lost.
  ctx.every(REFRESH_MS, () => (body.contains(document.activeElement) ? undefined : load()));
}

function jobRow(job) {
  return h('tr', {'data-job-id': job.id},
    h('td', {}, h('a', {href: jobHref(job.id), class: 'job-name'}, job.name || job.id),
      h('div', {class: 'muted small'}, job.space, job.owner ? ` · ${job.owner}` : '')),
    h('td', {}, stateBadge(job.state)),
    h('td', {class: 'progress-cell'}, progressBar(progress(job), `Progress of ${job.name || job.id}`)),
    h('td', {class: 'num'}, num(job.generation)),
    h('td', {class: 'num'}, num(job.scored)),
    h('td', {class: 'num'}, num(job.rejected)),
    h('td', {class: 'num'}, num(job.failed)),
    h('td', {}, budgetText(job)),
    h('td', {}, bestList(job)),
    h('td', {class: 'small'}, time(job.createdAt)));
}

/** The best value of each objective, each linking to the activation that holds it. */
export function bestList(job) {
  const items = (job.objectives ?? []).map(objective => {
    const entry = job.best?.[objective];
    if (!entry) return null;
    return h('li', {},
      h('span', {class: 'objective'}, objective), ' ',
      h('strong', {}, num(objectiveValue(entry, job.objectives, objective))), ' ',
      h('a', {href: activationHref(entry.activationId), class: 'formula', title: entry.formula}, entry.formula));
  }).filter(Boolean);
  return items.length ? h('ul', {class: 'best-list'}, items) : h('span', {class: 'muted'}, '—');
}
