// Which view each URL shows: `#/<path>?<query>`. A view with `signedIn` sends a visitor to
// sign in first.

import * as account from './account.js';
import * as admin from './admin.js';
import * as cart from './cart.js';
import * as catalog from './catalog.js';
import * as checkout from './checkout.js';
import * as inbox from './inbox.js';
import * as order from './order.js';
import * as orders from './orders.js';
import * as product from './product.js';

export const routes = [
  [/^\/$/, catalog],
  [/^\/products\/(?<id>[^/]+)$/, product],
  [/^\/cart$/, cart],
  [/^\/checkout$/, checkout],
  [/^\/orders$/, orders],
  [/^\/orders\/(?<id>[^/]+)$/, order],
  [/^\/inbox$/, inbox],
  [/^\/signin$/, account.signin],
  [/^\/register$/, account.register],
  [/^\/confirm$/, account.confirm],
  [/^\/admin$/, admin.products],
  [/^\/admin\/products\/new$/, admin.newProduct],
  [/^\/admin\/products\/(?<id>[^/]+)$/, admin.editProduct],
  [/^\/admin\/orders$/, admin.orders],
];
