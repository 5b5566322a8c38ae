//! The products functions against what is declared outside them: the routes of
//! template.yaml, and the sample events in events/products-* (for `cargo lambda invoke
//! --data-file`), which must parse as the events Lambda delivers.

use aws_lambda_events::event::sqs::SqsEvent;
use shared::events::orders::OrderPlaced;
use shared::Envelope;
use stack_model::fixtures::{api_samples, sample_events};

#[test]
fn the_queue_receives_exactly_the_events_the_worker_handles() {
    stack_model::fixtures::assert_queue_delivers_exactly::<products::worker::Consumed>(
        "ProductsQueue",
    );
}

#[test]
fn the_route_table_is_exactly_the_templates_api_events() {
    stack_model::fixtures::assert_router_serves_exactly(
        "ProductsApiFunction",
        &products::api::router(),
    );
}

#[test]
fn products_api_samples_are_rest_proxy_events_for_its_routes() {
    for (name, event) in api_samples("products-api", &products::api::router()) {
        let claims = event.request_context.authorizer.fields.get("claims");
        if event.http_method == "GET" {
            assert!(claims.is_none(), "{name}: browsing is public");
        } else {
            let groups = claims.and_then(|c| c["cognito:groups"].as_str());
            assert_eq!(
                groups,
                Some("admin"),
                "{name}: catalog writes are for admins"
            );
        }
    }
}

#[test]
fn products_worker_samples_are_sqs_batches_of_order_events() {
    for (path, text) in sample_events("products-worker") {
        let name = path.display().to_string();
        let event: SqsEvent = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(!event.records.is_empty(), "{name}");
        for record in event.records {
            let body = record.body.unwrap_or_else(|| panic!("{name}: no body"));
            let envelope = Envelope::parse(&body).unwrap_or_else(|e| panic!("{name}: {e}"));
            let placed = envelope
                .decode::<OrderPlaced>()
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            assert!(!placed.lines.is_empty(), "{name}");
        }
    }
}
