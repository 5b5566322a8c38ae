// The cart: change quantities, remove lines, go to checkout.

import * as cart from '../cart.js';
import { h, money, show } from '../dom.js';
import * as session from '../session.js';

function totals(lines) {
  const sums = {};
  for (const l of lines) sums[l.price.currency] = (sums[l.price.currency] ?? 0) + l.price.amount * l.quantity;
  return Object.entries(sums).map(([currency, amount]) => money({ amount, currency })).join(' + ');
}

export async function render() {
  const lines = cart.lines();
  if (!lines.length) {
    show(h('h1', {}, 'Your cart'), h('p', {}, 'Your cart is empty. ', h('a', { href: '#/' }, 'Browse the shop')));
    return;
  }
  show(
    h('h1', {}, 'Your cart'),
    h('table', {},
      h('caption', { class: 'muted' }, 'Prices are confirmed when you place the order.'),
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Product'), h('th', { scope: 'col' }, 'Quantity'),
        h('th', { scope: 'col', class: 'hide-narrow' }, 'Price'), h('th', { scope: 'col' }, h('span', { class: 'skip' }, 'Remove')))),
      h('tbody', {}, lines.map((line) => h('tr', {},
        h('td', {}, h('a', { href: `#/products/${line.product_id}` }, line.name)),
        h('td', {}, h('input', {
          type: 'number', min: 1, max: 100, value: line.quantity, 'aria-label': `Quantity of ${line.name}`,
          onchange: (event) => {
            const quantity = Math.max(1, Math.min(100, Number(event.target.value) || 1));
            cart.setQuantity(line.product_id, quantity);
            render();
          },
        })),
        h('td', { class: 'hide-narrow' }, money({ ...line.price, amount: line.price.amount * line.quantity })),
        h('td', {}, h('button', {
          type: 'button', class: 'secondary', 'aria-label': `Remove ${line.name}`,
          onclick: () => { cart.remove(line.product_id); render(); },
        }, 'Remove')))))),
    h('p', { class: 'price' }, `Total: ${totals(lines)}`),
    session.current()
      ? h('a', { class: 'button', href: '#/checkout' }, 'Check out')
      : h('p', {}, h('a', { href: '#/signin?next=%23%2Fcheckout' }, 'Sign in'), ' to check out.'),
  );
}
