//! The sample events in events/ (for `cargo lambda invoke --data-file`) parse as the
//! events Lambda delivers, so they cannot silently drift from the real shapes.

use aws_lambda_events::event::apigw::ApiGatewayProxyRequest;
use aws_lambda_events::event::dynamodb::Event;
use outbox_publisher::record::outbox_message;
use stack_model::fixtures::sample_events;

#[test]
fn outbox_publisher_samples_are_stream_events_with_publishable_outbox_inserts() {
    for (path, text) in sample_events("outbox-publisher") {
        let event: Event =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert!(!event.records.is_empty(), "{}", path.display());
        for record in &event.records {
            assert!(record.change.approximate_creation_date_time.timestamp() > 0);
            let message = outbox_message(record)
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
                .unwrap_or_else(|| panic!("{}: not an outbox insert", path.display()));
            assert!(message.sequence_number.is_some(), "{}", path.display());
            message.to_entry("0").unwrap();
        }
    }
}

#[test]
fn users_api_samples_are_rest_proxy_events_with_json_bodies() {
    for (path, text) in sample_events("users-api") {
        let name = path.display().to_string();
        let event: ApiGatewayProxyRequest =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
        let path_ = event
            .path
            .as_deref()
            .unwrap_or_else(|| panic!("{name}: no path"));
        assert!(path_.starts_with("/v1/"), "{name}");
        assert_eq!(event.resource.as_deref(), Some(path_), "{name}");
        if let Some(body) = &event.body {
            serde_json::from_str::<serde_json::Value>(body)
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            let content_type = event
                .headers
                .get("content-type")
                .and_then(|v| v.to_str().ok());
            assert_eq!(content_type, Some("application/json"), "{name}");
        }
        let claims = event.request_context.authorizer.fields.get("claims");
        if path_.starts_with("/v1/auth/") {
            assert!(claims.is_none(), "{name}: public routes have no authorizer");
        } else {
            let claims = claims
                .and_then(|c| c.as_object())
                .unwrap_or_else(|| panic!("{name}: no claims"));
            for key in ["sub", "email", "cognito:groups"] {
                assert!(
                    claims.get(key).is_some_and(|v| v.is_string()),
                    "{name}: claim {key}"
                );
            }
        }
    }
}
