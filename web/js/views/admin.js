// The admin area, shown to the `admin` group only (the API checks the group itself on
// every admin route): the catalog with create and edit (If-Match, so one admin never
// overwrites another's change unseen), stock, and every order by status.

import { call } from '../api.js';
import { field, h, hashWith, minorDigits, money, say, show, when } from '../dom.js';
import { report } from '../problem.js';
import { statusText } from './order.js';

const STATUSES = ['PENDING', 'AWAITING_PAYMENT', 'CONFIRMED', 'REJECTED', 'CANCELLED'];

function tabs(current) {
  return h('nav', { 'aria-label': 'Admin' }, h('ul', { class: 'tags' },
    h('li', {}, h('a', { href: '#/admin', 'aria-current': String(current === 'products') }, 'Products')),
    h('li', {}, h('a', { href: '#/admin/products/new', 'aria-current': String(current === 'new') }, 'New product')),
    h('li', {}, h('a', { href: '#/admin/orders', 'aria-current': String(current === 'orders') }, 'Orders'))));
}

function catalogFields(product = {}) {
  const currency = product.price?.currency ?? 'EUR';
  const digits = minorDigits(currency);
  return [
    field('Name', { name: 'name', required: true, maxlength: 200, value: product.name ?? '' }),
    field('Description', { tag: 'textarea', name: 'description', maxlength: 4000, options: [product.description ?? ''] }),
    field('Category (lower-case words joined by hyphens)', { name: 'category', required: true, maxlength: 64, value: product.category ?? '' }),
    h('div', { class: 'row' },
      field('Price', { name: 'price', type: 'number', required: true, min: 0, step: 'any', value: product.price ? (product.price.amount / 10 ** digits).toFixed(digits) : '' }),
      field('Currency', { name: 'currency', required: true, minlength: 3, maxlength: 3, value: currency })),
  ];
}

function catalogBody(values) {
  const currency = values.currency.trim().toUpperCase();
  let digits = 2;
  try { digits = minorDigits(currency); } catch { /* the API names a bad currency */ }
  return {
    name: values.name,
    description: values.description,
    category: values.category,
    price: { amount: Math.round(Number(values.price) * 10 ** digits), currency },
  };
}

export const products = {
  signedIn: true,
  admin: true,
  async render(_params, query) {
    const { data } = await call('GET', '/v1/products', { auth: true, query: { cursor: query.cursor, limit: 50 } });
    show(
      h('h1', {}, 'Admin: products'),
      tabs('products'),
      h('table', {},
        h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Product'), h('th', { scope: 'col' }, 'Price'), h('th', { scope: 'col' }, 'Available'), h('th', { scope: 'col', class: 'hide-narrow' }, 'Reserved'))),
        h('tbody', {}, data.items.map((p) => h('tr', {},
          h('td', {}, h('a', { href: `#/admin/products/${p.id}` }, p.name)),
          h('td', {}, money(p.price)),
          h('td', {}, p.stock.available),
          h('td', { class: 'hide-narrow' }, p.stock.reserved))))),
      data.next_cursor ? h('p', { class: 'pager' }, h('a', { href: hashWith('/admin', { cursor: data.next_cursor }) }, 'Next page')) : null,
    );
  },
};

export const newProduct = {
  signedIn: true,
  admin: true,
  async render() {
    const errors = h('div');
    const form = h('form', {
      onsubmit: async (event) => {
        event.preventDefault();
        const values = Object.fromEntries(new FormData(form));
        errors.replaceChildren();
        try {
          const { data } = await call('POST', '/v1/products', {
            auth: true, body: { ...catalogBody(values), stock: Number(values.stock) },
          });
          say(`${data.name} is in the catalog.`);
          location.hash = `#/admin/products/${data.id}`;
        } catch (error) {
          report(errors, error, 'The product was not created.');
        }
      },
    }, catalogFields(), field('Units in stock', { name: 'stock', type: 'number', min: 0, required: true, value: 0 }),
    errors, h('button', { type: 'submit' }, 'Create product'));
    show(h('h1', {}, 'Admin: new product'), tabs('new'), form);
  },
};

// The ETag covers the stock as well, which every order moves. A refused save whose product
// still has the catalog version this admin opened was refused for stock alone, which the
// form does not write: it is sent again against the product as it is now.
async function saveCatalog(path, opened, etag, body) {
  let tag = etag;
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await call('PUT', path, { auth: true, body, headers: { 'If-Match': tag } });
    } catch (error) {
      if (error.status !== 412 || attempt === 3) throw error;
      const { data: now, headers } = await call('GET', path, { auth: true });
      if (now.version !== opened.version) throw error;
      tag = headers.get('ETag');
    }
  }
}

export const editProduct = {
  signedIn: true,
  admin: true,
  async render({ id }) {
    const path = `/v1/products/${encodeURIComponent(id)}`;
    const { data: product, headers } = await call('GET', path, { auth: true });
    // What this admin opened: a save is refused (412) if the product changed since.
    const etag = headers.get('ETag');
    const errors = h('div');
    const form = h('form', {
      'aria-label': 'Catalog fields',
      onsubmit: async (event) => {
        event.preventDefault();
        errors.replaceChildren();
        try {
          await saveCatalog(path, product, etag, catalogBody(Object.fromEntries(new FormData(form))));
          say(`${product.name} is saved.`);
          await editProduct.render({ id });
        } catch (error) {
          const context = error.status === 412
            ? 'Not saved: another admin changed this product after you opened it. Reload the page to see their version, then make your change again.'
            : 'Not saved.';
          report(errors, error, context);
        }
      },
    }, catalogFields(product), errors, h('button', { type: 'submit' }, 'Save'));
    const stockErrors = h('div');
    const stock = h('form', {
      'aria-label': 'Stock',
      onsubmit: async (event) => {
        event.preventDefault();
        stockErrors.replaceChildren();
        const target = Number(new FormData(stock).get('available'));
        const delta = target - product.stock.available;
        if (delta === 0) {
          say('The stock is already at that level.');
          return;
        }
        try {
          await call('POST', `${path}/stock`, { auth: true, body: { delta } });
          say(`Stock of ${product.name} set to ${target}.`);
          await editProduct.render({ id });
        } catch (error) {
          report(stockErrors, error, 'The stock was not changed.');
        }
      },
    },
    h('p', {}, `Available: ${product.stock.available} · reserved by open orders: ${product.stock.reserved}`),
    field('Set available units to', { name: 'available', type: 'number', min: 0, required: true, value: product.stock.available }),
    stockErrors, h('button', { type: 'submit' }, 'Set stock'));
    show(
      h('h1', {}, `Admin: ${product.name}`),
      tabs('products'),
      h('p', { class: 'muted' }, `Version ${product.version} · updated ${when(product.updated_at)}`),
      h('h2', {}, 'Catalog'), form,
      h('h2', {}, 'Stock'), stock,
    );
  },
};

export const orders = {
  signedIn: true,
  admin: true,
  async render(_params, query) {
    const status = STATUSES.includes(query.status) ? query.status : '';
    const { data } = await call('GET', '/v1/admin/orders', { auth: true, query: { status, cursor: query.cursor, limit: 50 } });
    const filter = h('form', {
      onsubmit: (event) => {
        event.preventDefault();
        location.hash = hashWith('/admin/orders', { status: new FormData(event.target).get('status') });
      },
    }, h('div', { class: 'row' },
      field('Status', {
        tag: 'select', name: 'status',
        options: [h('option', { value: '' }, 'Any'), STATUSES.map((s) => h('option', { value: s, selected: s === status }, s))],
      }),
      h('button', { type: 'submit' }, 'Show')));
    show(
      h('h1', {}, 'Admin: orders'),
      tabs('orders'),
      filter,
      h('table', {},
        h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Order'), h('th', { scope: 'col' }, 'Status'), h('th', { scope: 'col' }, 'Total'), h('th', { scope: 'col', class: 'hide-narrow' }, 'Placed'))),
        h('tbody', {}, data.items.map((o) => h('tr', { 'data-status': o.status },
          h('td', {}, o.id.slice(0, 8)),
          h('td', { title: statusText(o) }, o.status),
          h('td', {}, money(o.total)),
          h('td', { class: 'hide-narrow' }, when(o.created_at)))))),
      data.items.length ? null : h('p', {}, 'No orders.'),
      data.next_cursor ? h('p', { class: 'pager' }, h('a', { href: hashWith('/admin/orders', { status, cursor: data.next_cursor }) }, 'Next page')) : null,
    );
  },
};
