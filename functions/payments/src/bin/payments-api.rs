use payments::config::ApiConfig;
use shared::config::Env;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    shared::telemetry::init(payments::SERVICE);
    let config = ApiConfig::from_env(&Env::from_process())?;
    let aws = shared::aws::load_config().await?;
    shared::http::run(payments::api::router(), payments::App::new(&aws, config)).await
}
