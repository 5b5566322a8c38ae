// The notifications inbox: what the shop told the shopper, newest first.

import { call } from '../api.js';
import { h, hashWith, show, when } from '../dom.js';

export const signedIn = true;

export async function render(_params, query) {
  const { data } = await call('GET', '/v1/notifications', { auth: true, query: { cursor: query.cursor, limit: 20 } });
  show(
    h('h1', {}, 'Inbox'),
    data.items.length
      ? h('ul', { class: 'cards', 'aria-label': 'Notifications' }, data.items.map((n) => h('li', { class: 'card', 'data-type': n.type },
        h('h2', {}, n.subject),
        h('p', { class: 'muted' }, when(n.created_at)),
        h('p', {}, n.body))))
      : h('p', {}, 'Nothing yet.'),
    data.next_cursor ? h('p', { class: 'pager' }, h('a', { href: hashWith('/inbox', { cursor: data.next_cursor }) }, 'Older notifications')) : null,
  );
}
