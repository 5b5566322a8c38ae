use lambda_runtime::service_fn;
use outbox_publisher::{config::service_name, Config, Publisher};
use shared::config::Env;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    let env = Env::from_process();
    shared::telemetry::init(service_name(&env));
    let config = Config::from_env(&env)?;
    let aws = shared::aws::load_config().await?;
    let publisher = Publisher::new(aws_sdk_sns::Client::new(&aws), &config);
    lambda_runtime::run(service_fn(|event| publisher.handle(event))).await
}
