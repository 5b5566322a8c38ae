// Who is signed in. The tokens live in this tab's sessionStorage: readable by this origin
// only, gone when the tab closes, and never in a cookie, so no other origin can send them.

const KEY = 'crabcart.session';

export function current() {
  const raw = sessionStorage.getItem(KEY);
  return raw ? JSON.parse(raw) : null;
}

/** Keeps what POST /v1/auth/login or /v1/auth/refresh answered (refresh keeps the old refresh token). */
export function keep(tokens) {
  const before = current();
  const claims = claimsOf(tokens.id_token);
  sessionStorage.setItem(KEY, JSON.stringify({
    idToken: tokens.id_token,
    refreshToken: tokens.refresh_token ?? before?.refreshToken,
    expiresAt: Date.now() + tokens.expires_in * 1000,
    email: claims.email,
    name: claims.name,
    groups: claims['cognito:groups'] ?? [],
  }));
}

export function forget() {
  sessionStorage.removeItem(KEY);
}

/** Shown the admin area only: the API checks the group on every admin route itself. */
export function isAdmin() {
  return current()?.groups.includes('admin') ?? false;
}

/** True when the ID token expires within a minute and should be refreshed first. */
export function expiring() {
  const session = current();
  return Boolean(session) && session.expiresAt - Date.now() < 60_000;
}

// The payload of a JWT, unverified: the page only reads its own token's name and groups.
function claimsOf(jwt) {
  const part = jwt.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
  const bytes = Uint8Array.from(atob(part), (c) => c.charCodeAt(0));
  return JSON.parse(new TextDecoder().decode(bytes));
}
