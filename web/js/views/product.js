// One product: its description and price, and how many to put in the cart.

import { call } from '../api.js';
import * as cart from '../cart.js';
import { h, money, say, show } from '../dom.js';

export async function render({ id }) {
  const { data: product } = await call('GET', `/v1/products/${encodeURIComponent(id)}`);
  const available = product.stock.available;
  show(
    h('p', {}, h('a', { href: '#/' }, '← All products')),
    h('h1', {}, product.name),
    h('p', { class: 'price' }, money(product.price)),
    h('p', { class: 'muted' }, `Category: ${product.category} · ${available > 0 ? `${available} in stock` : 'Out of stock'}`),
    h('p', {}, product.description || 'No description.'),
    h('form', {
      onsubmit: (event) => {
        event.preventDefault();
        const quantity = Number(new FormData(event.target).get('quantity'));
        cart.add(product, quantity);
        say(`${quantity} × ${product.name} added to your cart.`);
      },
    },
    h('label', { for: 'quantity' }, 'Quantity'),
    h('input', { id: 'quantity', name: 'quantity', type: 'number', min: 1, max: Math.max(1, Math.min(100, available)), value: 1, required: true }),
    h('button', { type: 'submit', disabled: available <= 0 }, 'Add to cart')),
  );
}
