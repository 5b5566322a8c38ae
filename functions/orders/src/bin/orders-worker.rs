use orders::worker::Worker;
use shared::config::{Env, TableConfig};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    shared::telemetry::init(orders::CONSUMER);
    let config = TableConfig::from_env(&Env::from_process())?;
    let aws = shared::aws::load_config().await?;
    let worker = Worker::new(aws_sdk_dynamodb::Client::new(&aws), config.table_name);
    shared::consumer::serve(worker).await
}
