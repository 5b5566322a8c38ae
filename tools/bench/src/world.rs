//! The data the measured operations need, made through the functions themselves (as a
//! user and an admin would), before anything is timed: two users, a product with plenty
//! of stock that the orders service knows the price of, placed orders, a payment and an
//! inbox.

use crate::events::{answer_body, sqs_batch_of, sqs_batch_of_envelope, ApiCall, Caller};
use crate::stack::{Running, Stack, Subject};
use anyhow::{Context as _, Result};
use serde_json::{json, Value};
use shared::events::orders::{OrderConfirmed, PaymentRequested};
use shared::events::users::UserRegistered;
use shared::{Currency, Money};

/// The password of every user the bench signs up.
pub const PASSWORD: &str = "Bench-Passw0rd!";
/// The product's stock: enough for every reservation of the run.
const STOCK: u64 = 1_000_000;
/// Its price, in cents.
pub const PRICE: u64 = 1999;

/// What the scenarios build on.
pub struct World {
    pub shopper: Caller,
    pub admin: Caller,
    pub product_id: String,
    /// PENDING orders of the shopper, for the saga step and reads.
    pub orders: Vec<String>,
    /// An order of the shopper with a payment.
    pub paid_order: String,
    /// The shopper's sign-in, for the login and refresh routes.
    pub shopper_email: String,
    pub shopper_refresh_token: String,
    /// Products and users that the archive and delete routes may take away.
    pub spare_products: Vec<String>,
    pub spare_users: Vec<Caller>,
}

/// Spare products and users, one per invocation of a delete route.
pub const SPARES: usize = 3;

pub fn eur(amount: u64) -> Result<Money> {
    Ok(Money::new(
        amount,
        Currency::parse("EUR").context("EUR is a currency")?,
    ))
}

impl World {
    /// Builds the world; `orders` PENDING orders are placed.
    pub async fn build(stack: &Stack, orders: usize) -> Result<World> {
        let users = Subject::new(stack.spec("UsersApiFunction")?, stack).await?;
        let users = users.start().await?;
        let shopper_email = sign_up_email("shopper");
        register(&users, &shopper_email).await?;
        let (shopper, shopper_refresh_token) = log_in(&users, &shopper_email).await?;
        let mut spare_users = Vec::with_capacity(SPARES);
        for _ in 0..SPARES {
            spare_users.push(sign_up(&users, "spare").await?);
        }
        let admin_email = sign_up_email("admin");
        register(&users, &admin_email).await?;
        promote_to_admin(stack, &admin_email).await?;
        let (admin, _) = log_in(&users, &admin_email).await?;
        users.stop().await;

        let products = Subject::new(stack.spec("ProductsApiFunction")?, stack).await?;
        let products = products.start().await?;
        let created = products
            .invoke(
                ApiCall::new("POST", "/v1/products")
                    .body(product_body("Bench Kettle", STOCK))
                    .by(&admin)
                    .event(),
            )
            .await?;
        let mut spare_products = Vec::with_capacity(SPARES);
        for n in 0..SPARES {
            let spare = products
                .invoke(
                    ApiCall::new("POST", "/v1/products")
                        .body(product_body(&format!("Bench Spare {n}"), 1))
                        .by(&admin)
                        .event(),
                )
                .await?;
            spare_products.push(product_id_of(&spare.output)?);
        }
        products.stop().await;
        let product_id = product_id_of(&created.output)?;

        // The orders service prices from its projection of the catalog, which the
        // product's own ProductCreated event fills.
        let created_event = outbox_envelope(stack, "ProductsApiFunction", "ProductCreated").await?;
        let orders_worker = Subject::new(stack.spec("OrdersWorkerFunction")?, stack).await?;
        let running = orders_worker.start().await?;
        running
            .invoke(sqs_batch_of_envelope(&created_event))
            .await?;
        running.stop().await;

        let orders_api = Subject::new(stack.spec("OrdersApiFunction")?, stack).await?;
        let running = orders_api.start().await?;
        let mut placed = Vec::with_capacity(orders);
        for _ in 0..orders {
            let sample = running.invoke(place_order(&shopper, &product_id)).await?;
            let body = answer_body(&sample.output)?;
            placed.push(
                body["id"]
                    .as_str()
                    .context("an order has an id")?
                    .to_owned(),
            );
        }
        running.stop().await;
        let paid_order = placed.pop().context("at least one order")?;

        let payments = Subject::new(stack.spec("PaymentsWorkerFunction")?, stack).await?;
        let running = payments.start().await?;
        running
            .invoke(sqs_batch_of(
                "orders",
                &paid_order,
                PaymentRequested {
                    order_id: paid_order.clone(),
                    user_id: shopper.user_id.clone(),
                    amount: eur(PRICE)?,
                    payment_method: "pm_card_visa".to_owned(),
                },
            ))
            .await?;
        running.stop().await;

        let notifications = Subject::new(stack.spec("NotificationsWorkerFunction")?, stack).await?;
        let running = notifications.start().await?;
        running
            .invoke(sqs_batch_of(
                "users",
                &shopper.user_id,
                UserRegistered {
                    user_id: shopper.user_id.clone(),
                    email: shopper_email.clone(),
                    name: "Bench Shopper".to_owned(),
                    registered_at: shared::time::now(),
                },
            ))
            .await?;
        for order in placed.iter().take(25) {
            running
                .invoke(sqs_batch_of(
                    "orders",
                    order,
                    OrderConfirmed {
                        order_id: order.clone(),
                        user_id: shopper.user_id.clone(),
                        total: eur(PRICE)?,
                    },
                ))
                .await?;
        }
        running.stop().await;

        Ok(World {
            shopper,
            admin,
            product_id,
            orders: placed,
            paid_order,
            shopper_email,
            shopper_refresh_token,
            spare_products,
            spare_users,
        })
    }
}

/// A catalog entry with `stock` units.
pub fn product_body(name: &str, stock: u64) -> Value {
    json!({
        "name": name,
        "description": "Measured, not tested.",
        "category": "bench",
        "price": {"amount": PRICE, "currency": "EUR"},
        "stock": stock,
    })
}

/// POST /v1/orders of one unit of `product_id`, under a fresh Idempotency-Key.
pub fn place_order(shopper: &Caller, product_id: &str) -> Value {
    ApiCall::new("POST", "/v1/orders")
        .body(json!({
            "items": [{"product_id": product_id, "quantity": 1}],
            "payment_method": "pm_card_visa",
            "shipping_address": {
                "name": "Bench Shopper",
                "line1": "1 Bench Street",
                "city": "Lisbon",
                "postal_code": "1000-001",
                "country": "PT"
            }
        }))
        .header(
            "Idempotency-Key",
            format!("bench-{}", uuid::Uuid::new_v4().simple()),
        )
        .by(shopper)
        .event()
}

/// A new address.
pub fn sign_up_email(who: &str) -> String {
    format!("{who}-{}@bench.example.com", uuid::Uuid::new_v4().simple())
}

async fn register(users: &Running<'_>, email: &str) -> Result<()> {
    users
        .invoke(
            ApiCall::new("POST", "/v1/auth/register")
                .body(json!({"email": email, "password": PASSWORD, "name": "Bench User"}))
                .event(),
        )
        .await?;
    Ok(())
}

fn product_id_of(created: &Value) -> Result<String> {
    Ok(answer_body(created)?["id"]
        .as_str()
        .context("a created product has an id")?
        .to_owned())
}

/// The caller and their refresh token.
async fn log_in(users: &Running<'_>, email: &str) -> Result<(Caller, String)> {
    let login = users
        .invoke(
            ApiCall::new("POST", "/v1/auth/login")
                .body(json!({"email": email, "password": PASSWORD}))
                .event(),
        )
        .await?;
    let body = answer_body(&login.output)?;
    let token = body["id_token"]
        .as_str()
        .context("login gives an id_token")?;
    let refresh = body["refresh_token"]
        .as_str()
        .context("login gives a refresh_token")?;
    Ok((Caller::from_id_token(token)?, refresh.to_owned()))
}

async fn sign_up(users: &Running<'_>, who: &str) -> Result<Caller> {
    let email = sign_up_email(who);
    register(users, &email).await?;
    Ok(log_in(users, &email).await?.0)
}

/// Adds the user to the pool's admin group, as an operator would.
async fn promote_to_admin(stack: &Stack, email: &str) -> Result<()> {
    let (pool, group) = devstack::seed::admin_pool(&stack.ctx).context("a user pool")?;
    stack
        .clients
        .cognito
        .admin_add_user_to_group()
        .user_pool_id(pool)
        .username(email)
        .group_name(group.context("an admin group")?)
        .send()
        .await
        .context("AdminAddUserToGroup")?;
    Ok(())
}

/// The envelope of the first `event_type` in the outbox of `function`'s table.
async fn outbox_envelope(stack: &Stack, function: &str, event_type: &str) -> Result<Value> {
    let spec = stack.spec(function)?;
    let table = spec.env.get("TABLE_NAME").context("TABLE_NAME")?;
    let items = stack
        .clients
        .dynamodb
        .scan()
        .table_name(table)
        .send()
        .await
        .context("Scan")?;
    let envelope = items
        .items()
        .iter()
        .filter(|i| i.get("event_type").and_then(|v| v.as_s().ok()) == Some(&event_type.to_owned()))
        .find_map(|i| i.get("envelope").and_then(|v| v.as_s().ok()))
        .with_context(|| format!("no {event_type} in the outbox of {table}"))?;
    Ok(serde_json::from_str(envelope)?)
}
