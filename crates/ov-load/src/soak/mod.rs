//! `openvidu-load soak`: thousands of joins and leaves, then an idle-connection flood,
//! against a running openvidu-rs, sampling its memory, file descriptors and async tasks
//! throughout. A leak shows as a climb during the joins that does not come back down in
//! the quiet phases; the flood shows the connection caps and the header timeout holding
//! the descriptors while the REST API keeps answering another address.
//!
//! Phases: `baseline` (quiet), `joins`, `settle`, `flood` (held), `after` (quiet).

mod args;
mod cycle;
mod probe;
mod report;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use openvidu_client::OpenVidu;
use tokio::sync::watch;

pub use args::SoakArgs;
pub use report::{FloodResult, SoakReport, SoakSample};

use crate::LoadError;

/// What the sampler reads from the phases.
struct Progress {
    phase: Mutex<&'static str>,
    cycles: AtomicU64,
    failures: AtomicU64,
    flood_open: AtomicU64,
}

impl Progress {
    fn enter(&self, phase: &'static str) {
        *self.phase.lock().unwrap_or_else(|e| e.into_inner()) = phase;
    }
}

/// Runs the soak; prints one line per sample through `print`.
pub async fn run(
    args: &SoakArgs,
    mut print: impl FnMut(&str) + Send + 'static,
) -> Result<SoakReport, LoadError> {
    str0m::crypto::from_feature_flags().install_process_default();
    let interval = args.interval().map_err(LoadError::Args)?;
    let plan = crate::args::loopback_endpoints(&args.url)?;
    let openvidu = Arc::new(OpenVidu::new(&plan.url, &args.secret)?);
    let mut log = match &args.server_log {
        Some(path) => Some(probe::LogTail::open(path)?),
        None => None,
    };
    probe::read(args.server_pid, None)?;
    let progress = Arc::new(Progress {
        phase: Mutex::new("baseline"),
        cycles: AtomicU64::new(0),
        failures: AtomicU64::new(0),
        flood_open: AtomicU64::new(0),
    });
    let (stop_tx, mut stop) = watch::channel(false);
    let sampler = tokio::spawn({
        let (progress, pid) = (progress.clone(), args.server_pid);
        async move {
            let started = Instant::now();
            let mut samples = Vec::new();
            let mut ticker = tokio::time::interval(interval);
            loop {
                tokio::select! {
                    _ = ticker.tick() => {}
                    _ = stop.wait_for(|s| *s) => return samples,
                }
                let Ok(p) = probe::read(pid, log.as_mut()) else {
                    return samples;
                };
                let sample = SoakSample {
                    t: started.elapsed().as_secs_f64(),
                    phase: *progress.phase.lock().unwrap_or_else(|e| e.into_inner()),
                    rss_mib: p.rss_bytes as f64 / (1 << 20) as f64,
                    fds: p.fds,
                    tasks: p.tasks,
                    cycles: progress.cycles.load(Ordering::Relaxed),
                    flood_open: progress.flood_open.load(Ordering::Relaxed),
                };
                print(&sample.line());
                samples.push(sample);
            }
        }
    });
    let settle = Duration::from_secs(args.settle);
    tokio::time::sleep(settle).await;

    progress.enter("joins");
    let started = Instant::now();
    let next = Arc::new(AtomicU64::new(0));
    let workers: Vec<_> = (0..args.concurrency)
        .map(|_| {
            let (openvidu, next, progress) = (openvidu.clone(), next.clone(), progress.clone());
            let (ws_url, publish, joins) = (plan.ws_url.clone(), !args.no_publish, args.joins);
            tokio::spawn(async move {
                while next.fetch_add(1, Ordering::Relaxed) < joins {
                    if let Err(e) = cycle::join_and_leave(&openvidu, &ws_url, publish).await {
                        tracing::warn!(error = %e, "join-and-leave cycle failed");
                        progress.failures.fetch_add(1, Ordering::Relaxed);
                    }
                    progress.cycles.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    futures_util::future::join_all(workers).await;
    let joins_took = started.elapsed();
    let sessions_left = openvidu.active_sessions().await.map(|s| s.len()).ok();

    progress.enter("settle");
    tokio::time::sleep(settle).await;

    let flood = if args.flood > 0 {
        progress.enter("flood");
        Some(flood_phase(args, &plan, &progress).await?)
    } else {
        None
    };

    progress.enter("after");
    tokio::time::sleep(settle).await;
    let _ = stop_tx.send(true);
    let samples = sampler.await.unwrap_or_default();
    Ok(SoakReport::new(
        args,
        samples,
        joins_took,
        progress.failures.load(Ordering::Relaxed),
        sessions_left,
        flood,
    ))
}

/// Opens the flood, asks the REST API from another address while it is held, and counts
/// what the server closed (over-cap at once, the rest after its header timeout).
async fn flood_phase(
    args: &SoakArgs,
    plan: &crate::args::Endpoints,
    progress: &Progress,
) -> Result<FloodResult, LoadError> {
    let server: SocketAddr = tokio::net::lookup_host(plan.url.trim_start_matches("http://"))
        .await?
        .next()
        .ok_or_else(|| LoadError::Args(format!("--url {} does not resolve", args.url)))?;
    let opened = Instant::now();
    let held = cycle::flood(server, args.flood).await;
    progress
        .flood_open
        .store(held.len() as u64, Ordering::Relaxed);
    // Give the server a moment to accept and refuse what it refuses: one second is far
    // longer than an accept, far shorter than the header timeout.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let closed_at_once = cycle::closed_by_server(&held).await;
    let (rest, rest_took) = cycle::rest_from_another_address(&plan.url, &args.secret).await;
    let hold = Duration::from_secs(args.flood_hold);
    tokio::time::sleep(hold.saturating_sub(opened.elapsed())).await;
    let closed_by_end = cycle::closed_by_server(&held).await;
    let result = FloodResult {
        opened: held.len(),
        closed_at_once,
        closed_by_end,
        held_s: opened.elapsed().as_secs_f64(),
        rest_status: rest.as_ref().ok().copied(),
        rest_error: rest.err(),
        rest_ms: rest_took.as_secs_f64() * 1000.0,
    };
    drop(held);
    progress.flood_open.store(0, Ordering::Relaxed);
    Ok(result)
}
