//! Pricing a checkout from the orders service's own projection of the catalog: never
//! from the client. A line whose product is unknown or no longer sold, or an order
//! mixing currencies, cannot be priced (422).

use super::checkout::{CheckoutLine, ProductId};
use shared::{FieldError, Money};
use std::collections::{BTreeSet, HashMap};

/// A product as the catalog events last described it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectedProduct {
    /// Display name, copied onto order lines.
    pub name: String,
    /// Unit price.
    pub price: Money,
    /// False once the product is archived.
    pub orderable: bool,
    /// Catalog version of the snapshot this came from.
    pub version: u64,
}

/// One priced line of an order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PricedLine {
    /// The product.
    pub product_id: ProductId,
    /// Its name when the order was placed.
    pub name: String,
    /// Units.
    pub quantity: u32,
    /// Price of one unit when the order was placed.
    pub unit_price: Money,
    /// `unit_price` x `quantity`.
    pub line_total: Money,
}

/// The lines of an order with their prices, in one currency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PricedOrder {
    /// The lines, in the client's order.
    pub lines: Vec<PricedLine>,
    /// Sum of the line totals.
    pub total: Money,
}

/// Prices `lines` from `catalog`; the errors name every line that cannot be priced, or
/// the items when their currencies differ.
pub fn price(
    lines: &[CheckoutLine],
    catalog: &HashMap<ProductId, ProjectedProduct>,
) -> Result<PricedOrder, Vec<FieldError>> {
    let mut errors = Vec::new();
    let mut priced = Vec::with_capacity(lines.len());
    for (i, line) in lines.iter().enumerate() {
        let field = || format!("items[{i}].product_id");
        match catalog.get(&line.product_id) {
            None => errors.push(FieldError::new(field(), "no such product")),
            Some(p) if !p.orderable => {
                errors.push(FieldError::new(field(), "this product is no longer sold"));
            }
            Some(p) => match p.price.amount.checked_mul(u64::from(line.quantity)) {
                Some(amount) => priced.push(PricedLine {
                    product_id: line.product_id.clone(),
                    name: p.name.clone(),
                    quantity: line.quantity,
                    unit_price: p.price,
                    line_total: Money::new(amount, p.price.currency),
                }),
                None => errors.push(FieldError::new(field(), "line total is too large")),
            },
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let Some(first) = priced.first() else {
        return Err(vec![FieldError::new(
            "items",
            "an order needs at least one line",
        )]);
    };
    let currencies: BTreeSet<&str> = priced
        .iter()
        .map(|l| l.unit_price.currency.as_str())
        .collect();
    if currencies.len() > 1 {
        let found: Vec<&str> = currencies.into_iter().collect();
        return Err(vec![FieldError::new(
            "items",
            format!(
                "all products of an order must be priced in one currency; these are priced in {}",
                found.join(", ")
            ),
        )]);
    }
    let currency = first.unit_price.currency;
    let total = priced
        .iter()
        .try_fold(0u64, |sum, l| sum.checked_add(l.line_total.amount))
        .ok_or_else(|| vec![FieldError::new("items", "order total is too large")])?;
    Ok(PricedOrder {
        lines: priced,
        total: Money::new(total, currency),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::Currency;

    fn id(n: u8) -> ProductId {
        ProductId::parse(&format!("0193f19f-0000-7000-8000-0000000000{n:02}")).unwrap()
    }

    fn money(amount: u64, currency: &str) -> Money {
        Money::new(amount, Currency::parse(currency).unwrap())
    }

    fn product(name: &str, amount: u64, currency: &str, orderable: bool) -> ProjectedProduct {
        ProjectedProduct {
            name: name.into(),
            price: money(amount, currency),
            orderable,
            version: 1,
        }
    }

    fn line(n: u8, quantity: u32) -> CheckoutLine {
        CheckoutLine {
            product_id: id(n),
            quantity,
        }
    }

    fn catalog() -> HashMap<ProductId, ProjectedProduct> {
        HashMap::from([
            (id(1), product("Mug", 1250, "EUR", true)),
            (id(2), product("Plate", 899, "EUR", true)),
            (id(3), product("Old Cup", 500, "EUR", false)),
            (id(4), product("Teapot", 3000, "USD", true)),
        ])
    }

    #[test]
    fn lines_are_priced_from_the_catalog_and_summed() {
        let order = price(&[line(2, 3), line(1, 2)], &catalog()).unwrap();
        assert_eq!(order.lines.len(), 2);
        assert_eq!(order.lines[0].name, "Plate");
        assert_eq!(order.lines[0].unit_price, money(899, "EUR"));
        assert_eq!(order.lines[0].line_total, money(2697, "EUR"));
        assert_eq!(order.lines[1].line_total, money(2500, "EUR"));
        assert_eq!(order.total, money(5197, "EUR"));
    }

    #[test]
    fn unknown_and_archived_products_are_named_per_line() {
        let errors = price(&[line(1, 1), line(9, 1), line(3, 1)], &catalog()).unwrap_err();
        let named: Vec<(&str, &str)> = errors
            .iter()
            .map(|e| (e.field.as_str(), e.message.as_str()))
            .collect();
        assert_eq!(
            named,
            [
                ("items[1].product_id", "no such product"),
                ("items[2].product_id", "this product is no longer sold"),
            ]
        );
    }

    #[test]
    fn mixed_currencies_cannot_be_priced() {
        let errors = price(&[line(1, 1), line(4, 1)], &catalog()).unwrap_err();
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].field, "items");
        assert!(
            errors[0].message.ends_with("EUR, USD"),
            "{}",
            errors[0].message
        );
    }
}
