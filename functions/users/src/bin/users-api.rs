use shared::config::Env;
use users::config::Config;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    shared::telemetry::init(users::SERVICE);
    let config = Config::from_env(&Env::from_process())?;
    let aws = shared::aws::load_config().await?;
    shared::http::run(users::api::router(), users::App::new(&aws, config)).await
}
