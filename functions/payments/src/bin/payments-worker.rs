use payments::provider::{ResiliencePolicy, ResilientProvider, SimulatedProvider};
use payments::worker::Worker;
use shared::config::{Env, TableConfig};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    shared::telemetry::init(payments::CONSUMER);
    let config = TableConfig::from_env(&Env::from_process())?;
    let aws = shared::aws::load_config().await?;
    let provider = ResilientProvider::new(SimulatedProvider::new(), ResiliencePolicy::default());
    let worker = Worker::new(
        aws_sdk_dynamodb::Client::new(&aws),
        config.table_name,
        provider,
    );
    shared::consumer::serve(worker).await
}
