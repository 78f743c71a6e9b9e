//! `openvidu-load`: see the crate documentation and `openvidu-load --help`.

use std::process::ExitCode;

use clap::Parser;
use ov_load::{Args, Command, run};

fn main() -> ExitCode {
    let args = Args::parse();
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()),
        )
        .init();
    if let Some(Command::Soak(soak)) = &args.command {
        return soak_main(soak);
    }
    let plan = match args.plan() {
        Ok(p) => p,
        Err(e) => {
            eprintln!("openvidu-load: {e}");
            return ExitCode::from(2);
        }
    };
    // One thread: the cheaper current-thread scheduler (no work stealing, no cross-thread
    // wake-ups); more: the multi-thread one.
    let mut builder = if args.threads == 1 {
        tokio::runtime::Builder::new_current_thread()
    } else {
        let mut b = tokio::runtime::Builder::new_multi_thread();
        b.worker_threads(args.threads);
        b
    };
    let runtime = match builder.enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("openvidu-load: cannot start the runtime: {e}");
            return ExitCode::from(2);
        }
    };
    println!(
        "openvidu-load: {} room(s) x {} participants ({} publishing), {} fps {} kbit/s, {} s (ramp {} s) against {}",
        plan.rooms,
        plan.participants,
        plan.publishers,
        plan.fps,
        plan.video_kbps,
        plan.duration.as_secs_f64(),
        plan.ramp.as_secs_f64(),
        plan.url
    );
    match runtime.block_on(run(&plan, |line| println!("{line}"))) {
        Ok(summary) => {
            println!("{}", summary.render());
            if summary.passed() {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        }
        Err(e) => {
            eprintln!("openvidu-load: {e}");
            ExitCode::from(2)
        }
    }
}

/// `openvidu-load soak`: one current-thread runtime (the server is what is measured).
fn soak_main(args: &ov_load::soak::SoakArgs) -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("openvidu-load: cannot start the runtime: {e}");
            return ExitCode::from(2);
        }
    };
    match runtime.block_on(ov_load::soak::run(args, |line| println!("{line}"))) {
        Ok(report) => {
            println!("{}", report.render());
            if let Some(path) = &args.json {
                let json = serde_json::to_string_pretty(&report).unwrap_or_default();
                if let Err(e) = std::fs::write(path, json) {
                    eprintln!("openvidu-load: cannot write {}: {e}", path.display());
                    return ExitCode::from(2);
                }
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("openvidu-load: {e}");
            ExitCode::from(2)
        }
    }
}
