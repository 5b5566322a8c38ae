// Checkout: where to ship, how to pay, and one order however often "Place order" is pressed.
//
// Each attempt has one Idempotency-Key, kept in sessionStorage with the body it was made
// for: a double click, or a retry after a network error, sends the same key with the same
// body, and the API answers with the order it already placed. A changed cart or address is
// a new attempt, with a new key (the API refuses a key reused for another body).

import { call } from '../api.js';
import * as cart from '../cart.js';
import { field, h, say, show } from '../dom.js';
import { report } from '../problem.js';

const ATTEMPT = 'crabcart.checkout';

export const signedIn = true;

/** Test cards of the payment simulator. */
const CARDS = [
  ['pm_card_visa', 'Test card: always paid'],
  ['pm_card_declined', 'Test card: declined'],
  ['pm_card_insufficient_funds', 'Test card: insufficient funds'],
];

function keyFor(body) {
  const text = JSON.stringify(body);
  const attempt = JSON.parse(sessionStorage.getItem(ATTEMPT) ?? 'null');
  if (attempt?.body === text) return attempt.key;
  const key = crypto.randomUUID();
  sessionStorage.setItem(ATTEMPT, JSON.stringify({ key, body: text }));
  return key;
}

export async function render() {
  const lines = cart.lines();
  if (!lines.length) {
    show(h('h1', {}, 'Checkout'), h('p', {}, 'Your cart is empty. ', h('a', { href: '#/' }, 'Browse the shop')));
    return;
  }
  const errors = h('div');
  const button = h('button', { type: 'submit' }, 'Place order');
  let placing = false;
  const form = h('form', {
    onsubmit: async (event) => {
      event.preventDefault();
      if (placing) return;
      const values = Object.fromEntries(new FormData(form));
      const body = {
        items: lines.map((l) => ({ product_id: l.product_id, quantity: l.quantity })),
        payment_method: values.payment_method,
        shipping_address: {
          name: values.name, line1: values.line1, line2: values.line2 || null,
          city: values.city, postal_code: values.postal_code, country: values.country.toUpperCase(),
        },
      };
      const key = keyFor(body);
      placing = true;
      button.disabled = true;
      button.textContent = 'Placing your order…';
      errors.replaceChildren();
      try {
        const { data: order } = await call('POST', '/v1/orders', { body, auth: true, headers: { 'Idempotency-Key': key } });
        sessionStorage.removeItem(ATTEMPT);
        cart.clear();
        say('Your order is placed.');
        location.hash = `#/orders/${order.id}`;
      } catch (error) {
        report(errors, error, 'Your order was not placed.');
        placing = false;
        button.disabled = false;
        button.textContent = 'Place order';
      }
    },
  },
  h('fieldset', {}, h('legend', {}, 'Shipping address'),
    field('Full name', { name: 'name', required: true, maxlength: 100, autocomplete: 'name' }),
    field('Address', { name: 'line1', required: true, maxlength: 200, autocomplete: 'address-line1' }),
    field('Address line 2 (optional)', { name: 'line2', maxlength: 200, autocomplete: 'address-line2' }),
    field('City', { name: 'city', required: true, maxlength: 100, autocomplete: 'address-level2' }),
    field('Postal code', { name: 'postal_code', required: true, maxlength: 20, autocomplete: 'postal-code' }),
    field('Country (two letters, e.g. DE)', { name: 'country', required: true, minlength: 2, maxlength: 2, autocomplete: 'country' })),
  h('fieldset', {}, h('legend', {}, 'Payment'),
    field('Card', {
      tag: 'select', name: 'payment_method',
      options: CARDS.map(([value, label]) => h('option', { value }, label)),
    })),
  errors,
  button);
  show(h('h1', {}, 'Checkout'), h('p', {}, `${cart.count()} item(s). The shop confirms prices and stock when you place the order.`), form);
}
