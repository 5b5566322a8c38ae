//! Optimistic concurrency on catalog writes: the version every catalog change bumps, which
//! each write is conditional on.

/// A product's catalog version: 1 at creation, +1 on every catalog change (not on stock
/// movements, which are not part of what PUT/PATCH edit).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Version(u64);

impl Version {
    /// The version of a new product.
    pub const FIRST: Version = Version(1);

    /// A stored version.
    pub fn new(n: u64) -> Self {
        Self(n)
    }

    /// The version after one more change.
    pub fn next(self) -> Self {
        Self(self.0 + 1)
    }

    /// The number.
    pub fn get(self) -> u64 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_count_up_from_one() {
        assert_eq!(Version::FIRST.get(), 1);
        assert_eq!(Version::FIRST.next().next(), Version::new(3));
    }
}
