//! What is measured: for every function one read and one write route (API functions) or
//! one single-message batch (workers, outbox publisher), and the floor and the peer.

use crate::events::{outbox_insert_of, sqs_batch_of, ApiCall, Caller};
use crate::measure::{Kind, Op};
use crate::world::{eur, place_order, product_body, sign_up_email, World, PASSWORD, PRICE};
use anyhow::{Context as _, Result};
use devstack::lambda::FunctionSpec;
use devstack::logs::FunctionLog;
use serde_json::{json, Value};
use shared::events::orders::{OrderConfirmed, OrderLine, OrderPlaced, PaymentRequested};
use shared::events::products::{StockLine, StockReserved};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Who a measured binary is, in the report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Crabcart,
    Floor,
    Peer,
}

/// One binary to measure and its operations.
pub struct Scenario {
    pub name: String,
    pub role: Role,
    /// The file whose size is reported (the release binary; the peer's package dir).
    pub artifact: PathBuf,
    pub spec: FunctionSpec,
    pub ops: Vec<Op>,
}

/// A fresh id per call (moved into `Op` closures).
fn new_id() -> String {
    shared::ids::new_id()
}

/// OrderConfirmed of a new order of `user_id`.
fn fresh_confirmation(user_id: &str) -> Result<OrderConfirmed> {
    Ok(OrderConfirmed {
        order_id: new_id(),
        user_id: user_id.to_owned(),
        total: eur(PRICE)?,
    })
}

/// A fixed list of things (placed orders, spare products or users), shared by the
/// operations that use them up.
#[derive(Clone)]
struct Pool<T>(Arc<Mutex<Vec<T>>>);

impl<T> Pool<T> {
    fn new(items: Vec<T>) -> Pool<T> {
        Pool(Arc::new(Mutex::new(items)))
    }

    fn take(&self) -> Result<T> {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .pop()
            .context("the pool ran out: raise World::build's counts")
    }
}

fn get(caller: &Caller, resource: &'static str, param: Option<(&'static str, String)>) -> Value {
    match &param {
        Some((name, value)) => ApiCall::new("GET", resource)
            .params(&[(name, value.as_str())])
            .by(caller)
            .event(),
        None => ApiCall::new("GET", resource).by(caller).event(),
    }
}

/// The template functions and what each is measured on.
pub fn functions(
    stack: &crate::stack::Stack,
    world: &World,
    bin_dir: &Path,
) -> Result<Vec<Scenario>> {
    let shopper = world.shopper.clone();
    let admin = world.admin.clone();
    let product = world.product_id.clone();
    let orders = Pool::new(world.orders.clone());
    let read_order = world.orders.first().context("placed orders")?.clone();
    let paid_order = world.paid_order.clone();
    let scenario = |logical_id: &str, binary: &str, ops: Vec<Op>| -> Result<Scenario> {
        Ok(Scenario {
            name: logical_id.to_owned(),
            role: Role::Crabcart,
            artifact: bin_dir.join(binary),
            spec: stack.spec(logical_id)?,
            ops,
        })
    };

    let mut n = 0u64;
    let users = {
        let (me, rename) = (shopper.clone(), shopper.clone());
        vec![
            Op::new("GET /v1/users/me", Kind::Read, move || {
                Ok(get(&me, "/v1/users/me", None))
            }),
            Op::new("PATCH /v1/users/me", Kind::Write, move || {
                n += 1;
                Ok(ApiCall::new("PATCH", "/v1/users/me")
                    .body(json!({"name": format!("Shopper {n}")}))
                    .by(&rename)
                    .event())
            }),
            Op::round_trips_only("POST /v1/auth/register", Kind::Write, || {
                Ok(ApiCall::new("POST", "/v1/auth/register")
                    .body(
                        json!({"email": sign_up_email("new"), "password": PASSWORD, "name": "New"}),
                    )
                    .event())
            }),
            {
                let email = world.shopper_email.clone();
                Op::round_trips_only("POST /v1/auth/login", Kind::Write, move || {
                    Ok(ApiCall::new("POST", "/v1/auth/login")
                        .body(json!({"email": email, "password": PASSWORD}))
                        .event())
                })
            },
            {
                let token = world.shopper_refresh_token.clone();
                Op::round_trips_only("POST /v1/auth/refresh", Kind::Write, move || {
                    Ok(ApiCall::new("POST", "/v1/auth/refresh")
                        .body(json!({"refresh_token": token}))
                        .event())
                })
            },
            {
                let admin = admin.clone();
                Op::round_trips_only("GET /v1/users", Kind::Read, move || {
                    Ok(get(&admin, "/v1/users", None))
                })
            },
            {
                let (admin, id) = (admin.clone(), shopper.user_id.clone());
                Op::round_trips_only("GET /v1/users/{id}", Kind::Read, move || {
                    Ok(get(&admin, "/v1/users/{id}", Some(("id", id.clone()))))
                })
            },
            {
                let spares = Pool::new(world.spare_users.clone());
                Op::round_trips_only("DELETE /v1/users/me", Kind::Write, move || {
                    let user = spares.take()?;
                    Ok(ApiCall::new("DELETE", "/v1/users/me").by(&user).event())
                })
            },
        ]
    };

    let products = {
        let (id, creator) = (product.clone(), admin.clone());
        let mut n = 0u64;
        vec![
            Op::new("GET /v1/products/{id}", Kind::Read, move || {
                Ok(ApiCall::new("GET", "/v1/products/{id}")
                    .params(&[("id", id.as_str())])
                    .event())
            }),
            Op::new("POST /v1/products", Kind::Write, move || {
                n += 1;
                Ok(ApiCall::new("POST", "/v1/products")
                    .body(product_body(&format!("Bench Teapot {n}"), 10))
                    .by(&creator)
                    .event())
            }),
            Op::round_trips_only("GET /v1/products", Kind::Read, || {
                Ok(ApiCall::new("GET", "/v1/products").event())
            }),
            {
                let (admin, id) = (admin.clone(), product.clone());
                Op::round_trips_only("PUT /v1/products/{id}", Kind::Write, move || {
                    let mut body = product_body("Bench Kettle", 0);
                    body.as_object_mut().map(|b| b.remove("stock"));
                    Ok(ApiCall::new("PUT", "/v1/products/{id}")
                        .params(&[("id", id.as_str())])
                        .body(body)
                        .by(&admin)
                        .event())
                })
            },
            {
                let (admin, id) = (admin.clone(), product.clone());
                Op::round_trips_only("PATCH /v1/products/{id}", Kind::Write, move || {
                    Ok(ApiCall::new("PATCH", "/v1/products/{id}")
                        .params(&[("id", id.as_str())])
                        .body(json!({"description": "Measured again."}))
                        .by(&admin)
                        .event())
                })
            },
            {
                let (admin, id) = (admin.clone(), product.clone());
                Op::round_trips_only("POST /v1/products/{id}/stock", Kind::Write, move || {
                    Ok(ApiCall::new("POST", "/v1/products/{id}/stock")
                        .params(&[("id", id.as_str())])
                        .body(json!({"delta": -1}))
                        .by(&admin)
                        .event())
                })
            },
            {
                let (admin, spares) = (admin.clone(), Pool::new(world.spare_products.clone()));
                Op::round_trips_only("DELETE /v1/products/{id}", Kind::Write, move || {
                    let id = spares.take()?;
                    Ok(ApiCall::new("DELETE", "/v1/products/{id}")
                        .params(&[("id", id.as_str())])
                        .by(&admin)
                        .event())
                })
            },
        ]
    };

    let orders_api = {
        let (reader, buyer, id, item) = (
            shopper.clone(),
            shopper.clone(),
            read_order.clone(),
            product.clone(),
        );
        vec![
            Op::new("GET /v1/orders/{id}", Kind::Read, move || {
                Ok(get(&reader, "/v1/orders/{id}", Some(("id", id.clone()))))
            }),
            Op::new("POST /v1/orders", Kind::Write, move || {
                Ok(place_order(&buyer, &item))
            }),
            {
                let owner = shopper.clone();
                Op::round_trips_only("GET /v1/orders", Kind::Read, move || {
                    Ok(get(&owner, "/v1/orders", None))
                })
            },
            {
                let admin = admin.clone();
                Op::round_trips_only("GET /v1/admin/orders", Kind::Read, move || {
                    Ok(get(&admin, "/v1/admin/orders", None))
                })
            },
            {
                let (owner, pool) = (shopper.clone(), orders.clone());
                Op::round_trips_only("POST /v1/orders/{id}/cancel", Kind::Write, move || {
                    let id = pool.take()?;
                    Ok(ApiCall::new("POST", "/v1/orders/{id}/cancel")
                        .params(&[("id", id.as_str())])
                        .by(&owner)
                        .event())
                })
            },
        ]
    };

    let payments_api = {
        let (owner, order) = (shopper.clone(), paid_order.clone());
        vec![Op::new(
            "GET /v1/payments?order_id=",
            Kind::Read,
            move || {
                Ok(ApiCall::new("GET", "/v1/payments")
                    .query(format!("order_id={order}"))
                    .by(&owner)
                    .event())
            },
        )]
    };

    let notifications_api = {
        let owner = shopper.clone();
        vec![Op::new("GET /v1/notifications", Kind::Read, move || {
            Ok(get(&owner, "/v1/notifications", None))
        })]
    };

    let products_worker = {
        let (user, item) = (shopper.user_id.clone(), product.clone());
        vec![Op::new(
            "OrderPlaced -> reserve stock",
            Kind::Batch,
            move || {
                let order_id = new_id();
                Ok(sqs_batch_of(
                    "orders",
                    &order_id.clone(),
                    OrderPlaced {
                        order_id,
                        user_id: user.clone(),
                        lines: vec![OrderLine {
                            product_id: item.clone(),
                            quantity: 1,
                            unit_price: eur(PRICE)?,
                        }],
                        total: eur(PRICE)?,
                    },
                ))
            },
        )]
    };

    let orders_worker = {
        let (pool, item) = (orders.clone(), product.clone());
        vec![Op::new(
            "StockReserved -> request payment",
            Kind::Batch,
            move || {
                let order_id = pool.take()?;
                Ok(sqs_batch_of(
                    "products",
                    &order_id.clone(),
                    StockReserved {
                        order_id,
                        lines: vec![StockLine {
                            product_id: item.clone(),
                            quantity: 1,
                        }],
                    },
                ))
            },
        )]
    };

    let payments_worker = {
        let user = shopper.user_id.clone();
        vec![Op::new(
            "PaymentRequested -> charge",
            Kind::Batch,
            move || {
                let order_id = new_id();
                Ok(sqs_batch_of(
                    "orders",
                    &order_id.clone(),
                    PaymentRequested {
                        order_id,
                        user_id: user.clone(),
                        amount: eur(PRICE)?,
                        payment_method: "pm_card_visa".to_owned(),
                    },
                ))
            },
        )]
    };

    let notifications_worker = {
        let user = shopper.user_id.clone();
        vec![Op::new("OrderConfirmed -> inbox", Kind::Batch, move || {
            let confirmed = fresh_confirmation(&user)?;
            Ok(sqs_batch_of(
                "orders",
                &confirmed.order_id.clone(),
                confirmed,
            ))
        })]
    };

    let outbox = {
        let user = shopper.user_id.clone();
        vec![Op::new("outbox insert -> SNS", Kind::Batch, move || {
            let confirmed = fresh_confirmation(&user)?;
            Ok(outbox_insert_of(
                "orders",
                &confirmed.order_id.clone(),
                confirmed,
            ))
        })]
    };

    Ok(vec![
        scenario("UsersApiFunction", "users-api", users)?,
        scenario("ProductsApiFunction", "products-api", products)?,
        scenario("ProductsWorkerFunction", "products-worker", products_worker)?,
        scenario("OrdersApiFunction", "orders-api", orders_api)?,
        scenario("OrdersWorkerFunction", "orders-worker", orders_worker)?,
        scenario("PaymentsApiFunction", "payments-api", payments_api)?,
        scenario("PaymentsWorkerFunction", "payments-worker", payments_worker)?,
        scenario(
            "NotificationsApiFunction",
            "notifications-api",
            notifications_api,
        )?,
        scenario(
            "NotificationsWorkerFunction",
            "notifications-worker",
            notifications_worker,
        )?,
        scenario("OrdersOutboxPublisherFunction", "outbox-publisher", outbox)?,
    ])
}

/// The floor: a hello-world lambda_runtime binary, invoked with the product read's event.
pub fn floor(bin_dir: &Path, world: &World) -> Scenario {
    let id = world.product_id.clone();
    Scenario {
        name: "hello-world floor".to_owned(),
        role: Role::Floor,
        artifact: bin_dir.join("hello-floor"),
        spec: FunctionSpec {
            name: "HelloFloor".to_owned(),
            binary: bin_dir.join("hello-floor"),
            env: BTreeMap::new(),
            timeout: Duration::from_secs(10),
            memory_mb: 128,
            log: FunctionLog::passthrough("hello-floor"),
        },
        ops: vec![Op::new("any event", Kind::Read, move || {
            Ok(ApiCall::new("GET", "/v1/products/{id}")
                .params(&[("id", id.as_str())])
                .event())
        })],
    }
}

/// The peer: Node.js 20 + AWS SDK v3 doing GET /v1/products/{id}'s GetItem, with the
/// products function's environment.
pub fn node_peer(root: &Path, stack: &crate::stack::Stack, world: &World) -> Result<Scenario> {
    let dir = root.join("benches/peers/node-get-product");
    let mut spec = stack.spec("ProductsApiFunction")?;
    spec.name = "NodePeerGetProduct".to_owned();
    spec.binary = dir.join("bootstrap");
    // The SDK's start-up notice about Node.js 22 is noise here; skipping it only helps
    // the peer.
    spec.env.insert(
        "AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED".to_owned(),
        "true".to_owned(),
    );
    let id = world.product_id.clone();
    Ok(Scenario {
        name: "Node.js 20 peer".to_owned(),
        role: Role::Peer,
        artifact: dir,
        spec,
        ops: vec![Op::new("GET /v1/products/{id}", Kind::Read, move || {
            Ok(ApiCall::new("GET", "/v1/products/{id}")
                .params(&[("id", id.as_str())])
                .event())
        })],
    })
}
