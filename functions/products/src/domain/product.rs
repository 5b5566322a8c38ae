//! The product and its catalog lifecycle: created active, edited with a version bump on
//! every change, archived (never hard-deleted, so reservations can still be released).

use super::catalog_fields::{Category, Description, Price, ProductName};
use super::stock::StockLevel;
use super::version::Version;
use chrono::{DateTime, Utc};
use shared::events::products::ProductSnapshot;

shared::uuid_id! {
    /// A product id (time-ordered UUID).
    pub struct ProductId;
}

impl ProductId {
    /// A fresh id for a new product.
    pub fn generate() -> Self {
        Self(shared::ids::new_id())
    }
}

/// Whether a product is for sale.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProductStatus {
    /// Listed and orderable.
    Active,
    /// Deleted by an admin: not listed, not found, not orderable.
    Archived,
}

impl ProductStatus {
    /// The stored and published name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "ACTIVE",
            Self::Archived => "ARCHIVED",
        }
    }

    /// Reads a stored name.
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "ACTIVE" => Some(Self::Active),
            "ARCHIVED" => Some(Self::Archived),
            _ => None,
        }
    }
}

/// Every catalog field of a product (POST, PUT).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogFields {
    /// Name.
    pub name: ProductName,
    /// Description.
    pub description: Description,
    /// Category.
    pub category: Category,
    /// Unit price.
    pub price: Price,
}

/// New values for some catalog fields (PATCH).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CatalogChanges {
    /// New name.
    pub name: Option<ProductName>,
    /// New description.
    pub description: Option<Description>,
    /// New category.
    pub category: Option<Category>,
    /// New price.
    pub price: Option<Price>,
}

/// A product of the catalog with its stock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Product {
    /// Id.
    pub id: ProductId,
    /// Name.
    pub name: ProductName,
    /// Description (may be empty).
    pub description: Description,
    /// Category.
    pub category: Category,
    /// Unit price.
    pub price: Price,
    /// Stock.
    pub stock: StockLevel,
    /// Active or archived.
    pub status: ProductStatus,
    /// Catalog version, which every catalog write is conditional on.
    pub version: Version,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last catalog change.
    pub updated_at: DateTime<Utc>,
}

impl CatalogChanges {
    /// True when nothing would change.
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

impl From<CatalogFields> for CatalogChanges {
    fn from(f: CatalogFields) -> Self {
        Self {
            name: Some(f.name),
            description: Some(f.description),
            category: Some(f.category),
            price: Some(f.price),
        }
    }
}

impl Product {
    /// A new active product at version 1.
    pub fn create(
        id: ProductId,
        fields: CatalogFields,
        stock: StockLevel,
        now: DateTime<Utc>,
    ) -> Self {
        Self {
            id,
            name: fields.name,
            description: fields.description,
            category: fields.category,
            price: fields.price,
            stock,
            status: ProductStatus::Active,
            version: Version::FIRST,
            created_at: now,
            updated_at: now,
        }
    }

    /// True when it can be listed, fetched and ordered.
    pub fn is_active(&self) -> bool {
        self.status == ProductStatus::Active
    }

    /// The product with `changes` applied and its version bumped.
    pub fn edit(&self, changes: CatalogChanges, now: DateTime<Utc>) -> Self {
        Self {
            name: changes.name.unwrap_or_else(|| self.name.clone()),
            description: changes
                .description
                .unwrap_or_else(|| self.description.clone()),
            category: changes.category.unwrap_or_else(|| self.category.clone()),
            price: changes.price.unwrap_or(self.price),
            version: self.version.next(),
            updated_at: now,
            ..self.clone()
        }
    }

    /// The product archived, with its version bumped.
    pub fn archive(&self, now: DateTime<Utc>) -> Self {
        Self {
            status: ProductStatus::Archived,
            version: self.version.next(),
            updated_at: now,
            ..self.clone()
        }
    }

    /// What catalog events carry.
    pub fn snapshot(&self) -> ProductSnapshot {
        ProductSnapshot {
            product_id: self.id.as_str().to_owned(),
            name: self.name.as_str().to_owned(),
            price: self.price.money(),
            category: self.category.as_str().to_owned(),
            status: self.status.as_str().to_owned(),
            version: self.version.get(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mug() -> Product {
        Product::create(
            ProductId::generate(),
            CatalogFields {
                name: ProductName::parse("Mug").unwrap(),
                description: Description::parse("").unwrap(),
                category: Category::parse("kitchen", "category").unwrap(),
                price: Price::parse(900, "EUR").unwrap(),
            },
            StockLevel::initial(5).unwrap(),
            shared::time::now(),
        )
    }

    #[test]
    fn edits_keep_unchanged_fields_and_bump_the_version() {
        let p = mug();
        let edited = p.edit(
            CatalogChanges {
                price: Some(Price::parse(950, "EUR").unwrap()),
                ..CatalogChanges::default()
            },
            shared::time::now(),
        );
        assert_eq!(edited.name, p.name);
        assert_eq!(edited.price.money().amount, 950);
        assert_eq!(edited.version, p.version.next());
        assert_eq!(edited.stock, p.stock);
    }

    #[test]
    fn archiving_keeps_the_stock_and_is_published_as_archived() {
        let p = mug().archive(shared::time::now());
        assert!(!p.is_active());
        assert_eq!(p.stock.available, 5);
        let snapshot = p.snapshot();
        assert_eq!(snapshot.status, "ARCHIVED");
        assert_eq!(snapshot.version, 2);
    }

    #[test]
    fn ids_must_be_uuids() {
        assert!(ProductId::parse("not-an-id").is_none());
        let id = ProductId::generate();
        assert_eq!(ProductId::parse(id.as_str()), Some(id));
    }
}
