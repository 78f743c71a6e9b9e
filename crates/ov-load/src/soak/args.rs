//! `openvidu-load soak`: its command line.

use std::time::Duration;

use clap::Args as ClapArgs;

/// Joins and leaves many participants, then floods idle connections, sampling the
/// server's resident memory, open file descriptors and async tasks over time to show they
/// come back to their baseline (a leak would not).
#[derive(Debug, Clone, ClapArgs)]
pub struct SoakArgs {
    /// OpenVidu URL (http://host:port) of a running openvidu-rs, on loopback.
    #[arg(long, default_value = "http://127.0.0.1:4443")]
    pub url: String,
    /// The deployment's secret (REST user OPENVIDUAPP).
    #[arg(long, default_value = "MY_SECRET")]
    pub secret: String,
    /// PID of the server, whose /proc/<pid> is sampled (required).
    #[arg(long)]
    pub server_pid: u32,
    /// The server's log (stderr) file, started with OPENVIDU_RUNTIME_STATS_INTERVAL=1:
    /// its `alive_tasks=` lines give the task count. Without it the column is empty.
    #[arg(long)]
    pub server_log: Option<std::path::PathBuf>,
    /// Join-and-leave cycles: create a session and a token, join over the WebSocket,
    /// publish (SDP only), leave.
    #[arg(long, default_value_t = 10_000)]
    pub joins: u64,
    /// Cycles running at once.
    #[arg(long, default_value_t = 8)]
    pub concurrency: usize,
    /// Do not publish in each cycle (signaling only).
    #[arg(long)]
    pub no_publish: bool,
    /// Idle TCP connections opened from 127.0.0.1 in the flood phase (0: no flood).
    #[arg(long, default_value_t = 2_000)]
    pub flood: usize,
    /// Seconds the flood is held (longer than the server's header timeout shows it
    /// closing them).
    #[arg(long, default_value_t = 15)]
    pub flood_hold: u64,
    /// Seconds of quiet sampling before, between and after the phases.
    #[arg(long, default_value_t = 5)]
    pub settle: u64,
    /// Seconds between samples.
    #[arg(long, default_value_t = 1.0)]
    pub interval: f64,
    /// Write the samples and the summary as JSON to this file.
    #[arg(long)]
    pub json: Option<std::path::PathBuf>,
}

impl SoakArgs {
    /// The sampling interval, checked.
    pub fn interval(&self) -> Result<Duration, String> {
        if !(self.interval.is_finite() && (0.05..=60.0).contains(&self.interval)) {
            return Err("--interval must be within [0.05, 60] seconds".into());
        }
        if self.concurrency == 0 {
            return Err("--concurrency must be at least 1".into());
        }
        Ok(Duration::from_secs_f64(self.interval))
    }
}
