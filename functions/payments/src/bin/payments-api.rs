use shared::config::{Env, TableConfig};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    shared::telemetry::init(payments::SERVICE);
    let config = TableConfig::from_env(&Env::from_process())?;
    let aws = shared::aws::load_config().await?;
    shared::http::run(payments::api::router(), payments::App::new(&aws, config)).await
}
