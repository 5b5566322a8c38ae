// An API failure shown to the person: in words, with each field named, in an alert that
// screen readers announce, and the request id for support.

import { explain } from './api.js';
import { h } from './dom.js';

export function problem(error, context = '') {
  const { lead, message, details, requestId } = explain(error);
  return h('div', { class: 'alert', role: 'alert' },
    h('p', {}, context || lead),
    message ? h('p', {}, message) : null,
    details.length ? h('ul', {}, details.map((d) => h('li', {}, d))) : null,
    requestId ? h('p', { class: 'muted' }, `Reference: ${requestId}`) : null);
}

/** Puts the alert for `error` into `slot` (an element the form keeps for it). */
export function report(slot, error, context) {
  slot.replaceChildren(problem(error, context));
}
