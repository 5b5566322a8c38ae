use shared::config::{Env, ListingApiConfig};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    shared::telemetry::init(products::SERVICE);
    let config = ListingApiConfig::from_env(&Env::from_process())?;
    let aws = shared::aws::load_config().await?;
    shared::http::run(products::api::router(), products::App::new(&aws, config)).await
}
