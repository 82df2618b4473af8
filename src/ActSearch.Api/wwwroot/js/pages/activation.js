// #/activations/{id} — one function: its formula typeset, f and f' plotted, scores per proxy task, the jobs that
// found it, what a surrogate sees of it (probe features, Fisher spectra), and code to use it (PyTorch, TorchSharp, LaTeX, SymPy).
import {h, errorBox, jobHref} from '../dom.js';
import {api, ApiError} from '../api.js';
import {num, time} from '../format.js';
import {codeBlock} from '../widgets.js';
import {linePlot} from '../charts.js';

const EXPORTS = [['pytorch', 'PyTorch', 'python'], ['torchsharp', 'TorchSharp', 'csharp'], ['latex', 'LaTeX', 'latex'], ['sympy', 'SymPy', 'python']];

export async function activationPage(ctx, id) {
  ctx.setTitle('Activation');
  let a;
  try {
    a = await api.activation(id, {signal: ctx.signal});
  } catch (e) {
    if (e?.name === 'AbortError') return;
    ctx.main.append(h('h1', {tabindex: -1}, e instanceof ApiError && e.status === 404 ? 'Activation not found' : 'Activation'), errorBox(e),
      h('p', {}, h('a', {href: '#/activations'}, '← The catalog')));
    return;
  }
  ctx.setTitle(a.formula);

  const facts = [
    ['Fingerprint', a.id], ['Kind', a.isLayer ? 'layer (batch or group statistics)' : 'scalar activation'],
    ['Nodes', num(a.nodes)], ['Complexity', num(a.complexity)],
    ['Parameters', a.parameters?.length ? a.parameters.join(', ') : 'none'],
    ...(a.learnedUnits ?? []).map(u => [`Learned unit ${u.name}`,
      `${u.description}; ${num(u.parameters)} learnable numbers, ${num(u.flops)} FLOPs per element`
      + (u.fitError == null ? '' : `; fit to ${u.init}: RMS error ${num(u.fitError)} on [${u.fitInterval.join(', ')}]`)]),
    ['Times seen', num(a.timesSeen)], ['First seen', time(a.firstSeen)], ['Last seen', time(a.lastSeen)],
  ];

  ctx.main.append(
    h('p', {class: 'crumbs'}, h('a', {href: '#/activations'}, '← The catalog')),
    h('div', {class: 'page-head'}, h('h1', {tabindex: -1, class: 'formula-title'}, h('code', {id: 'activation-formula'}, a.formula))),
    h('div', {class: 'grid two'},
      h('section', {class: 'card', 'aria-labelledby': 'math-h'},
        h('h2', {id: 'math-h'}, 'Formula'), typeset(a.latex, a.formula),
        h('dl', {class: 'facts'}, facts.map(([k, v]) => h('div', {}, h('dt', {}, k), h('dd', {}, v))))),
      h('section', {class: 'card', 'aria-labelledby': 'plot-h'},
        h('h2', {id: 'plot-h'}, 'f(x) and f′(x)'), curvePlot(a))),
    h('div', {class: 'grid two'},
      h('section', {class: 'card', 'aria-labelledby': 'scores-h'}, h('h2', {id: 'scores-h'}, 'Scores per proxy task'), scoresTable(a)),
      h('section', {class: 'card', 'aria-labelledby': 'jobs-h'}, h('h2', {id: 'jobs-h'}, 'Found by'), jobsList(a))),
    featuresCard(a),
    h('section', {class: 'card', 'aria-labelledby': 'export-h', id: 'exports'},
      h('h2', {id: 'export-h'}, 'Export'),
      h('div', {class: 'grid two'}, EXPORTS.map(([key, label, language]) =>
        a.exports?.[key] !== undefined && a.exports?.[key] !== null ? codeBlock(label, a.exports[key], language) : null))));
}

/**
 * The formula as typeset math with KaTeX (vendored; untrusted input is safe with trust: false), or, if KaTeX
 * did not load or cannot parse it, the LaTeX source in a code block beside the plain formula.
 */
function typeset(latex, formula) {
  const box = h('div', {class: 'math', id: 'activation-math'});
  const katex = window.katex;
  if (latex && katex) {
    try {
      katex.render(latex, box, {displayMode: true, throwOnError: true, trust: false, strict: 'ignore', maxSize: 20, maxExpand: 200, output: 'htmlAndMathml'});
      return box;
    } catch {
      box.replaceChildren();
    }
  }
  box.classList.add('fallback');
  box.append(h('p', {}, h('code', {class: 'mono'}, formula)));
  if (latex) box.append(h('p', {class: 'small muted'}, 'LaTeX: ', h('code', {class: 'latex-source'}, latex)));
  return box;
}

function curvePlot(a) {
  if (!Array.isArray(a.curve) || a.curve.length < 2) {
    return h('p', {class: 'empty'}, 'A layer with batch or group statistics has no scalar curve: it depends on the whole batch.');
  }
  const series = [{points: a.curve, label: 'f(x)', className: 'curve-f'}];
  if (Array.isArray(a.derivative) && a.derivative.length > 1) series.push({points: a.derivative, label: 'f′(x)', className: 'curve-df'});
  return h('figure', {class: 'plot', id: 'activation-plot'},
    linePlot({series, xLabel: 'x', title: `f(x) = ${a.formula} and its derivative on [-5, 5]`}),
    h('figcaption', {class: 'small muted'}, 'Missing stretches: the value is not finite there. ',
      h('a', {href: api.plotUrl(a.id), download: `${a.id}.svg`}, 'Download as SVG')));
}

function scoresTable(a) {
  const scores = a.scores ?? [];
  if (scores.length === 0) return h('p', {class: 'empty'}, 'No scores: no proxy task trained this function to the end.');
  const sorted = [...scores].sort((x, y) => (x.task ?? '').localeCompare(y.task ?? '') || x.objective.localeCompare(y.objective));
  return h('table', {class: 'data scores'},
    h('caption', {class: 'visually-hidden'}, 'Scores per proxy task'),
    h('thead', {}, h('tr', {}, ['Task', 'Objective', 'Value', 'Goal', 'Job'].map(t => h('th', {scope: 'col'}, t)))),
    h('tbody', {}, sorted.map(sc => h('tr', {},
      h('td', {}, sc.task ?? '—'), h('td', {}, sc.objective), h('td', {class: 'num'}, num(sc.value)), h('td', {}, sc.goal),
      h('td', {}, sc.jobId ? h('a', {href: jobHref(sc.jobId)}, jobName(a, sc.jobId), sc.candidateId !== undefined && sc.candidateId !== null ? ` #${sc.candidateId}` : '') : '—')))));
}

function jobName(a, jobId) {
  return a.jobs?.find(j => j.jobId === jobId)?.name || String(jobId).slice(0, 8);
}

function jobsList(a) {
  const jobs = a.jobs ?? [];
  if (jobs.length === 0) return h('p', {class: 'empty'}, 'No job is recorded for this function.');
  return h('ul', {class: 'job-list'}, jobs.map(j => h('li', {},
    h('a', {href: jobHref(j.jobId)}, j.name || j.jobId), h('span', {class: 'muted small'}, ` candidate #${j.candidateId}`))));
}

const SERIES_CLASSES = ['curve-f', 'curve-df', 'curve-g', 'curve-h'];

/**
 * What a surrogate sees of the function before training it: the probe features (f and f' at the probe points, through
 * asinh) and, when a job's surrogate measured it, the Fisher spectrum of each task's network at initialization.
 */
function featuresCard(a) {
  const f = a.features;
  if (!f) return null;
  const probe = Array.isArray(f.probePoints)
    ? linePlot({series: [
        {points: f.probePoints.map((x, i) => [x, f.probeValues[i]]), label: 'asinh f(x)', className: 'curve-f'},
        {points: f.probePoints.map((x, i) => [x, f.probeSlopes[i]]), label: 'asinh f′(x)', className: 'curve-df'}],
      xLabel: 'x', title: `The probe features of ${a.formula}: f and f′ at ${f.probePoints.length} points, through asinh`})
    : linePlot({series: [{points: f.probeValues.map((v, i) => [i, v]), label: 'asinh of the layer\'s output', className: 'curve-f'}],
      xLabel: 'probe position', title: `The probe features of ${a.formula}: ${f.probeValues.length} positions of the layer probe, through asinh`});
  const fisher = (f.kept ?? []).filter(k => k.kind === 'fisher');
  const spectrum = fisher.length === 0
    ? h('p', {class: 'empty', id: 'fisher-none'}, 'No Fisher spectrum is stored for this function: it is computed for the children a job\'s surrogate ranks with features: fisher or both.')
    : h('figure', {class: 'plot', id: 'fisher-spectrum'},
        linePlot({series: fisher.map((k, i) => ({points: k.values.map((v, r) => [r + 1, v]), label: `${k.task} (v${k.version})`, className: SERIES_CLASSES[i % SERIES_CLASSES.length]})),
          xLabel: 'eigenvalue rank', yLabel: 'log10 eigenvalue', title: `Fisher information spectrum at initialization of ${a.formula}`}),
        h('figcaption', {class: 'small muted'}, fisher.map((k, i) => h('span', {}, i ? '; ' : '',
          `${k.task}: ${k.values.length} largest eigenvalues, ${num(k.seconds * 1000)} ms, ${time(k.computedAt)}`))));
  return h('section', {class: 'card', 'aria-labelledby': 'features-h', id: 'features'},
    h('h2', {id: 'features-h'}, 'What a surrogate sees'),
    h('p', {class: 'small muted'}, 'The features a surrogate predicts scores from before any training (AQuaSurF): the function\'s shape on fixed probe inputs, and the eigenvalues of the task network\'s Fisher information at initialization.'),
    h('div', {class: 'grid two'},
      h('figure', {class: 'plot', id: 'probe-features'}, probe, h('figcaption', {class: 'small muted'}, 'Probe features (asinh keeps small values and compresses large ones).')),
      spectrum));
}
