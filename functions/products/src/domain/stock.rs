//! Stock and reservations. An order's lines are reserved all together or not at all, a
//! reservation is released at most once, and `available` never goes below zero. The store
//! enforces the same rules with DynamoDB conditions; these functions are the rules
//! themselves, used to explain a refused reservation and checked by property tests.

use shared::events::products::{Shortage, StockLine};
use std::collections::BTreeMap;

/// Most units of one product a product may hold available.
pub const MAX_STOCK: u32 = 1_000_000;
/// Most distinct products in one order: one DynamoDB transaction holds the line updates
/// plus the reservation item, the processed marker and the outbox event (limit 100).
pub const MAX_ORDER_LINES: usize = 50;

/// Why a stock movement is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StockError {
    /// The movement would take `available` below zero.
    #[error("not enough stock: {available} available")]
    Insufficient {
        /// Units available now.
        available: u32,
    },
    /// The movement would take `available` above [`MAX_STOCK`].
    #[error("stock cannot exceed {MAX_STOCK} units")]
    AboveMaximum,
}

/// The stock of one product: units that can be reserved, and units held by orders.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StockLevel {
    /// Units that can still be reserved.
    pub available: u32,
    /// Units held by reservations of orders in progress.
    pub reserved: u32,
}

impl StockLevel {
    /// The stock of a new product: `available` units, none reserved.
    pub fn initial(available: i64) -> Result<Self, StockError> {
        match u32::try_from(available) {
            Ok(n) if n <= MAX_STOCK => Ok(Self {
                available: n,
                reserved: 0,
            }),
            Ok(_) => Err(StockError::AboveMaximum),
            Err(_) => Err(StockError::Insufficient { available: 0 }),
        }
    }

    /// Moves `quantity` units from available to reserved.
    pub fn reserve(self, quantity: u32) -> Result<Self, StockError> {
        if self.available < quantity {
            return Err(StockError::Insufficient {
                available: self.available,
            });
        }
        Ok(Self {
            available: self.available - quantity,
            reserved: self.reserved + quantity,
        })
    }

    /// Moves `quantity` reserved units back to available.
    pub fn release(self, quantity: u32) -> Self {
        Self {
            available: self.available + quantity,
            reserved: self.reserved.saturating_sub(quantity),
        }
    }

    /// Applies an administrator's correction to `available`.
    pub fn adjust(self, delta: StockDelta) -> Result<Self, StockError> {
        let next = i64::from(self.available) + delta.get();
        if next < 0 {
            return Err(StockError::Insufficient {
                available: self.available,
            });
        }
        match u32::try_from(next) {
            Ok(n) if n <= MAX_STOCK => Ok(Self {
                available: n,
                reserved: self.reserved,
            }),
            _ => Err(StockError::AboveMaximum),
        }
    }
}

/// A non-zero correction of available stock, at most [`MAX_STOCK`] either way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StockDelta(i64);

impl StockDelta {
    /// Checks the delta; `None` for zero or out of range.
    pub fn new(delta: i64) -> Option<Self> {
        (delta != 0 && delta.unsigned_abs() <= u64::from(MAX_STOCK)).then_some(Self(delta))
    }

    /// The delta.
    pub fn get(self) -> i64 {
        self.0
    }
}

/// What an order asks to reserve: one line per product (repeated products merged),
/// sorted by product id so every transaction touches items in the same order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReservationRequest {
    order_id: String,
    lines: Vec<StockLine>,
}

impl ReservationRequest {
    /// Builds the request; `Err` for an order no transaction can hold (no lines, a zero
    /// quantity, more than [`MAX_ORDER_LINES`] products): a malformed event, not a shortage.
    pub fn new(
        order_id: &str,
        lines: impl IntoIterator<Item = (String, u32)>,
    ) -> Result<Self, String> {
        let mut merged: BTreeMap<String, u32> = BTreeMap::new();
        for (product_id, quantity) in lines {
            if quantity == 0 {
                return Err(format!(
                    "order {order_id} has a line of 0 units of {product_id}"
                ));
            }
            let total = merged.entry(product_id).or_insert(0);
            *total = total.saturating_add(quantity);
        }
        if merged.is_empty() || merged.len() > MAX_ORDER_LINES {
            return Err(format!(
                "order {order_id} has {} products; 1 to {MAX_ORDER_LINES} can be reserved",
                merged.len()
            ));
        }
        Ok(Self {
            order_id: order_id.to_owned(),
            lines: merged
                .into_iter()
                .map(|(product_id, quantity)| StockLine {
                    product_id,
                    quantity,
                })
                .collect(),
        })
    }

    /// The order.
    pub fn order_id(&self) -> &str {
        &self.order_id
    }

    /// The lines, one per product, sorted by product id.
    pub fn lines(&self) -> &[StockLine] {
        &self.lines
    }
}

/// The outcome of a reservation against known stock levels.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReservationDecision {
    /// Every line fits: the stock of each product after reserving it.
    Reserve(Vec<(String, StockLevel)>),
    /// At least one line does not fit: every line that does not, nothing is reserved.
    Refuse(Vec<Shortage>),
}

/// Decides a reservation. `level_of` gives the stock of an orderable product, `None` for
/// unknown or archived products, which count as 0 available.
pub fn decide_reservation(
    request: &ReservationRequest,
    level_of: impl Fn(&str) -> Option<StockLevel>,
) -> ReservationDecision {
    let mut reserved = Vec::with_capacity(request.lines.len());
    let mut shortages = Vec::new();
    for line in &request.lines {
        let level = level_of(&line.product_id);
        match level.map(|l| l.reserve(line.quantity)) {
            Some(Ok(after)) => reserved.push((line.product_id.clone(), after)),
            Some(Err(_)) | None => shortages.push(Shortage {
                product_id: line.product_id.clone(),
                requested: line.quantity,
                available: level.map_or(0, |l| l.available),
            }),
        }
    }
    if shortages.is_empty() {
        ReservationDecision::Reserve(reserved)
    } else {
        ReservationDecision::Refuse(shortages)
    }
}

/// An order's hold on stock, kept until released. A release that comes first (the
/// cancellation overtook the placement) leaves a released, empty reservation behind so
/// the late placement reserves nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reservation {
    /// The order.
    pub order_id: String,
    /// The units held, one line per product.
    pub lines: Vec<StockLine>,
    /// False while the units are held, true once returned (or never taken).
    pub released: bool,
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::HashMap;

    fn level(available: u32) -> StockLevel {
        StockLevel {
            available,
            reserved: 0,
        }
    }

    #[test]
    fn reserving_moves_units_and_never_goes_negative() {
        let l = level(3).reserve(2).unwrap();
        assert_eq!(
            l,
            StockLevel {
                available: 1,
                reserved: 2
            }
        );
        assert_eq!(l.reserve(2), Err(StockError::Insufficient { available: 1 }));
        assert_eq!(l.release(2), level(3));
    }

    #[test]
    fn adjustments_stay_between_zero_and_the_maximum() {
        let l = level(5);
        assert_eq!(l.adjust(StockDelta::new(-5).unwrap()).unwrap().available, 0);
        assert_eq!(
            l.adjust(StockDelta::new(-6).unwrap()),
            Err(StockError::Insufficient { available: 5 })
        );
        assert_eq!(
            l.adjust(StockDelta::new(i64::from(MAX_STOCK)).unwrap()),
            Err(StockError::AboveMaximum)
        );
        assert!(StockDelta::new(0).is_none());
        assert!(StockDelta::new(i64::from(MAX_STOCK) + 1).is_none());
        assert!(StockLevel::initial(-1).is_err());
        assert!(StockLevel::initial(i64::from(MAX_STOCK) + 1).is_err());
    }

    #[test]
    fn requests_merge_repeated_products_and_refuse_unholdable_orders() {
        let r = ReservationRequest::new(
            "o1",
            [
                ("b".to_owned(), 1),
                ("a".to_owned(), 2),
                ("b".to_owned(), 3),
            ],
        )
        .unwrap();
        let lines: Vec<_> = r
            .lines()
            .iter()
            .map(|l| (l.product_id.as_str(), l.quantity))
            .collect();
        assert_eq!(lines, vec![("a", 2), ("b", 4)]);
        assert!(ReservationRequest::new("o1", []).is_err());
        assert!(ReservationRequest::new("o1", [("a".to_owned(), 0)]).is_err());
        let too_many = (0..=MAX_ORDER_LINES).map(|i| (format!("p{i}"), 1));
        assert!(ReservationRequest::new("o1", too_many).is_err());
    }

    #[test]
    fn a_refusal_lists_every_short_line_and_unknown_products_count_as_zero() {
        let r = ReservationRequest::new(
            "o1",
            [
                ("a".to_owned(), 2),
                ("b".to_owned(), 5),
                ("gone".to_owned(), 1),
            ],
        )
        .unwrap();
        let levels = HashMap::from([("a", level(9)), ("b", level(4))]);
        match decide_reservation(&r, |id| levels.get(id).copied()) {
            ReservationDecision::Refuse(shortages) => assert_eq!(
                shortages,
                vec![
                    Shortage {
                        product_id: "b".into(),
                        requested: 5,
                        available: 4
                    },
                    Shortage {
                        product_id: "gone".into(),
                        requested: 1,
                        available: 0
                    },
                ]
            ),
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    /// An in-memory warehouse following the rules above: what the DynamoDB conditions
    /// implement, as a model for the property test.
    #[derive(Default)]
    struct Warehouse {
        levels: HashMap<String, StockLevel>,
        reservations: HashMap<String, Reservation>,
    }

    impl Warehouse {
        fn place(&mut self, request: &ReservationRequest) -> Option<bool> {
            if self.reservations.contains_key(request.order_id()) {
                return None;
            }
            match decide_reservation(request, |id| self.levels.get(id).copied()) {
                ReservationDecision::Reserve(after) => {
                    for (id, level) in after {
                        self.levels.insert(id, level);
                    }
                    self.reservations.insert(
                        request.order_id().to_owned(),
                        Reservation {
                            order_id: request.order_id().to_owned(),
                            lines: request.lines().to_vec(),
                            released: false,
                        },
                    );
                    Some(true)
                }
                ReservationDecision::Refuse(_) => Some(false),
            }
        }

        fn release(&mut self, order_id: &str) {
            let r = self
                .reservations
                .entry(order_id.to_owned())
                .or_insert_with(|| Reservation {
                    order_id: order_id.to_owned(),
                    lines: Vec::new(),
                    released: true,
                });
            if r.released {
                return;
            }
            r.released = true;
            for line in &r.lines {
                let l = self
                    .levels
                    .get_mut(&line.product_id)
                    .expect("reserved product");
                *l = l.release(line.quantity);
            }
        }
    }

    #[derive(Debug, Clone)]
    enum Op {
        Place(usize, Vec<(usize, u32)>),
        Release(usize),
    }

    fn op(products: usize) -> impl Strategy<Value = Op> {
        prop_oneof![
            3 => (0..20usize, prop::collection::vec((0..products, 1..6u32), 1..4))
                .prop_map(|(o, lines)| Op::Place(o, lines)),
            1 => (0..20usize).prop_map(Op::Release),
        ]
    }

    proptest! {
        #[test]
        fn stock_is_conserved_never_negative_and_orders_all_or_nothing(
            stocks in prop::collection::vec(0..15u32, 1..5),
            ops in prop::collection::vec(op(5), 1..60),
        ) {
            let mut w = Warehouse::default();
            for (i, s) in stocks.iter().enumerate() {
                w.levels.insert(format!("p{i}"), level(*s));
            }
            let product = |i: usize| format!("p{}", i % stocks.len());
            for op in ops {
                match op {
                    Op::Place(o, lines) => {
                        let request = ReservationRequest::new(
                            &format!("o{o}"),
                            lines.iter().map(|(p, q)| (product(*p), *q)),
                        ).unwrap();
                        let before = w.levels.clone();
                        match w.place(&request) {
                            Some(false) | None => prop_assert_eq!(&before, &w.levels),
                            Some(true) => for line in request.lines() {
                                let (b, a) = (before[&line.product_id], w.levels[&line.product_id]);
                                prop_assert_eq!(a.available + line.quantity, b.available);
                                prop_assert_eq!(a.reserved, b.reserved + line.quantity);
                            },
                        }
                    }
                    Op::Release(o) => w.release(&format!("o{o}")),
                }
                for (i, initial) in stocks.iter().enumerate() {
                    let id = format!("p{i}");
                    let l = w.levels[&id];
                    // Conserved: nothing created or lost, whatever the order of events.
                    prop_assert_eq!(l.available + l.reserved, *initial);
                    // Reserved is exactly what unreleased reservations hold.
                    let held: u32 = w.reservations.values()
                        .filter(|r| !r.released)
                        .flat_map(|r| r.lines.iter())
                        .filter(|line| line.product_id == id)
                        .map(|line| line.quantity)
                        .sum();
                    prop_assert_eq!(l.reserved, held);
                }
            }
        }
    }
}
