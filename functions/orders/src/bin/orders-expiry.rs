use lambda_runtime::service_fn;
use orders::config::ExpiryConfig;
use orders::expiry::Expiry;
use shared::config::Env;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    shared::telemetry::init(orders::SERVICE);
    let config = ExpiryConfig::from_env(&Env::from_process())?;
    let aws = shared::aws::load_config().await?;
    let client = aws_sdk_dynamodb::Client::new(&aws);
    let expiry = Expiry::new(client, config.table_name, config.reservation_deadline);
    lambda_runtime::run(service_fn(|event| expiry.handle(event))).await
}
