// The storefront: loads config.json (where the API is), then shows the view the URL's
// hash names. Every view is a module under views/ with one `render(params, query)`.

import { configure } from './api.js';
import * as cart from './cart.js';
import { h, queryOf, say, show } from './dom.js';
import { problem } from './problem.js';
import * as session from './session.js';
import * as views from './views/index.js';

function nav() {
  const signedIn = Boolean(session.current());
  const items = [
    h('a', { href: '#/' }, 'Shop'),
    h('a', { href: '#/cart' }, `Cart (${cart.count()})`),
    signedIn ? h('a', { href: '#/orders' }, 'Orders') : null,
    signedIn ? h('a', { href: '#/inbox' }, 'Inbox') : null,
    session.isAdmin() ? h('a', { href: '#/admin' }, 'Admin') : null,
    signedIn
      ? h('button', { type: 'button', onclick: signOut }, 'Sign out')
      : h('a', { href: '#/signin' }, 'Sign in'),
  ].filter(Boolean);
  document.getElementById('nav').replaceChildren(...items.map((i) => h('li', {}, i)));
}

function signOut() {
  session.forget();
  say('You are signed out.');
  location.hash = '#/';
  nav();
}

async function route() {
  nav();
  const hash = location.hash || '#/';
  const [path] = hash.slice(1).split('?');
  const query = queryOf(hash);
  for (const [pattern, view] of views.routes) {
    const match = pattern.exec(path);
    if (!match) continue;
    if (view.signedIn && !session.current()) {
      location.hash = `#/signin?next=${encodeURIComponent(hash)}`;
      return;
    }
    if (view.admin && !session.isAdmin()) {
      show(h('h1', {}, 'Admins only'), h('p', {}, 'This area is for the shop\'s admins.'));
      return;
    }
    try {
      await view.render(match.groups ?? {}, query);
    } catch (error) {
      show(h('h1', {}, 'Something went wrong'), problem(error));
    }
    nav();
    return;
  }
  show(h('h1', {}, 'Not found'), h('p', {}, 'There is no such page. ', h('a', { href: '#/' }, 'Back to the shop')));
}

async function start() {
  try {
    const config = await (await fetch('config.json', { cache: 'no-store' })).json();
    configure(config.apiUrl);
  } catch {
    show(h('h1', {}, 'The shop is not configured'),
      h('p', {}, 'config.json, beside this page, must name the API: {"apiUrl": "https://…"}.'));
    return;
  }
  cart.onChange(nav);
  // One view at a time, in the order they were asked for, and only the latest of those
  // still waiting: a slow page must never replace the one the person moved on to.
  let asked = 0;
  let shown = route();
  window.addEventListener('hashchange', () => {
    const mine = ++asked;
    shown = shown.then(() => (mine === asked ? route() : undefined));
  });
  await shown;
}

start();
