// The shop's front page: search by name, browse by category, page with the API's cursors.

import { call } from '../api.js';
import * as cart from '../cart.js';
import { h, hashWith, money, say, show } from '../dom.js';

const PAGE = 12;

// Categories are whatever the first page of the whole catalog names; the API has no list
// of its own, and a shop's front page shows the ones it has products in. Read once per
// visit, not on every search or page.
let known = null;

function categories() {
  known ??= call('GET', '/v1/products', { query: { limit: 100 } })
    .then(({ data }) => [...new Set(data.items.map((p) => p.category))].sort())
    .catch((error) => {
      known = null;
      throw error;
    });
  return known;
}

export function productCard(product) {
  const available = product.stock.available > 0;
  return h('li', { class: 'card' },
    h('h2', {}, h('a', { href: `#/products/${product.id}` }, product.name)),
    h('p', { class: 'price' }, money(product.price)),
    h('p', { class: 'muted' }, available ? 'In stock' : 'Out of stock'),
    h('button', {
      type: 'button',
      disabled: !available,
      'aria-label': `Add ${product.name} to the cart`,
      onclick: () => {
        cart.add(product);
        say(`${product.name} is in your cart.`);
      },
    }, 'Add to cart'));
}

export async function render(_params, query) {
  const { q = '', category = '', cursor, back } = query;
  const [page, names] = await Promise.all([
    call('GET', '/v1/products', { query: { q, category, cursor, limit: PAGE } }),
    categories(),
  ]);
  const search = h('form', {
    role: 'search',
    onsubmit: (event) => {
      event.preventDefault();
      const text = new FormData(event.target).get('q');
      location.hash = hashWith('/', { q: text, category });
    },
  },
  h('div', { class: 'row' },
    h('div', {},
      h('label', { for: 'search' }, 'Search products'),
      h('input', { id: 'search', name: 'q', type: 'search', value: q, maxlength: 100 })),
    h('button', { type: 'submit' }, 'Search')));
  const filters = h('nav', { 'aria-label': 'Categories' },
    h('ul', { class: 'tags' },
      h('li', {}, h('a', { href: hashWith('/', { q }), 'aria-current': String(!category) }, 'All')),
      names.map((name) => h('li', {},
        h('a', { href: hashWith('/', { q, category: name }), 'aria-current': String(name === category) }, name)))));
  const items = page.data.items;
  const heading = category ? `Category: ${category}` : 'All products';
  show(
    h('h1', {}, q ? `${heading} matching “${q}”` : heading),
    search,
    filters,
    items.length
      ? h('ul', { class: 'cards', 'aria-label': 'Products' }, items.map(productCard))
      : h('p', {}, 'No products match.'),
    h('div', { class: 'pager' },
      cursor ? h('a', { href: back ? decodeURIComponent(back) : hashWith('/', { q, category }) }, 'Previous page') : null,
      page.data.next_cursor
        ? h('a', {
          href: hashWith('/', { q, category, cursor: page.data.next_cursor, back: location.hash }),
        }, 'Next page')
        : null),
  );
}
