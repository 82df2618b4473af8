// #/activations — the catalog of every evaluated formula across jobs: search, task filter, sort, pages.
import {h, replace, select, labelled, errorBox, activationHref, jobHref} from '../dom.js';
import {api} from '../api.js';
import {num, time} from '../format.js';
import {pager} from '../widgets.js';
import {thumbnail} from '../charts.js';

const PAGE_SIZE = 25;
const SEARCH_DELAY_MS = 250;

export function activationsPage(ctx) {
  ctx.setTitle('Activations');
  const q = ctx.query;
  const state = {
    q: q.get('q') ?? '', task: q.get('task') ?? '', sort: q.get('sort') === 'recent' ? 'recent' : 'score',
    objective: q.get('objective') ?? '', page: Number(q.get('page') ?? 1) || 1,
  };
  // The server's tasks and objectives (GET /api/catalog/...) fill the filters once they arrive; the catalog adds any task it sees.
  const tasks = new Set();
  if (state.task) tasks.add(state.task);
  const objectives = state.objective ? [state.objective] : [];

  const search = h('input', {type: 'search', id: 'catalog-q', placeholder: 'e.g. sigmoid', value: state.q, autocomplete: 'off'});
  let timer = 0;
  search.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(() => { state.q = search.value.trim(); state.page = 1; reload(); }, SEARCH_DELAY_MS);
  });
  ctx.onCleanup(() => clearTimeout(timer));
  const taskSelect = select({id: 'catalog-task', onchange: () => { state.task = taskSelect.value; state.page = 1; reload(); }},
    taskOptions(tasks), state.task);
  const objectiveSelect = select({id: 'catalog-objective', onchange: () => { state.objective = objectiveSelect.value; state.sort = 'score'; state.page = 1; reload(); }},
    objectiveOptions(objectives), state.objective);
  const body = h('div', {id: 'catalog-body'}, h('p', {class: 'muted'}, 'Loading…'));

  ctx.main.append(
    h('div', {class: 'page-head'}, h('h1', {tabindex: -1}, 'Activation catalog')),
    h('p', {class: 'muted'}, 'Every function any job evaluated, keyed by its fingerprint (equal outputs on fixed probe inputs = one entry).'),
    h('form', {class: 'toolbar', role: 'search', onsubmit: e => { e.preventDefault(); clearTimeout(timer); state.q = search.value.trim(); state.page = 1; reload(); }},
      labelled('Search formulas', search, 'grow'), labelled('Task', taskSelect), labelled('Score objective', objectiveSelect)),
    body);

  function reload() {
    ctx.updateQuery({q: state.q, task: state.task, sort: state.sort === 'score' ? '' : state.sort, objective: state.objective, page: state.page > 1 ? state.page : ''});
    load();
  }

  (async () => {
    try {
      const [knownTasks, knownObjectives] = await Promise.all([api.tasks({signal: ctx.signal}), api.objectives({signal: ctx.signal})]);
      for (const t of knownTasks) tasks.add(t.name);
      refillTasks();
      for (const o of knownObjectives) if (!objectives.includes(o.name)) objectives.push(o.name);
      objectiveSelect.replaceChildren(...objectiveOptions(objectives).map(([v, l]) => h('option', {value: v}, l)));
      objectiveSelect.value = state.objective;
    } catch (e) {
      if (e?.name !== 'AbortError') replace(body, errorBox(e));
    }
  })();

  function refillTasks() {
    taskSelect.replaceChildren(...taskOptions(tasks).map(([v, l]) => h('option', {value: v}, l)));
    taskSelect.value = state.task;
  }

  let generation = 0;
  async function load() {
    const mine = ++generation;
    body.setAttribute('aria-busy', 'true');
    try {
      const data = await api.activations({sort: state.sort, objective: state.objective, task: state.task, q: state.q, page: state.page, pageSize: PAGE_SIZE}, {signal: ctx.signal});
      if (mine !== generation) return;  // a newer search is on its way
      render(data);
    } catch (e) {
      if (e?.name === 'AbortError' || mine !== generation) return;
      replace(body, errorBox(e));
    } finally {
      if (mine === generation) body.setAttribute('aria-busy', 'false');
    }
  }

  function sortHeader(label, key) {
    const active = state.sort === key;
    return h('th', {scope: 'col', 'aria-sort': active ? 'descending' : 'none'},
      h('button', {type: 'button', class: active ? 'sort active' : 'sort', 'data-sort': key,
        onclick: () => { state.sort = key; state.page = 1; reload(); }}, label, active ? ' ▼' : ''));
  }

  function render(data) {
    let added = false;
    for (const a of data.items) for (const sc of a.scores ?? []) if (sc.task && !tasks.has(sc.task)) { tasks.add(sc.task); added = true; }
    if (added) refillTasks();
    if (data.items.length === 0) {
      const filters = [state.q ? `text “${state.q}”` : '', state.task ? `a score on ${state.task}` : ''].filter(Boolean);
      replace(body, h('p', {class: 'empty', id: 'catalog-empty'}, filters.length
        ? `No activation matches: none has ${filters.join(' and ')}.`
        : 'The catalog is empty: finished jobs add what they evaluated.'));
      return;
    }
    const {objective, task} = rankedBy(data.items, state);
    const ranked = task ? `${objective} on ${task}` : objective;
    const table = h('table', {class: 'data catalog'},
      h('caption', {class: 'visually-hidden'}, `Activations sorted by ${state.sort === 'score' ? `best ${ranked}` : 'most recent'}`),
      h('thead', {}, h('tr', {},
        h('th', {scope: 'col'}, 'Curve'), h('th', {scope: 'col'}, 'Formula'),
        sortHeader(`Best ${objective}`, 'score'), h('th', {scope: 'col'}, 'Scores'),
        h('th', {scope: 'col', class: 'num'}, 'Seen'), sortHeader('Last seen', 'recent'))),
      h('tbody', {}, data.items.map(a => row(a, objective, task))));
    replace(body, h('div', {class: 'table-wrap'}, table), pager(data, page => { state.page = page; reload(); }, 'activations'));
  }

  function row(a, objective, task) {
    const relevant = (a.scores ?? []).filter(sc => sc.objective === objective && (sc.task ?? '') === (task ?? ''));
    const bestScore = relevant.length === 0 ? null : relevant.reduce((b, sc) =>
      (sc.value !== null && (b.value === null || (sc.goal === 'minimize' ? sc.value < b.value : sc.value > b.value)) ? sc : b));
    return h('tr', {'data-activation-id': a.id},
      h('td', {class: 'thumb-cell'}, thumbnail(a.curve)),
      h('td', {}, h('a', {href: activationHref(a.id), class: 'formula'}, a.formula), h('div', {class: 'muted small mono'}, a.id)),
      h('td', {class: 'num'}, bestScore ? h('span', {}, h('strong', {}, num(bestScore.value)), bestScore.task ? h('div', {class: 'muted small'}, bestScore.task) : null) : '—'),
      h('td', {}, h('ul', {class: 'chips'}, (a.scores ?? []).slice(0, 6).map(sc =>
        h('li', {class: sc === bestScore ? 'chip active' : 'chip', title: `${sc.goal} · job ${sc.jobId}`},
          `${sc.task ? `${sc.objective}@${sc.task}` : sc.objective} `, h('strong', {}, num(sc.value)))))),
      h('td', {class: 'num'}, num(a.timesSeen)),
      h('td', {class: 'small'}, time(a.lastSeen), a.latestJob ? h('div', {}, h('a', {href: jobHref(a.latestJob), class: 'small'}, 'latest job')) : null));
  }

  load();
}

/**
 * The objective and task the server ranks by when the user chose none, by the server's rule (ActivationCatalog):
 * accuracy if any function has it, else the objective scored most often (per-task ones first); its task is the
 * filter, else the task with the most scores of that objective. Read off the page's own rows.
 */
function rankedBy(items, state) {
  const counts = new Map();
  for (const a of items) for (const sc of a.scores ?? []) {
    const key = `${sc.objective}\u0000${sc.task ?? ''}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  const pairs = [...counts].map(([key, count]) => { const [objective, task] = key.split('\u0000'); return {objective, task, count}; })
    .filter(p => !state.task || p.task === state.task);
  const byCount = (x, y) => (Number(!!y.task) - Number(!!x.task)) || (y.count - x.count) || x.objective.localeCompare(y.objective);
  const objective = state.objective || (pairs.some(p => p.objective === 'accuracy') ? 'accuracy' : [...pairs].sort(byCount)[0]?.objective ?? 'accuracy');
  const task = state.task || [...pairs].filter(p => p.objective === objective).sort(byCount)[0]?.task || '';
  return {objective, task};
}

function objectiveOptions(objectives) {
  return [['', 'automatic'], ...objectives.map(o => [o, o])];
}

function taskOptions(tasks) {
  return [['', 'All tasks'], ...[...tasks].sort().map(t => [t, t])];
}
