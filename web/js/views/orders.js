// The shopper's orders, newest first, each with its status in words and a cancel button
// while it can still be cancelled.

import { call } from '../api.js';
import { h, hashWith, money, show, when } from '../dom.js';
import { cancelButton, statusText } from './order.js';

export const signedIn = true;

export async function render(_params, query) {
  const { data } = await call('GET', '/v1/orders', { auth: true, query: { cursor: query.cursor, limit: 20 } });
  const errors = h('div');
  show(
    h('h1', {}, 'Your orders'),
    errors,
    data.items.length
      ? h('ul', { class: 'cards', 'aria-label': 'Orders' }, data.items.map((order) => h('li', { class: 'card' },
        h('h2', {}, h('a', { href: `#/orders/${order.id}` }, `Order ${order.id.slice(0, 8)}`)),
        h('p', { class: 'muted' }, when(order.created_at)),
        h('p', {}, `${order.items.length} line(s) · ${money(order.total)}`),
        h('p', { class: 'order-status', 'data-status': order.status }, statusText(order)),
        cancelButton(order, () => render(_params, query), errors))))
      : h('p', {}, 'You have no orders yet. ', h('a', { href: '#/' }, 'Browse the shop')),
    data.next_cursor ? h('p', { class: 'pager' }, h('a', { href: hashWith('/orders', { cursor: data.next_cursor }) }, 'Older orders')) : null,
  );
}
