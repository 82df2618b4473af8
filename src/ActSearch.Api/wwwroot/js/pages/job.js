// #/jobs/{id} — one job: live progress (server-sent events), the rejection funnel, the Pareto front by generation, and
// the held-out evaluation `actsearch report` saved with the job.
import {h, replace, select, labelled, errorBox, activationHref} from '../dom.js';
import {api, ApiError} from '../api.js';
import {num, time, duration, progress, budgetText, objectiveValue, isMaximized, FINAL_STATES} from '../format.js';
import {stateBadge, progressBar} from '../widgets.js';
import {scatterPlot} from '../charts.js';
import {bestList} from './jobs.js';

const POLL_MS = 2000;

/** What each stage of the rejection chain checks (DESIGN.md, "rejection chain"). */
const STAGES = {
  static: 'graph limits: size, depth, parameters',
  numeric: 'NaN or infinite, constant or exploding outputs on probe inputs',
  duplicate: 'the same function as an earlier candidate (fingerprint)',
  stability: 'gradient norm at initialization too large',
  quality: 'too weak after a short training run',
  trained: 'full training of the survivors on the proxy tasks',
};

export async function jobPage(ctx, id) {
  ctx.setTitle('Job');
  let job;
  try {
    job = await api.job(id, {signal: ctx.signal});
  } catch (e) {
    if (e?.name === 'AbortError') return;
    ctx.main.append(h('h1', {tabindex: -1}, e instanceof ApiError && e.status === 404 ? 'Job not found' : 'Job'), errorBox(e),
      h('p', {}, h('a', {href: '#/jobs'}, '← All jobs')));
    return;
  }

  const title = h('h1', {tabindex: -1, id: 'job-name'});
  const badge = h('span', {id: 'job-state-badge', role: 'status'});
  const live = h('span', {id: 'job-live', class: 'live'});
  const cancelButton = h('button', {type: 'button', class: 'danger', onclick: cancel}, 'Cancel job');
  const actionStatus = h('div', {id: 'job-action-status'});
  const summary = h('div', {id: 'job-summary'});
  const best = h('div', {id: 'job-best'});
  const funnelBody = h('div', {id: 'job-funnel'}, h('p', {class: 'muted'}, 'Loading…'));
  const frontControls = h('div', {class: 'toolbar front-controls'});
  const frontPlot = h('div', {id: 'front-plot', class: 'plot'});
  const frontTable = h('div', {id: 'front-members', class: 'table-wrap'});
  const heldOutBody = h('div', {id: 'job-heldout'}, h('p', {class: 'muted'}, 'Loading…'));
  const surrogateCard = h('section', {class: 'card', 'aria-labelledby': 'surrogate-h', id: 'job-surrogate', hidden: true});

  ctx.main.append(
    h('p', {class: 'crumbs'}, h('a', {href: '#/jobs'}, '← All jobs')),
    h('div', {class: 'page-head'}, h('div', {class: 'title-row'}, title, badge, live), cancelButton),
    actionStatus,
    h('div', {class: 'grid two'},
      h('section', {class: 'card', 'aria-labelledby': 'progress-h'}, h('h2', {id: 'progress-h'}, 'Progress'), summary,
        h('h3', {}, 'Best so far'), best),
      h('section', {class: 'card', 'aria-labelledby': 'funnel-h'}, h('h2', {id: 'funnel-h'}, 'Rejection funnel'),
        h('p', {class: 'muted small'}, 'How many candidates each stage of the rejection chain removed, and the time it took.'),
        funnelBody)),
    h('section', {class: 'card', 'aria-labelledby': 'front-h'},
      h('h2', {id: 'front-h'}, 'Pareto front'), frontControls,
      h('div', {class: 'grid front-grid'}, frontPlot, frontTable)),
    h('section', {class: 'card', 'aria-labelledby': 'heldout-h'},
      h('h2', {id: 'heldout-h'}, 'Held-out evaluation'),
      h('p', {class: 'muted small'}, 'The best functions and the baselines re-trained on tasks the search did not use, each found function tested against the best baseline per task (Welch\'s t-test).'),
      heldOutBody),
    surrogateCard);

  // ---- summary -------------------------------------------------------------------------------------------
  function renderJob() {
    title.textContent = job.name || job.id;
    ctx.setTitle(`${job.name || job.id} · ${job.state}`);
    if (badge.textContent !== job.state) {  // a live region: speak only when the state changes
      replace(badge, stateBadge(job.state));
      badge.querySelector('.badge').id = 'job-state';
    }
    cancelButton.hidden = FINAL_STATES.has(job.state);
    const counts = [
      ['Generation', job.generation], ['Scored', job.scored], ['Evaluated', job.evaluated], ['Rejected', job.rejected],
      ['Failed', job.failed], ['Cancelled', job.cancelled], ['Cache hits', job.cacheHits], ['In flight', job.inFlight],
    ];
    const facts = [
      ['Job id', job.id], ['Search space', job.space], ['Owner', job.owner || '—'], ['Seed', job.seed],
      ['Budget', budgetText(job)], ['Objectives', (job.objectives ?? []).join(', ')],
      ['Created', time(job.createdAt)], ['Started', time(job.startedAt)], ['Finished', time(job.finishedAt)],
      ['Running time', duration(job.runningTime)],
    ];
    replace(summary,
      progressBar(progress(job), 'Job progress'),
      h('p', {class: 'small muted'}, `${num(job.scored)} of ${job.budgetEvaluations ? num(job.budgetEvaluations) : '—'} candidates scored`),
      job.error ? h('div', {class: 'error', role: 'alert', id: 'job-error'}, h('strong', {}, 'The job failed: '), job.error) : null,
      h('dl', {class: 'counts'}, counts.map(([k, v]) => h('div', {}, h('dt', {}, k), h('dd', {'data-count': k.toLowerCase().replace(' ', '-')}, num(v))))),
      h('dl', {class: 'facts'}, facts.map(([k, v]) => h('div', {}, h('dt', {}, k), h('dd', {}, v)))));
    replace(best, bestList(job));
  }

  function setLive(mode) {
    const text = {live: '● live', reconnecting: '○ reconnecting…', polling: '● updating every 2 s', final: ''}[mode];
    live.textContent = text;
    live.className = `live ${mode}`;
  }

  async function cancel() {
    cancelButton.disabled = true;
    try {
      onJob(await api.cancelJob(id, {signal: ctx.signal}));
      replace(actionStatus);
    } catch (e) {
      if (e?.name === 'AbortError') return;
      if (e instanceof ApiError && e.status === 401) e.detail = `${e.detail ? e.detail + ' ' : ''}Set an API token (button "API token" at the top) to cancel jobs.`;
      replace(actionStatus, errorBox(e));
    } finally {
      cancelButton.disabled = false;
    }
  }

  // ---- funnel --------------------------------------------------------------------------------------------
  let funnelBusy = false;
  async function refreshFunnel() {
    if (funnelBusy) return;
    funnelBusy = true;
    try {
      renderFunnel(await api.funnel(id, {signal: ctx.signal}));
    } catch (e) {
      if (e?.name !== 'AbortError') replace(funnelBody, errorBox(e));
    } finally {
      funnelBusy = false;
    }
  }

  function renderFunnel(funnel) {
    // Candidates flow down the chain; duplicates of a function already scored are answered from the cache (their
    // scores are reused, nothing is trained), the rest reach full training. "Left" is what goes on to the next row.
    let remaining = funnel.proposed;
    const proposed = Math.max(1, funnel.proposed);
    const barCell = left => {
      const bar = h('div', {class: 'bar'});
      bar.style.width = `${Math.max(0, (left / proposed) * 100)}%`;
      return h('td', {class: 'bar-cell', 'aria-hidden': 'true'}, bar);
    };
    const rows = [];
    for (const stage of funnel.stages) {
      if (stage.stage === 'trained' && funnel.cacheHits) {
        remaining -= funnel.cacheHits;
        rows.push(h('tr', {'data-row': 'cache', class: 'reused'},
          h('th', {scope: 'row'}, 'answered from the cache', h('div', {class: 'muted small'}, 'the same function as one already scored: scores reused, no training')),
          h('td', {class: 'num'}, num(funnel.cacheHits)), h('td', {class: 'num'}, num(Math.max(0, remaining))), barCell(remaining), h('td', {})));
      }
      const unfinished = (funnel.failed ?? 0) + (funnel.cancelled ?? 0);
      if (stage.stage === 'trained' && unfinished) {
        remaining -= unfinished;
        rows.push(h('tr', {'data-row': 'unfinished', class: 'reused'},
          h('th', {scope: 'row'}, 'failed or cancelled', h('div', {class: 'muted small'}, 'training stopped by an error, or the job was cancelled first')),
          h('td', {class: 'num'}, num(unfinished)), h('td', {class: 'num'}, num(Math.max(0, remaining))), barCell(remaining), h('td', {})));
      }
      remaining -= stage.removed;
      rows.push(h('tr', {'data-stage': stage.stage},
        h('th', {scope: 'row', title: STAGES[stage.stage] ?? ''}, stage.stage,
          STAGES[stage.stage] ? h('div', {class: 'muted small'}, STAGES[stage.stage]) : null),
        h('td', {class: 'num removed'}, num(stage.removed)),
        h('td', {class: 'num'}, num(Math.max(0, remaining))),
        barCell(remaining),
        h('td', {class: 'num'}, duration(stage.seconds))));
    }
    const outcome = [`evaluated: ${num(funnel.evaluated ?? job.evaluated)}`, `failed: ${num(funnel.failed)}`];
    if (funnel.cancelled) outcome.push(`cancelled: ${num(funnel.cancelled)}`);
    outcome.push(`cache hits: ${num(funnel.cacheHits)}`);
    replace(funnelBody,
      h('table', {class: 'data funnel'},
        h('caption', {class: 'visually-hidden'}, 'Rejection funnel'),
        h('thead', {}, h('tr', {}, ['Stage', 'Removed', 'Left', '', 'Time'].map(t => h('th', {scope: 'col'}, t)))),
        h('tbody', {},
          h('tr', {class: 'proposed'}, h('th', {scope: 'row'}, 'proposed'), h('td', {}), h('td', {class: 'num'}, num(funnel.proposed)),
            barCell(funnel.proposed), h('td', {})),
          rows)),
      h('p', {class: 'small', id: 'funnel-outcome'}, outcome.join(' · ')),
      rungTable(funnel.rungs ?? []));
  }

  // Fidelity rungs (a space with `fidelity:`): every candidate starts at the lowest; the top 1/eta of a rung is trained
  // again at the next. The funnel above is the lowest rung's.
  function rungTable(rungs) {
    if (rungs.length === 0) return null;
    return h('table', {class: 'data rungs', id: 'funnel-rungs'},
      h('caption', {}, 'Fidelity rungs: the top of each rung is promoted to the next; the front is the highest rung\'s'),
      h('thead', {}, h('tr', {}, ['Rung', 'Training', 'Scored', 'Evaluated', 'Promoted', 'Time'].map(t => h('th', {scope: 'col'}, t)))),
      h('tbody', {}, rungs.map((r, i) => h('tr', {'data-rung': String(r.rung)},
        h('th', {scope: 'row'}, String(r.rung)),
        h('td', {}, r.training ?? ''),
        h('td', {class: 'num'}, num(r.scored)),
        h('td', {class: 'num'}, num(r.evaluated)),
        h('td', {class: 'num'}, i === rungs.length - 1 ? '' : num(r.promoted)),
        h('td', {class: 'num'}, r.seconds == null ? '' : duration(r.seconds))))));
  }

  // ---- held-out evaluation -------------------------------------------------------------------------------
  async function loadHeldOut() {
    let ho;
    try {
      ho = await api.heldOut(id, {signal: ctx.signal});  // null (204): no evaluation saved yet
    } catch (e) {
      if (e?.name !== 'AbortError') replace(heldOutBody, errorBox(e));
      return;
    }
    if (ho) renderHeldOut(ho);
    else replace(heldOutBody, h('p', {class: 'empty', id: 'heldout-none'}, 'No held-out evaluation yet. Run ',
      h('code', {}, `actsearch report ${id} --protocol evidence`), ' against this database to add one.'));
  }

  // ---- surrogate ---------------------------------------------------------------------------------------------
  async function loadSurrogate() {
    let sur;
    try {
      sur = await api.surrogate(id, {signal: ctx.signal});  // null (204): no surrogate, or nothing ranked yet
    } catch (e) {
      if (e?.name !== 'AbortError') { surrogateCard.hidden = false; replace(surrogateCard, errorBox(e)); }
      return;
    }
    if (!sur) return;
    const pairs = sur.points.filter(p => p.trained && p.measured != null);
    surrogateCard.hidden = false;
    replace(surrogateCard,
      h('h2', {id: 'surrogate-h'}, 'Surrogate: predicted against measured'),
      h('p', {class: 'small', id: 'surrogate-facts'},
        `${sur.objective} · ${sur.ranked} children ranked · ${sur.trained} trained, ${sur.ranked - sur.trained} screened out · `,
        h('strong', {}, sur.spearman == null ? 'rank correlation: too few measured' : `Spearman's rho ${sur.spearman.toFixed(3)}`),
        ` over ${sur.measured} trained children with a measured value`),
      pairs.length === 0 ? h('p', {class: 'empty'}, 'No trained child has a measured value yet.')
        : h('div', {class: 'plot', id: 'surrogate-plot'}, scatterPlot({
          points: pairs.map(p => ({x: p.predicted, y: p.measured, label: `candidate ${p.candidateId}: predicted ${num(p.predicted)} ± ${num(p.stdDev)}, measured ${num(p.measured)}`})),
          xLabel: `predicted ${sur.objective}`, yLabel: `measured ${sur.objective}`, frontLine: false,
          title: `Predicted against measured ${sur.objective} for the trained children`})));
  }

  function renderHeldOut(ho) {
    const rate = r => (r.learningRate == null ? 'task\'s' : num(r.learningRate));
    const mean = (t, r) => (t.metric === 'accuracy' ? `${(r.mean * 100).toFixed(2)} ± ${(r.std * 100).toFixed(2)}%` : `${num(r.mean)} ± ${num(r.std)}`);
    const interval = (t, r) => (r.halfWidth95 == null ? '' : t.metric === 'accuracy' ? `± ${(r.halfWidth95 * 100).toFixed(2)}%` : `± ${num(r.halfWidth95)}`);
    const p = v => (v == null ? '' : v < 1e-4 ? '< 0.0001' : String(Number(v.toPrecision(3))));
    replace(heldOutBody,
      h('p', {class: 'small', id: 'heldout-facts'},
        `${ho.protocol} protocol · seeds 1..${ho.seeds}${ho.steps ? ` · ${ho.steps} steps per run` : ''} · ${ho.device} · significant when p < ${ho.alpha} · saved ${time(ho.evaluatedAt)}`),
      (ho.notes ?? []).map(n => h('p', {class: 'small heldout-note'}, n)),
      ho.transfer.length === 0 ? null : h('table', {class: 'data', id: 'heldout-transfer'},
        h('caption', {}, 'Transfer across held-out tasks: a function transfers when it is significantly better on two tasks or more and worse on none'),
        h('thead', {}, h('tr', {}, ['Function', 'Wins', 'Ties', 'Losses', 'Verdict'].map(t => h('th', {scope: 'col'}, t)))),
        h('tbody', {}, ho.transfer.map(t => h('tr', {'data-function': t.function, class: t.transfers ? 'good' : t.losses > 0 ? 'bad' : ''},
          h('th', {scope: 'row'}, t.function), h('td', {class: 'num'}, num(t.wins)), h('td', {class: 'num'}, num(t.ties)),
          h('td', {class: 'num'}, num(t.losses)), h('td', {}, t.verdict))))),
      ho.tasks.map(t => h('div', {class: 'table-wrap heldout-task', 'data-task': t.task},
        h('h3', {}, t.task),
        t.verdict ? h('p', {class: 'small'}, t.verdict) : null,
        h('table', {class: 'data'},
          h('caption', {class: 'visually-hidden'}, `Held-out results on ${t.task}`),
          h('thead', {}, h('tr', {}, ['Function', 'Kind', t.metric === 'accuracy' ? 'Accuracy (mean ± std)' : 'Loss (mean ± std)', '95% CI',
            'Seeds', 'Rate', 'vs best baseline', 'p', 'Verdict', 'Params', 'FLOPs', 'Formula'].map(c => h('th', {scope: 'col', title: c === 'Params'
              ? 'learnable numbers per slot' : c === 'FLOPs' ? 'nominal operations per element' : null}, c)))),
          h('tbody', {}, t.rows.map(r => h('tr', {'data-function': r.function},
            h('th', {scope: 'row'}, r.function),
            h('td', {}, r.baseline ? (r.function === t.bestBaseline ? 'baseline (best)' : 'baseline') : 'found'),
            h('td', {class: 'num'}, mean(t, r)), h('td', {class: 'num'}, interval(t, r)), h('td', {class: 'num'}, num(r.seeds)),
            h('td', {class: 'num'}, rate(r)),
            h('td', {class: 'num'}, r.difference == null ? '' : t.metric === 'accuracy' ? `${(r.difference * 100).toFixed(2)} points` : num(-r.difference)),
            h('td', {class: 'num'}, p(r.p)), h('td', {}, r.verdict ?? ''),
            h('td', {class: 'num'}, r.parameters == null ? '' : num(r.parameters)), h('td', {class: 'num'}, r.flops == null ? '' : num(r.flops)),
            h('td', {}, h('code', {class: 'formula'}, r.formula)))))))));
  }

  // ---- front ---------------------------------------------------------------------------------------------
  const front = {choice: 'latest', x: null, y: null, data: null, busy: false, again: false};
  const xSelect = select({id: 'front-x', onchange: () => { front.x = xSelect.value; renderFront(); }}, []);
  const ySelect = select({id: 'front-y', onchange: () => { front.y = ySelect.value; renderFront(); }}, []);
  const genSelect = select({id: 'front-generation', onchange: () => { front.choice = genSelect.value; loadFront(); }}, []);
  const genSlider = h('input', {type: 'range', id: 'front-generation-slider', min: 0, max: 0, step: 1, value: 0, 'aria-label': 'Generation (slider)',
    oninput: () => {
      const gens = front.data?.generations ?? [];
      const g = gens[Number(genSlider.value)];
      if (g === undefined) return;
      front.choice = Number(genSlider.value) === gens.length - 1 ? 'latest' : String(g);
      loadFront();
    }});
  replace(frontControls, labelled('x axis', xSelect), labelled('y axis', ySelect), labelled('Generation', genSelect),
    h('div', {class: 'field slider'}, genSlider));

  async function loadFront() {
    if (front.busy) { front.again = true; return; }
    front.busy = true;
    try {
      do {
        front.again = false;
        const generation = front.choice === 'latest' ? undefined : front.choice;
        front.data = await api.front(id, generation, {signal: ctx.signal});
      } while (front.again);
      renderFront();
    } catch (e) {
      if (e?.name !== 'AbortError') replace(frontPlot, errorBox(e));
    } finally {
      front.busy = false;
    }
  }

  function renderFront() {
    const data = front.data;
    if (!data) return;
    const axes = [...data.objectives, 'generation'];
    if (!axes.includes(front.x)) front.x = data.objectives.length > 1 ? data.objectives[data.objectives.length - 1] : 'generation';
    if (!axes.includes(front.y)) front.y = data.objectives[0] ?? 'generation';
    fillSelect(xSelect, axes.map(a => [a, a]), front.x);
    fillSelect(ySelect, axes.map(a => [a, a]), front.y);
    const gens = data.generations ?? [];
    fillSelect(genSelect, [['latest', `latest${gens.length ? ` (${gens[gens.length - 1]})` : ''}`], ...gens.map(g => [String(g), String(g)])], front.choice);
    genSlider.max = String(Math.max(0, gens.length - 1));
    const index = front.choice === 'latest' ? gens.length - 1 : gens.indexOf(Number(front.choice));
    genSlider.value = String(Math.max(0, index));
    genSlider.disabled = gens.length < 2;
    genSlider.setAttribute('aria-valuetext', `generation ${data.generation}`);

    const value = (m, axis) => (axis === 'generation' ? m.generation : objectiveValue(m, data.objectives, axis));
    const members = data.members ?? [];
    if (members.length === 0) {
      replace(frontPlot, h('p', {class: 'empty'}, gens.length ? `No front members in generation ${data.generation}.` : 'No generation has finished yet.'));
      replace(frontTable);
      return;
    }
    const points = members.map(m => ({
      x: value(m, front.x), y: value(m, front.y), href: activationHref(m.activationId),
      label: `${m.formula} — ${data.objectives.map((o, i) => `${o} ${num(m.objectives[i])}`).join(', ')}`,
    }));
    const missing = points.filter(p => !Number.isFinite(p.x) || !Number.isFinite(p.y)).length;
    const maximized = a => isMaximized(a, data.objectives, data.directions);
    const axisLabel = a => (a === 'generation' ? 'generation found' : `${a} (${maximized(a) ? 'higher' : 'lower'} is better)`);
    replace(frontPlot,
      scatterPlot({points, xLabel: axisLabel(front.x), yLabel: axisLabel(front.y),
        xMax: front.x === 'generation' ? false : maximized(front.x), yMax: front.y === 'generation' ? false : maximized(front.y),
        title: `Pareto front after generation ${data.generation}: ${front.y} against ${front.x}`}),
      h('p', {class: 'small muted'}, `Generation ${data.generation} · ${members.length} ${members.length === 1 ? 'member' : 'members'}`,
        missing ? ` · ${missing} without a value on these axes (not drawn)` : '',
        ' · filled points: best on the two axes shown; click a point to open its activation.'));
    const sorted = [...members].sort((a, b) => (value(a, front.x) ?? Infinity) - (value(b, front.x) ?? Infinity));
    replace(frontTable, h('table', {class: 'data front-table'},
      h('caption', {class: 'visually-hidden'}, `Front members after generation ${data.generation}`),
      h('thead', {}, h('tr', {}, h('th', {scope: 'col'}, 'Formula'), h('th', {scope: 'col'}, 'Gen.'),
        data.objectives.map(o => h('th', {scope: 'col', class: 'num'}, o)))),
      h('tbody', {}, sorted.map(m => h('tr', {'data-activation-id': m.activationId},
        h('td', {}, h('a', {href: activationHref(m.activationId), class: 'formula'}, m.formula)),
        h('td', {class: 'num'}, num(m.generation)),
        data.objectives.map((o, i) => h('td', {class: 'num'}, num(m.objectives[i]))))))));
  }

  // ---- live updates --------------------------------------------------------------------------------------
  let lastGeneration = job.generation, lastScored = job.scored, finished = false, source = null, polling = false;

  function onJob(next) {
    job = next;
    renderJob();
    if (job.scored !== lastScored) { lastScored = job.scored; refreshFunnel(); }
    if (job.generation !== lastGeneration) { lastGeneration = job.generation; loadFront(); }
    if (FINAL_STATES.has(job.state)) finish();
  }

  function finish() {
    if (finished) return;
    finished = true;
    source?.close();
    setLive('final');
    // The stream may end before this page saw the final Job (a reconnect, a missed event): read it once more.
    api.job(id, {signal: ctx.signal}).then(j => { job = j; renderJob(); }, () => {});
    refreshFunnel();
    loadFront();
  }

  function startPolling() {
    if (polling || finished) return;
    polling = true;
    setLive('polling');
    ctx.every(POLL_MS, async () => {
      if (finished) return;
      let next;
      try { next = await api.job(id, {signal: ctx.signal}); } catch { return; /* the next tick tries again */ }
      onJob(next);
    });
  }

  renderJob();
  refreshFunnel();
  loadFront();
  loadHeldOut();
  loadSurrogate();
  if (FINAL_STATES.has(job.state)) {
    finished = true;
    setLive('final');
    return;
  }
  if (typeof EventSource === 'undefined') { startPolling(); return; }
  source = new EventSource(api.eventsUrl(id));
  ctx.onCleanup(() => source.close());
  source.addEventListener('open', () => { if (!finished) setLive('live'); });
  source.addEventListener('job', ev => {
    let next;
    try { next = JSON.parse(ev.data); } catch { return; /* a malformed event: the next one replaces it */ }
    onJob(next);
  });
  source.addEventListener('end', () => finish());
  source.addEventListener('error', () => {
    if (finished) return;
    // CLOSED: the server refused the stream (a token is required, or no stream support): poll instead.
    if (source.readyState === EventSource.CLOSED) startPolling();
    else setLive('reconnecting');
  });
}

function fillSelect(el, options, selected) {
  const same = el.options.length === options.length && options.every(([v, l], i) => el.options[i].value === v && el.options[i].text === l);
  if (!same) {
    el.replaceChildren(...options.map(([v, l]) => h('option', {value: v}, l)));
  }
  el.value = String(selected);
}
