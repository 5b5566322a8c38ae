//! The load itself: a catalog smaller than the demand, one order alone, then every
//! shopper at once, each order followed until the saga settles it.

use crate::client::{Answer, Api, Request};
use anyhow::{bail, Context as _, Result};
use reqwest::Method;
use serde::Serialize;
use serde_json::{json, Value};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How often a shopper looks at an order that has not settled: the storefront's cadence
/// (web/js/views/order.js). When it settled is read from the order itself (its
/// `updated_at`), so the cadence does not bound the figures' precision.
pub const POLL: Duration = Duration::from_secs(1);
/// How long the orders service's price projection may take to learn a new product.
const PROJECTION: Duration = Duration::from_secs(60);
pub const VISA: &str = "pm_card_visa";
pub const DECLINED: &str = "pm_card_declined";

/// What the load is made of.
#[derive(Debug, Clone, Serialize)]
pub struct Plan {
    pub shoppers: usize,
    pub orders: usize,
    pub products: usize,
    pub stock_per_product: i64,
    /// Every n-th order pays with a card that is declined.
    pub decline_every: usize,
    /// Every n-th order is cancelled once confirmed (and so refunded).
    pub cancel_every: usize,
    /// How long an order may take to settle before it counts as lost.
    #[serde(skip)]
    pub settle_timeout: Duration,
}

impl Plan {
    pub fn card(&self, index: usize) -> &'static str {
        if index % self.decline_every == self.decline_every - 1 {
            DECLINED
        } else {
            VISA
        }
    }

    pub fn cancels(&self, index: usize) -> bool {
        index % self.cancel_every == 0
    }
}

/// A signed-in shopper.
#[derive(Debug, Clone)]
pub struct Shopper {
    pub token: String,
}

/// One order of the load, as its shopper saw it.
#[derive(Debug, Clone, Serialize)]
pub struct OrderRun {
    pub index: usize,
    pub shopper: usize,
    pub id: String,
    pub product: String,
    pub card: &'static str,
    /// Seconds from the start of the load to the POST's 201.
    pub placed_at: f64,
    /// Seconds the POST took.
    pub post_seconds: f64,
    /// Seconds from sending the POST that placed it to its settling transition (the
    /// `updated_at` of the first read showing it settled); None when it never did.
    pub settle_seconds: Option<f64>,
    /// Seconds from sending the POST to the first read showing it settled: what the
    /// shopper waited, polling at the storefront's cadence.
    pub seen_seconds: Option<f64>,
    /// The settled status and its reason.
    pub status: String,
    pub reason: Option<String>,
    /// Whether the shopper cancelled it once confirmed, and the status it then reached.
    pub cancelled: Option<String>,
}

/// The stack as the load drives it.
pub struct Shop {
    pub api: Api,
    pub admin_token: String,
}

impl Shop {
    pub async fn sign_in(api: Api, email: &str, password: &str) -> Result<Shop> {
        let token = login(&api, email, password).await?;
        Ok(Shop {
            api,
            admin_token: token,
        })
    }

    /// `count` products with `stock` units each, priced, in a category of their own.
    pub async fn catalog(&self, count: usize, stock: i64) -> Result<Vec<String>> {
        let category = format!("load-{}", uuid::Uuid::new_v4().simple());
        let mut ids = Vec::new();
        for n in 0..count {
            let body = e2e::catalog::product_body(&format!("Load Kettle {n}"), &category, stock);
            let req = Request {
                token: Some(&self.admin_token),
                body: Some(&body),
                ..Request::default()
            };
            let made = self.api.call(Method::POST, "/v1/products", req).await?;
            ids.push(text(&expect(made, 201, "creating a product")?.body["id"])?);
        }
        Ok(ids)
    }

    /// Registers and signs in a shopper.
    pub async fn shopper(&self, n: usize) -> Result<Shopper> {
        let email = format!("load-{n}-{}@example.com", uuid::Uuid::new_v4().simple());
        let password = "Corr3ct-Horse-Battery!";
        let body = json!({"email": email, "password": password, "name": format!("Shopper {n}")});
        let req = Request {
            body: Some(&body),
            ..Request::default()
        };
        let registered = self
            .api
            .call(Method::POST, "/v1/auth/register", req)
            .await?;
        if registered.status != 409 {
            expect(registered, 201, "registering a shopper")?;
        }
        Ok(Shopper {
            token: login(&self.api, &email, password).await?,
        })
    }

    /// Places the order (waiting, before the clock starts, until the orders service knows
    /// the product's price) and follows it until it settles.
    pub async fn order(
        &self,
        plan: &Plan,
        start: Instant,
        shopper: (usize, &Shopper),
        index: usize,
        product: &str,
    ) -> Result<OrderRun> {
        let card = plan.card(index);
        let body = e2e::orders::order_body(&[(product, 1)], card);
        let asked = Instant::now();
        let (placed, sent) = loop {
            let key = uuid::Uuid::new_v4().simple().to_string();
            let req = Request {
                token: Some(&shopper.1.token),
                idempotency_key: Some(&key),
                body: Some(&body),
            };
            let sent = (Instant::now(), chrono::Utc::now());
            let answer = self.api.call(Method::POST, "/v1/orders", req).await?;
            if answer.status == 422 && asked.elapsed() < PROJECTION {
                tokio::time::sleep(POLL).await;
                continue;
            }
            break (expect(answer, 201, "placing an order")?, sent);
        };
        let post_seconds = sent.0.elapsed();
        let placed_at = start.elapsed().as_secs_f64();
        let id = text(&placed.body["id"])?;
        let settled = self
            .settle(&shopper.1.token, &id, plan.settle_timeout)
            .await?;
        let seen_seconds = settled.as_ref().map(|_| sent.0.elapsed().as_secs_f64());
        let settle_seconds = settled
            .as_ref()
            .map(|order| settled_after(order, sent.1))
            .transpose()?;
        let order = settled.unwrap_or(placed.body);
        let status = text(&order["status"])?;
        let mut run = OrderRun {
            index,
            shopper: shopper.0,
            id,
            product: product.to_owned(),
            card,
            placed_at,
            post_seconds: post_seconds.as_secs_f64(),
            settle_seconds,
            seen_seconds,
            reason: order["status_reason"].as_str().map(str::to_owned),
            status,
            cancelled: None,
        };
        if run.status == "CONFIRMED" && plan.cancels(index) {
            run.cancelled = Some(self.cancel(&shopper.1.token, &run.id, plan).await?);
        }
        Ok(run)
    }

    /// The order once it is CONFIRMED, REJECTED or CANCELLED; None if it is not by `limit`.
    async fn settle(&self, token: &str, id: &str, limit: Duration) -> Result<Option<Value>> {
        let started = Instant::now();
        while started.elapsed() < limit {
            let read = self.read(token, &format!("/v1/orders/{id}")).await?;
            if matches!(
                read["status"].as_str(),
                Some("CONFIRMED" | "REJECTED" | "CANCELLED")
            ) {
                return Ok(Some(read));
            }
            tokio::time::sleep(POLL).await;
        }
        Ok(None)
    }

    /// Cancels a confirmed order and waits for it to be CANCELLED; the status it reached.
    async fn cancel(&self, token: &str, id: &str, plan: &Plan) -> Result<String> {
        let req = Request {
            token: Some(token),
            ..Request::default()
        };
        let path = format!("/v1/orders/{id}/cancel");
        let answer = self.api.call(Method::POST, &path, req).await?;
        if !(200..300).contains(&answer.status) {
            bail!("cancelling {id}: {} {}", answer.status, answer.body);
        }
        let started = Instant::now();
        loop {
            let read = self.read(token, &format!("/v1/orders/{id}")).await?;
            let status = text(&read["status"])?;
            if status == "CANCELLED" || started.elapsed() > plan.settle_timeout {
                return Ok(status);
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// GET `path` as the holder of `token`, which must answer 200.
    pub async fn read(&self, token: &str, path: &str) -> Result<Value> {
        let req = Request {
            token: Some(token),
            ..Request::default()
        };
        let answer = self.api.call(Method::GET, path, req).await?;
        Ok(expect(answer, 200, path)?.body)
    }
}

/// Seconds from `sent` to the transition that settled `order` (its `updated_at`, written
/// by the orders service on this machine's clock).
fn settled_after(order: &Value, sent: chrono::DateTime<chrono::Utc>) -> Result<f64> {
    let at = text(&order["updated_at"])?;
    let at = chrono::DateTime::parse_from_rfc3339(&at)
        .with_context(|| format!("an order's updated_at: {at}"))?;
    let millis = (at.with_timezone(&chrono::Utc) - sent).num_milliseconds();
    Ok(millis.max(0) as f64 / 1000.0)
}

/// Every shopper at once, taking the next order until there are none left.
pub async fn shop(
    shop: Arc<Shop>,
    plan: &Plan,
    shoppers: Vec<Shopper>,
    products: &[String],
) -> Result<Vec<OrderRun>> {
    let next = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for (n, shopper) in shoppers.into_iter().enumerate() {
        let (shop, next, plan, products) =
            (shop.clone(), next.clone(), plan.clone(), products.to_vec());
        tasks.spawn(async move {
            let mut runs = Vec::new();
            loop {
                let index = next.fetch_add(1, Ordering::Relaxed);
                if index >= plan.orders {
                    return Ok::<_, anyhow::Error>(runs);
                }
                let product = &products[index % products.len()];
                runs.push(
                    shop.order(&plan, start, (n, &shopper), index, product)
                        .await?,
                );
            }
        });
    }
    let mut runs = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        runs.extend(joined.context("a shopper panicked")??);
    }
    runs.sort_by_key(|r| r.index);
    Ok(runs)
}

async fn login(api: &Api, email: &str, password: &str) -> Result<String> {
    let body = json!({"email": email, "password": password});
    let req = Request {
        body: Some(&body),
        ..Request::default()
    };
    let answer = api.call(Method::POST, "/v1/auth/login", req).await?;
    text(&expect(answer, 200, "signing in")?.body["id_token"])
}

fn expect(answer: Answer, status: u16, what: &str) -> Result<Answer> {
    if answer.status != status {
        bail!(
            "{what}: expected {status}, got {} {}",
            answer.status,
            answer.body
        );
    }
    Ok(answer)
}

fn text(value: &Value) -> Result<String> {
    value
        .as_str()
        .map(str::to_owned)
        .with_context(|| format!("expected a string, got {value}"))
}
