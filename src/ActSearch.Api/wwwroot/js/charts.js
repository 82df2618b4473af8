// Small SVG charts: a line plot (f and f'), a scatter plot of a Pareto front, and curve thumbnails.
import {s} from './dom.js';
import {num} from './format.js';

let nextId = 0;

/** Round tick values covering [lo, hi]: steps of 1, 2 or 5 times a power of ten. */
export function niceTicks(lo, hi, count = 5) {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map(m => m * power).find(st => st >= raw) ?? 10 * power;
  const ticks = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) ticks.push(Math.abs(t) < step * 1e-9 ? 0 : t);
  return ticks;
}

function extent(values) {
  let lo = Infinity, hi = -Infinity;
  for (const v of values) {
    if (v === null || v === undefined || !Number.isFinite(v)) continue;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (lo === Infinity) return [0, 1];
  if (lo === hi) {  // one value: a window around it at its own scale
    const pad = lo === 0 ? 1 : Math.abs(lo) * 0.5;
    return [lo - pad, hi + pad];
  }
  const pad = (hi - lo) * 0.05;
  return [lo - pad, hi + pad];
}

function scale([d0, d1], [r0, r1]) {
  return v => r0 + ((v - d0) / (d1 - d0)) * (r1 - r0);
}

/** 'M x y L x y ...' through finite points; a missing or infinite value breaks the line. */
export function linePath(points, sx, sy) {
  let d = '', pen = false;
  for (const [x, y] of points) {
    if (y === null || y === undefined || !Number.isFinite(y) || !Number.isFinite(x)) { pen = false; continue; }
    d += `${pen ? 'L' : 'M'}${sx(x).toFixed(2)} ${sy(y).toFixed(2)}`;
    pen = true;
  }
  return d;
}

function axes(g, {sx, sy, xDomain, yDomain, left, right, top, bottom, xLabel, yLabel, width, height}) {
  for (const t of niceTicks(xDomain[0], xDomain[1], 6)) {
    const x = sx(t);
    g.append(
      s('line', {class: t === 0 ? 'grid zero' : 'grid', x1: x, x2: x, y1: top, y2: bottom}),
      s('text', {class: 'tick', x, y: bottom + 16, 'text-anchor': 'middle'}, num(t)));
  }
  for (const t of niceTicks(yDomain[0], yDomain[1], 5)) {
    const y = sy(t);
    g.append(
      s('line', {class: t === 0 ? 'grid zero' : 'grid', x1: left, x2: right, y1: y, y2: y}),
      s('text', {class: 'tick', x: left - 6, y: y + 4, 'text-anchor': 'end'}, num(t)));
  }
  g.append(s('rect', {class: 'frame', x: left, y: top, width: right - left, height: bottom - top}));
  if (xLabel) g.append(s('text', {class: 'axis-label', x: (left + right) / 2, y: height - 6, 'text-anchor': 'middle'}, xLabel));
  if (yLabel) {
    g.append(s('text', {class: 'axis-label', x: 14, y: (top + bottom) / 2, 'text-anchor': 'middle',
      transform: `rotate(-90 14 ${(top + bottom) / 2})`}, yLabel));
  }
  return width;
}

/**
 * Curves y(x) as one SVG: series = [{points: [[x, y], ...], label, className}].
 * The y range covers every finite value; missing values (null) break a curve.
 */
export function linePlot({series, width = 560, height = 340, xLabel = 'x', yLabel = '', title}) {
  const left = 56, right = width - 12, top = 12, bottom = height - 44;
  const xDomain = extent(series.flatMap(se => se.points.map(p => p[0])));
  const yDomain = extent(series.flatMap(se => se.points.map(p => p[1])));
  // Data that spans exactly [a, b] should not be padded on x: the curves are sampled on a fixed interval.
  const xs = series.flatMap(se => se.points.map(p => p[0])).filter(Number.isFinite);
  if (xs.length) { xDomain[0] = Math.min(...xs); xDomain[1] = Math.max(...xs); }
  const sx = scale(xDomain, [left, right]), sy = scale(yDomain, [bottom, top]);
  const clip = `clip-${++nextId}`;
  const svg = s('svg', {class: 'chart line-plot', viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': title ?? yLabel});
  if (title) svg.append(s('title', {}, title));
  svg.append(s('defs', {}, s('clipPath', {id: clip}, s('rect', {x: left, y: top, width: right - left, height: bottom - top}))));
  axes(svg, {sx, sy, xDomain, yDomain, left, right, top, bottom, xLabel, yLabel, width, height});
  const lines = s('g', {'clip-path': `url(#${clip})`});
  for (const se of series) lines.append(s('path', {class: `curve ${se.className ?? ''}`, d: linePath(se.points, sx, sy)}, s('title', {}, se.label)));
  svg.append(lines);
  const legend = s('g', {class: 'legend'});
  series.forEach((se, i) => {
    const y = top + 16 + i * 18;
    legend.append(
      s('line', {class: `curve ${se.className ?? ''}`, x1: left + 10, x2: left + 34, y1: y - 4, y2: y - 4}),
      s('text', {x: left + 40, y}, se.label));
  });
  svg.append(legend);
  return svg;
}

/** Points that no other point beats on both axes, given whether larger is better on each. */
export function nonDominated(points, xMax, yMax) {
  const better = (a, b, max) => (max ? a >= b : a <= b);
  const strictly = (a, b, max) => (max ? a > b : a < b);
  return points.filter(p => !points.some(q => q !== p
    && better(q.x, p.x, xMax) && better(q.y, p.y, yMax)
    && (strictly(q.x, p.x, xMax) || strictly(q.y, p.y, yMax))));
}

/**
 * A scatter plot of front members: points = [{x, y, href, label}]. The points no other point beats on the two
 * chosen axes are joined by a step line (frontLine: false leaves it out, for a scatter that is not a front). Each
 * point is a link (keyboard-focusable) with its label as tooltip.
 */
export function scatterPlot({points, width = 640, height = 380, xLabel, yLabel, xMax = false, yMax = false, title, frontLine = true}) {
  const left = 64, right = width - 16, top = 16, bottom = height - 48;
  const shown = points.filter(p => Number.isFinite(p.x) && Number.isFinite(p.y));
  const xDomain = extent(shown.map(p => p.x)), yDomain = extent(shown.map(p => p.y));
  const sx = scale(xDomain, [left, right]), sy = scale(yDomain, [bottom, top]);
  const svg = s('svg', {class: 'chart scatter-plot', viewBox: `0 0 ${width} ${height}`, role: 'group', 'aria-label': title ?? `${yLabel} against ${xLabel}`});
  if (title) svg.append(s('title', {}, title));
  axes(svg, {sx, sy, xDomain, yDomain, left, right, top, bottom, xLabel, yLabel, width, height});

  const best = frontLine ? nonDominated(shown, xMax, yMax).sort((a, b) => a.x - b.x) : [];
  if (best.length > 1) {
    // Step line through the best points: the boundary of what they dominate (the attainment surface).
    let d = `M${sx(best[0].x).toFixed(2)} ${sy(best[0].y).toFixed(2)}`;
    // Same direction on both axes: y falls as x grows, so the corner is (previous x, this y); else (this x, previous y).
    for (let i = 1; i < best.length; i++) {
      const [cx, cy] = xMax === yMax ? [best[i - 1].x, best[i].y] : [best[i].x, best[i - 1].y];
      d += `L${sx(cx).toFixed(2)} ${sy(cy).toFixed(2)}L${sx(best[i].x).toFixed(2)} ${sy(best[i].y).toFixed(2)}`;
    }
    svg.append(s('path', {class: 'front-line', d}));
  }
  const bestSet = new Set(best);
  const dots = s('g', {class: 'points'});
  for (const p of shown) {
    const dot = s('circle', {class: bestSet.has(p) ? 'point best' : 'point', cx: sx(p.x).toFixed(2), cy: sy(p.y).toFixed(2), r: 6});
    dot.append(s('title', {}, p.label));
    dots.append(p.href ? s('a', {href: p.href, class: 'point-link', 'aria-label': p.label}, dot) : dot);
  }
  svg.append(dots);
  return svg;
}

/** A tiny picture of a curve ([[x, y], ...], or null for layers) for tables. */
export function thumbnail(curve, width = 96, height = 32) {
  const svg = s('svg', {class: 'thumb', viewBox: `0 0 ${width} ${height}`, width, height, 'aria-hidden': 'true'});
  if (!Array.isArray(curve) || curve.length < 2) {
    svg.append(s('text', {x: width / 2, y: height / 2 + 4, 'text-anchor': 'middle', class: 'thumb-none'}, 'layer'));
    return svg;
  }
  const [x0, x1] = extent(curve.map(p => p[0]));
  let [y0, y1] = extent(curve.map(p => p[1]));
  // Steep curves (exp, x^3) would flatten everything else: keep a readable window.
  y0 = Math.max(y0, -10); y1 = Math.min(y1, 10);
  if (!(y1 > y0)) { y0 -= 1; y1 += 1; }
  const sx = scale([x0, x1], [2, width - 2]), sy = scale([y0, y1], [height - 2, 2]);
  const clipped = curve.map(([x, y]) => [x, y === null ? null : Math.max(y0, Math.min(y1, y))]);
  if (y0 < 0 && y1 > 0) svg.append(s('line', {class: 'thumb-axis', x1: 0, x2: width, y1: sy(0), y2: sy(0)}));
  svg.append(s('path', {class: 'thumb-curve', d: linePath(clipped, sx, sy)}));
  return svg;
}
