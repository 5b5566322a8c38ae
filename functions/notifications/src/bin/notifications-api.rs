use shared::config::{Env, ListingApiConfig};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    shared::telemetry::init(notifications::SERVICE);
    let config = ListingApiConfig::from_env(&Env::from_process())?;
    let aws = shared::aws::load_config().await?;
    shared::http::run(
        notifications::api::router(),
        notifications::App::new(&aws, config),
    )
    .await
}
