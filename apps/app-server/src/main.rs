//! `app-server`: the OpenVidu tutorials' application server. See the crate docs.

use std::process::ExitCode;

use app_server::{Settings, router};
use openvidu_client::OpenVidu;

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let settings = match Settings::from_env(|k| std::env::var(k).ok()) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("app-server: {e}");
            return ExitCode::from(2);
        }
    };
    let openvidu = match OpenVidu::new(&settings.openvidu_url, &settings.openvidu_secret) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("app-server: OPENVIDU_URL: {e}");
            return ExitCode::from(2);
        }
    };
    let listener = match tokio::net::TcpListener::bind(settings.listen).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("app-server: cannot listen on {}: {e}", settings.listen);
            return ExitCode::FAILURE;
        }
    };
    let addr = listener
        .local_addr()
        .map(|a| a.to_string())
        .unwrap_or_default();
    println!(
        "app-server listening on {addr} (OpenVidu at {})",
        settings.openvidu_url
    );
    if let Some(dir) = &settings.static_dir {
        println!("  serving {} at http://{addr}/", dir.display());
    }
    let app = router(openvidu, settings.static_dir);
    if let Err(e) = axum::serve(listener, app).await {
        eprintln!("app-server: {e}");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
