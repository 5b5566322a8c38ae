// The cart, in this browser's localStorage: product id -> what the shopper saw and how
// many they want. Prices shown here are a preview; the API prices every order itself.

const KEY = 'crabcart.cart';
const listeners = new Set();

export function lines() {
  return JSON.parse(localStorage.getItem(KEY) ?? '[]');
}

function save(next) {
  localStorage.setItem(KEY, JSON.stringify(next));
  listeners.forEach((f) => f(next));
}

export function add(product, quantity = 1) {
  const next = lines();
  const line = next.find((l) => l.product_id === product.id);
  if (line) line.quantity = Math.min(100, line.quantity + quantity);
  else next.push({ product_id: product.id, name: product.name, price: product.price, quantity });
  save(next);
}

export function setQuantity(productId, quantity) {
  save(lines().map((l) => (l.product_id === productId ? { ...l, quantity } : l)));
}

export function remove(productId) {
  save(lines().filter((l) => l.product_id !== productId));
}

export function clear() {
  save([]);
}

export function count() {
  return lines().reduce((n, l) => n + l.quantity, 0);
}

export function onChange(listener) {
  listeners.add(listener);
}
