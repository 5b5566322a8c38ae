// Building the page from data. Text always goes in as text nodes, never as HTML, so
// nothing a shopper or an admin typed can become markup.

/** `h('a', {href: '#/'}, 'Home')`: an element with attributes (`on*` are listeners). */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on')) el.addEventListener(name.slice(2), value);
    else if (value === true) el.setAttribute(name, '');
    else el.setAttribute(name, String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Replaces the main view and moves focus there, as a page load would for a screen reader. */
export function show(...children) {
  const view = document.getElementById('view');
  view.replaceChildren();
  append(view, children);
  const heading = view.querySelector('h1');
  if (heading) document.title = `${heading.textContent} · crabcart`;
  view.focus({ preventScroll: true });
}

/** One short line in the polite live region under the header. */
export function say(text) {
  document.getElementById('status').textContent = text;
}

/** A labelled input: `field('Email', {name: 'email', type: 'email'})`. */
export function field(label, attrs) {
  const id = `f-${attrs.name}`;
  const control = attrs.tag === 'select' || attrs.tag === 'textarea'
    ? h(attrs.tag, { ...attrs, tag: undefined, options: undefined, id }, attrs.options ?? [])
    : h('input', { type: 'text', ...attrs, id });
  return h('div', {}, h('label', { for: id }, label), control);
}

/** Digits after the decimal point in `currency` (2 for EUR, 0 for JPY). */
export function minorDigits(currency) {
  return new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions()
    .maximumFractionDigits;
}

/** `{amount: 1999, currency: 'EUR'}` as a person reads it: €19.99. */
export function money({ amount, currency }) {
  const digits = minorDigits(currency);
  return new Intl.NumberFormat(undefined, { style: 'currency', currency })
    .format(amount / 10 ** digits);
}

export function when(timestamp) {
  return new Date(timestamp).toLocaleString();
}

/** The route's query string (`#/?q=tea&category=kitchen`) as an object. */
export function queryOf(hash) {
  const at = hash.indexOf('?');
  return Object.fromEntries(new URLSearchParams(at < 0 ? '' : hash.slice(at + 1)));
}

export function hashWith(path, query) {
  const params = new URLSearchParams(
    Object.entries(query).filter(([, v]) => v !== undefined && v !== null && v !== ''),
  ).toString();
  return `#${path}${params ? `?${params}` : ''}`;
}
