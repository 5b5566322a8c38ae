//! ProductCreated / ProductUpdated / ProductDeleted -> the price projection.

use super::Worker;
use crate::domain::ProductId;
use shared::consumer::ConsumeError;
use shared::events::products::ProductSnapshot;

/// Records a catalog snapshot unless a newer one is already projected.
pub async fn record_snapshot(
    worker: &Worker,
    snapshot: ProductSnapshot,
) -> Result<(), ConsumeError> {
    if ProductId::parse(&snapshot.product_id).is_none() {
        return Err(ConsumeError::Poison(format!(
            "catalog event for a product id that is not a UUID: {:?}",
            snapshot.product_id
        )));
    }
    let recorded = worker.projection.apply(&snapshot).await?;
    if recorded {
        tracing::info!(product_id = %snapshot.product_id, version = snapshot.version, "price projection updated");
    } else {
        tracing::info!(product_id = %snapshot.product_id, version = snapshot.version, "older catalog snapshot ignored");
    }
    Ok(())
}
