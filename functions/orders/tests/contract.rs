//! The orders functions against what is declared outside them: the routes and the
//! subscriptions of template.yaml, and the sample events in events/orders-* (for
//! `cargo lambda invoke --data-file`), which must parse as the events Lambda delivers
//! and reach a route or an event handler.

use aws_lambda_events::event::sqs::SqsEvent;
use orders::api::CheckoutBody;
use orders::domain::{Checkout, OrderId};
use orders::worker::Consumed;
use shared::consumer::EventSet;
use shared::events::payments::{PaymentFailed, PaymentRefunded, PaymentSucceeded};
use shared::events::products::{
    ProductCreated, ProductDeleted, ProductUpdated, StockReservationFailed, StockReserved,
};
use shared::idempotency::IdempotencyKey;
use shared::Envelope;
use stack_model::fixtures::{api_samples, sample_events};
use stack_model::Template;

#[test]
fn the_route_table_is_exactly_the_templates_api_events_all_behind_the_authorizer() {
    let declared = Template::workspace().api_routes_of("OrdersApiFunction");
    assert!(
        declared.iter().all(|e| !e.public),
        "every orders route uses the default Cognito authorizer"
    );
    stack_model::fixtures::assert_router_serves_exactly(
        "OrdersApiFunction",
        &orders::api::router(),
    );
}

#[test]
fn the_queue_receives_exactly_the_events_the_worker_handles() {
    stack_model::fixtures::assert_queue_delivers_exactly::<Consumed>("OrdersQueue");
}

#[test]
fn orders_api_samples_are_authorized_rest_proxy_events_for_its_routes() {
    for (name, event) in api_samples("orders-api", &orders::api::router()) {
        let resource = event.resource.clone().unwrap_or_default();
        let claims = event
            .request_context
            .authorizer
            .fields
            .get("claims")
            .unwrap_or_else(|| panic!("{name}: every orders route is behind the authorizer"));
        assert!(claims["sub"].is_string(), "{name}");
        if resource.starts_with("/v1/admin/") {
            assert_eq!(claims["cognito:groups"], "admin", "{name}");
        }
        if let Some(id) = event.path_parameters.get("id") {
            assert!(
                OrderId::parse(id).is_some(),
                "{name}: {id} is not an order id"
            );
        }
        if resource == "/v1/orders" && event.http_method == "POST" {
            let key = event
                .headers
                .get("Idempotency-Key")
                .and_then(|v| v.to_str().ok());
            IdempotencyKey::from_header(key).unwrap_or_else(|e| panic!("{name}: {e}"));
            let body: CheckoutBody =
                serde_json::from_str(event.body.as_deref().unwrap_or_default())
                    .unwrap_or_else(|e| panic!("{name}: {e}"));
            Checkout::try_from(&body).unwrap_or_else(|e| panic!("{name}: {e:?}"));
        }
        // lambda_http reads it as a request of the REST API.
        let text = std::fs::read_to_string(&name).unwrap_or_else(|e| panic!("{name}: {e}"));
        lambda_http::request::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
    }
}

#[test]
fn orders_worker_samples_are_sqs_batches_of_events_it_handles() {
    for (path, text) in sample_events("orders-worker") {
        let name = path.display().to_string();
        let event: SqsEvent = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(!event.records.is_empty(), "{name}");
        for record in event.records {
            let body = record.body.unwrap_or_else(|| panic!("{name}: no body"));
            let envelope = Envelope::parse(&body).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert!(
                Consumed::TYPES.contains(&envelope.event_type.as_str()),
                "{name}: orders-worker does not handle {}",
                envelope.event_type
            );
            let decoded = match envelope.event_type.as_str() {
                "ProductCreated" => envelope.decode::<ProductCreated>().map(|_| ()),
                "ProductUpdated" => envelope.decode::<ProductUpdated>().map(|_| ()),
                "ProductDeleted" => envelope.decode::<ProductDeleted>().map(|_| ()),
                "StockReserved" => envelope.decode::<StockReserved>().map(|_| ()),
                "StockReservationFailed" => envelope.decode::<StockReservationFailed>().map(|_| ()),
                "PaymentSucceeded" => envelope.decode::<PaymentSucceeded>().map(|_| ()),
                "PaymentFailed" => envelope.decode::<PaymentFailed>().map(|_| ()),
                "PaymentRefunded" => envelope.decode::<PaymentRefunded>().map(|_| ()),
                other => panic!("{name}: unexpected type {other}"),
            };
            decoded.unwrap_or_else(|e| panic!("{name}: {e}"));
            let attribute = record
                .message_attributes
                .get(shared::events::EVENT_TYPE_ATTRIBUTE)
                .and_then(|a| a.string_value.clone());
            assert_eq!(
                attribute.as_deref(),
                Some(envelope.event_type.as_str()),
                "{name}"
            );
        }
    }
}
