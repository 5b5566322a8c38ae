// One order, following the saga live (polling) until it settles, in words a shopper
// understands; a cancellable order can be cancelled from here.

import { call } from '../api.js';
import { h, money, say, show, when } from '../dom.js';
import { report } from '../problem.js';

export const signedIn = true;

const POLL_MS = 1000;
const SETTLING = new Set(['PENDING', 'AWAITING_PAYMENT']);
const CANCELLABLE = new Set(['PENDING', 'AWAITING_PAYMENT', 'CONFIRMED']);

/** What an order's status means to the person who placed it. */
export function statusText(order) {
  switch (order.status) {
    case 'PENDING': return 'Placed: reserving your items…';
    case 'AWAITING_PAYMENT': return 'Items reserved: taking your payment…';
    case 'CONFIRMED': return 'Confirmed: your payment was taken and your items are on their way.';
    case 'CANCELLED': return 'Cancelled. Anything you paid is refunded.';
    case 'REJECTED':
      switch (order.status_reason) {
        case 'payment_declined': return 'Not placed: your card was declined. You have not been charged.';
        case 'out_of_stock': return 'Not placed: some items are out of stock. You have not been charged.';
        case 'expired': return 'Not placed: the order could not be completed in time. You have not been charged.';
        default: return 'Not placed. You have not been charged.';
      }
    default: return order.status;
  }
}

export function cancelButton(order, onCancelled, errors) {
  if (!CANCELLABLE.has(order.status)) return null;
  return h('button', {
    type: 'button', class: 'secondary', 'aria-label': `Cancel order ${order.id.slice(0, 8)}`,
    onclick: async (event) => {
      event.target.disabled = true;
      try {
        const { data } = await call('POST', `/v1/orders/${order.id}/cancel`, { auth: true });
        say('Your order is cancelled.');
        onCancelled(data);
      } catch (error) {
        report(errors, error, 'The order was not cancelled.');
        event.target.disabled = false;
      }
    },
  }, 'Cancel order');
}

let following = 0;

export async function render({ id }) {
  const turn = ++following;
  const path = `/v1/orders/${encodeURIComponent(id)}`;
  let { data: order } = await call('GET', path, { auth: true });
  const draw = () => {
    const errors = h('div');
    show(
      h('p', {}, h('a', { href: '#/orders' }, '← Your orders')),
      h('h1', {}, `Order ${order.id.slice(0, 8)}`),
      h('p', { class: 'order-status', 'data-status': order.status, role: 'status', 'aria-live': 'polite' }, statusText(order)),
      h('p', { class: 'muted' }, `Placed ${when(order.created_at)}`),
      h('table', {},
        h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Product'), h('th', { scope: 'col' }, 'Quantity'), h('th', { scope: 'col' }, 'Price'))),
        h('tbody', {}, order.items.map((i) => h('tr', {}, h('td', {}, i.name), h('td', {}, i.quantity), h('td', {}, money(i.line_total)))))),
      h('p', { class: 'price' }, `Total: ${money(order.total)}`),
      errors,
      cancelButton(order, (cancelled) => { order = cancelled; draw(); follow(); }, errors),
    );
  };
  // Polls while the saga works and this view is still the one shown.
  const follow = async () => {
    while (SETTLING.has(order.status) && turn === following && location.hash.startsWith(`#/orders/${id}`)) {
      await new Promise((resolve) => { setTimeout(resolve, POLL_MS); });
      try {
        const { data } = await call('GET', path, { auth: true });
        if (data.status !== order.status) {
          order = data;
          draw();
        }
      } catch {
        // A missed poll is retried on the next tick.
      }
    }
  };
  draw();
  follow();
}
