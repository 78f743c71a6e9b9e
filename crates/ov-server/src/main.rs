//! The `openvidu-rs` binary: loads the configuration, prints where to connect, serves until
//! Ctrl-C or SIGTERM.

use std::process::ExitCode;

use ov_server::config::{Config, ConfigError};

fn main() -> ExitCode {
    let config = match Config::load(std::env::args_os(), |k| std::env::var(k).ok()) {
        Ok(c) => c,
        Err(ConfigError::Cli(text)) => {
            // clap renders --help, --version and usage errors itself.
            let is_error = text.starts_with("error");
            if is_error {
                eprint!("{text}");
                return ExitCode::from(2);
            }
            print!("{text}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("openvidu-rs: {e}");
            return ExitCode::from(2);
        }
    };
    ov_server::logging::init(&config.log);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("openvidu-rs: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(run(config))
}

async fn run(config: Config) -> ExitCode {
    let default_secret = config.default_secret_in_use;
    let dev = config.dev.is_some();
    let server = match ov_server::start(config).await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("openvidu-rs: {e}");
            return ExitCode::FAILURE;
        }
    };
    let url = &server.public_url;
    let ws = url.replacen("http", "ws", 1);
    println!("openvidu-rs {} is up", env!("CARGO_PKG_VERSION"));
    println!(
        "  OpenVidu URL:   {url}   (listening on {})",
        server.local_addr
    );
    println!("  REST API:       {url}/openvidu/api   (user OPENVIDUAPP)");
    println!("  WebSocket:      {ws}/openvidu");
    if default_secret {
        println!(
            "  Secret:         MY_SECRET (the well-known default: set OPENVIDU_SECRET before anyone else can reach this server)"
        );
        tracing::warn!("the default secret MY_SECRET is in use; set OPENVIDU_SECRET");
    } else {
        println!("  Secret:         the configured OPENVIDU_SECRET");
    }
    println!(
        "  Browser SDK:    {url}/openvidu/sdk/openvidu-browser.mjs   (and .js, a classic script)"
    );
    println!("  Components:     {url}/openvidu/components/openvidu-components.mjs");
    if dev {
        println!(
            "  Call page:      {url}/   (development mode: open it in two tabs; tokens from {url}/openvidu/dev/)"
        );
    }
    let stop = server.stopper();
    tokio::spawn(async move {
        shutdown_signal().await;
        tracing::info!("stopping");
        let _ = stop.send(true);
    });
    let mut server = server;
    server.wait().await;
    ExitCode::SUCCESS
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => {
                    let _ = ctrl_c.await;
                    return;
                }
            };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
}
