// How numbers, times and objectives read on screen.

export const FINAL_STATES = new Set(['finished', 'failed', 'cancelled']);
export const JOB_STATES = ['queued', 'running', 'paused', 'finished', 'failed', 'cancelled'];

/**
 * Whether larger is better for an objective such as 'accuracy@fmnist-cnn', read from the directions the server stored
 * with the job or front (`objectives` and `directions` side by side, as the API sends them).
 */
export function isMaximized(objective, objectives, directions) {
  const i = (objectives ?? []).indexOf(objective);
  return i >= 0 && (directions ?? [])[i] === 'maximize';
}

/** 4 significant digits, integers as they are, null (NaN or infinite on the server) as a dash. */
export function num(value) {
  if (value === null || value === undefined || Number.isNaN(value)) return '—';
  if (Number.isInteger(value)) return value.toLocaleString('en-US');
  const abs = Math.abs(value);
  if (abs !== 0 && (abs < 1e-3 || abs >= 1e6)) return value.toExponential(3);
  return String(Number(value.toPrecision(4)));
}

/** Seconds as '0.8 ms', '3.2 s', '13 min 32 s' or '2 h 5 min'. */
export function duration(seconds) {
  if (seconds === null || seconds === undefined) return '—';
  if (seconds < 1) return `${Number((seconds * 1000).toPrecision(2))} ms`;
  if (seconds < 60) return `${Number(seconds.toPrecision(3))} s`;
  const m = Math.floor(seconds / 60);
  if (m < 60) return `${m} min ${Math.round(seconds - m * 60)} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

/** ISO 8601 UTC as 'YYYY-MM-DD HH:MM:SS' (UTC). */
export function time(iso) {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  return d.toISOString().replace('T', ' ').replace(/\.\d+Z$/, '').replace(/Z$/, '') + ' UTC';
}

/** Share of the job done, 0..1 (the nearer of its two limits), or null when it has no budget to measure against. */
export function progress(job) {
  if (job.state === 'finished') return 1;
  const shares = [];
  if (job.budgetEvaluations) shares.push(job.scored / job.budgetEvaluations);
  if (job.budgetWallTime) shares.push((job.runningTime ?? 0) / job.budgetWallTime);
  return shares.length ? Math.min(1, Math.max(...shares)) : null;
}

export function budgetText(job) {
  const parts = [];
  if (job.budgetEvaluations) parts.push(`${num(job.budgetEvaluations)} evaluations`);
  if (job.budgetWallTime) parts.push(duration(job.budgetWallTime));
  return parts.length ? parts.join(' or ') : 'none';
}

/** A FrontEntry's value of one objective, by the job's objective order. */
export function objectiveValue(entry, objectives, objective) {
  const i = objectives.indexOf(objective);
  return i < 0 || !entry?.objectives ? null : entry.objectives[i];
}
