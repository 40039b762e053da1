use anyhow::Result;
use tracing::info;

mod queue;
mod storage;

const SENTRY_DSN: &str = "https://12a9009ad6788be889b4ea46f340b070@o731333.ingest.sentry.io/6747038";

#[tokio::main]
async fn main() -> Result<()> {
    let _guard = sentry::init((SENTRY_DSN, sentry::ClientOptions {
        release: sentry::release_name!(),
        traces_sample_rate: 0.05,
        ..Default::default()
    }));
    tracing_subscriber::fmt::init();

    let settings = config::Config::builder()
        .add_source(config::File::with_name("config/default"))
        .add_source(config::Environment::with_prefix("WORKER"))
        .build()?;

    let amqp_url = std::env::var("AMQP_URL").unwrap_or(settings.get_string("amqp.url")?);
    info!("connecting to broker");
    queue::run(&amqp_url, storage::client()).await
}
