// The HTTP API (docs/http-api.md), same origin. Errors arrive as RFC 7807 problem details.

const TOKEN_KEY = 'actsearch.token';

export function getToken() {
  try { return localStorage.getItem(TOKEN_KEY) ?? ''; } catch { return ''; }
}

export function setToken(token) {
  try {
    if (token) localStorage.setItem(TOKEN_KEY, token);
    else localStorage.removeItem(TOKEN_KEY);
  } catch { /* storage disabled: the token lasts for this page only */ }
}

/** A failed request: HTTP status plus the problem's title, detail and validation errors. */
export class ApiError extends Error {
  constructor(status, title, detail, errors) {
    super(detail ? `${title}: ${detail}` : title);
    this.status = status;
    this.title = title;
    this.detail = detail;
    this.errors = errors;
  }
}

async function request(method, path, {signal, body, contentType} = {}) {
  const headers = {Accept: 'application/json, application/problem+json'};
  const token = getToken();
  if (token) headers.Authorization = `Bearer ${token}`;
  if (contentType) headers['Content-Type'] = contentType;
  let response;
  try {
    response = await fetch(path, {method, headers, body, signal});
  } catch (e) {
    if (e?.name === 'AbortError') throw e;
    throw new ApiError(0, 'The server cannot be reached', String(e?.message ?? e));
  }
  if (!response.ok) {
    let problem = {};
    try { problem = await response.json(); } catch { /* not JSON: keep the status line */ }
    throw new ApiError(response.status, problem.title ?? `${response.status} ${response.statusText}`,
      problem.detail ?? '', Array.isArray(problem.errors) ? problem.errors : []);
  }
  return response.status === 204 ? null : response.json();
}

export const getJson = (path, options) => request('GET', path, options);
export const postJson = (path, value, options) =>
  request('POST', path, {...options, body: value === undefined ? undefined : JSON.stringify(value), contentType: value === undefined ? undefined : 'application/json'});

/** A query string from an object, leaving out empty values: {q: 'x', page: 2} → '?q=x&page=2'. */
export function query(params) {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== null && value !== undefined && value !== '') search.set(key, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : '';
}

export const api = {
  jobs: (params, options) => getJson(`/api/jobs${query(params)}`, options),
  job: (id, options) => getJson(`/api/jobs/${encodeURIComponent(id)}`, options),
  cancelJob: (id, options) => postJson(`/api/jobs/${encodeURIComponent(id)}/cancel`, undefined, options),
  front: (id, generation, options) => getJson(`/api/jobs/${encodeURIComponent(id)}/front${query({generation})}`, options),
  funnel: (id, options) => getJson(`/api/jobs/${encodeURIComponent(id)}/funnel`, options),
  heldOut: (id, options) => getJson(`/api/jobs/${encodeURIComponent(id)}/heldout`, options),
  surrogate: (id, options) => getJson(`/api/jobs/${encodeURIComponent(id)}/surrogate`, options),
  eventsUrl: id => `/api/jobs/${encodeURIComponent(id)}/events`,
  activations: (params, options) => getJson(`/api/activations${query(params)}`, options),
  activation: (id, options) => getJson(`/api/activations/${encodeURIComponent(id)}`, options),
  plotUrl: id => `/api/activations/${encodeURIComponent(id)}/plot.svg`,
  tasks: options => getJson('/api/catalog/tasks', options),
  objectives: options => getJson('/api/catalog/objectives', options),
};
