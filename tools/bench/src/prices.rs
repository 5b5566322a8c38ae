//! The AWS prices the cost model uses, all in one place: list prices of one region, on
//! demand, in US dollars, without free tiers, volume tiers or savings plans (a million
//! orders a month stays in every first tier). Change them here and rerun `make bench`.

/// The region whose prices these are.
pub const REGION: &str = "us-east-1";

/// When these prices were read from AWS's pricing pages. DynamoDB's on-demand prices are
/// those of its 1 November 2024 reduction.
pub const PRICE_DATE: &str = "January 2025";

/// Dollars per unit of everything one order uses.
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct Prices {
    /// Lambda on arm64 (Graviton), per GB-second of duration.
    pub lambda_gb_second: f64,
    /// Lambda, per request (invocation).
    pub lambda_request: f64,
    /// API Gateway REST API, per request.
    pub api_request: f64,
    /// DynamoDB on demand, per write request unit.
    pub dynamodb_write_unit: f64,
    /// DynamoDB on demand, per read request unit.
    pub dynamodb_read_unit: f64,
    /// SNS standard topic, per published message (up to 64 KB).
    pub sns_publish: f64,
    /// SQS standard queue, per request (up to 64 KB).
    pub sqs_request: f64,
    /// CloudWatch Logs, standard class, per GB ingested.
    pub logs_ingested_gb: f64,
}

/// us-east-1, as of [`PRICE_DATE`].
pub const US_EAST_1: Prices = Prices {
    lambda_gb_second: 0.000_013_333_4,
    lambda_request: 0.20 / 1e6,
    api_request: 3.50 / 1e6,
    dynamodb_write_unit: 0.625 / 1e6,
    dynamodb_read_unit: 0.125 / 1e6,
    sns_publish: 0.50 / 1e6,
    sqs_request: 0.40 / 1e6,
    logs_ingested_gb: 0.50,
};
