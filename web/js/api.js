// The crabcart API as the page calls it: JSON in and out, the signed-in caller's ID token
// as the bearer (refreshed with the refresh token before it expires), and every failure
// as an Error whose message a person can read.

import * as session from './session.js';

let base = '';

/** The API's base URL (`config.json`'s `apiUrl`): the API is configuration, not code. */
export function configure(apiUrl) {
  base = apiUrl.replace(/\/+$/, '');
}

/** An answer in the API's error shape: `{error: {code, message, details, request_id}}`. */
export class ApiError extends Error {
  constructor(status, body) {
    const error = body?.error;
    super(error?.message ?? `The shop answered ${status}.`);
    this.status = status;
    this.code = error?.code ?? 'UNKNOWN';
    this.details = error?.details ?? [];
    this.requestId = error?.request_id;
  }
}

/** No answer at all: offline, the API down, or the browser refusing it (CORS). */
export class NetworkError extends Error {
  constructor() {
    super('We could not reach the shop. Check your connection and try again.');
  }
}

const LEADS = {
  UNAUTHORIZED: 'Please sign in again.',
  FORBIDDEN: 'You are not allowed to do that.',
  NOT_FOUND: 'We could not find that.',
  CONFLICT: 'That could not be done right now.',
  PRECONDITION_FAILED: 'Someone else changed this since you opened it.',
  THROTTLED: 'The shop is busy. Wait a moment and try again.',
  INTERNAL: 'Something went wrong on our side. Try again in a moment.',
  SERVICE_UNAVAILABLE: 'The shop is briefly unavailable. Try again in a moment.',
};

/** What to tell a person about `error`: a lead sentence, the API's message, each field. */
export function explain(error) {
  if (!(error instanceof ApiError)) {
    return { lead: error.message, message: '', details: [] };
  }
  return {
    lead: LEADS[error.code] ?? '',
    message: error.message,
    details: error.details.map((d) => (d.field ? `${d.field}: ${d.message}` : d.message)),
    requestId: error.requestId,
  };
}

let refreshing = null;

async function refresh() {
  const { refreshToken } = session.current() ?? {};
  if (!refreshToken) return;
  refreshing ??= send('POST', '/v1/auth/refresh', { body: { refresh_token: refreshToken } })
    .then(({ status, data }) => (status < 400 ? session.keep(data) : session.forget()))
    .catch(() => session.forget())
    .finally(() => { refreshing = null; });
  await refreshing;
}

/**
 * One call. `auth` sends the ID token (refreshing it first when it is about to expire,
 * and once more after a 401); `headers` adds request headers (Idempotency-Key, If-Match).
 * Resolves to `{status, data, headers}`; rejects with ApiError or NetworkError.
 */
export async function call(method, path, { body, auth = false, headers = {}, query } = {}) {
  if (auth && session.expiring()) await refresh();
  let answer = await send(method, path, { body, auth, headers, query });
  if (answer.status === 401 && auth && session.current()?.refreshToken) {
    await refresh();
    if (session.current()) answer = await send(method, path, { body, auth, headers, query });
  }
  if (answer.status >= 400) throw new ApiError(answer.status, answer.data);
  return answer;
}

async function send(method, path, { body, auth, headers, query }) {
  const url = new URL(base + path);
  for (const [k, v] of Object.entries(query ?? {})) {
    if (v !== undefined && v !== null && v !== '') url.searchParams.set(k, v);
  }
  const sent = { ...headers };
  if (body !== undefined) sent['Content-Type'] = 'application/json';
  const token = session.current()?.idToken;
  if (auth && token) sent.Authorization = `Bearer ${token}`;
  let response;
  try {
    response = await fetch(url, {
      method,
      headers: sent,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'omit',
    });
  } catch {
    throw new NetworkError();
  }
  const text = await response.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  return { status: response.status, data, headers: response.headers };
}
