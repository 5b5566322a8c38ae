use notifications::channel::ConfiguredChannel;
use notifications::config::WorkerConfig;
use notifications::worker::Worker;
use shared::config::Env;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    shared::telemetry::init(notifications::CONSUMER);
    let config = WorkerConfig::from_env(&Env::from_process())?;
    let aws = shared::aws::load_config().await?;
    let channel = ConfiguredChannel::new(&aws, config.sender_email);
    let worker = Worker::new(
        aws_sdk_dynamodb::Client::new(&aws),
        config.table_name,
        channel,
    );
    shared::consumer::serve(worker).await
}
