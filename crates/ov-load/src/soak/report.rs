//! The soak's samples, its summary (baseline against the end of each phase), and their
//! rendering as a table and as JSON.

use std::time::Duration;

use serde::Serialize;

use super::SoakArgs;

/// One sample of the server.
#[derive(Debug, Clone, Serialize)]
pub struct SoakSample {
    /// Seconds since the start of the soak.
    pub t: f64,
    /// The phase running.
    pub phase: &'static str,
    /// Resident memory, MiB.
    pub rss_mib: f64,
    /// Open file descriptors.
    pub fds: u64,
    /// Alive tokio tasks (from the server's log).
    pub tasks: Option<u64>,
    /// Join-and-leave cycles done.
    pub cycles: u64,
    /// Flood connections held open by the soak.
    pub flood_open: u64,
}

impl SoakSample {
    /// One line of the running table.
    pub fn line(&self) -> String {
        format!(
            "{:>7.1}s {:<8} rss {:>7.1} MiB  fds {:>5}  tasks {:>5}  cycles {:>6}  flood {:>5}",
            self.t,
            self.phase,
            self.rss_mib,
            self.fds,
            self.tasks.map_or_else(|| "-".to_owned(), |t| t.to_string()),
            self.cycles,
            self.flood_open
        )
    }
}

/// What the flood phase saw.
#[derive(Debug, Clone, Serialize)]
pub struct FloodResult {
    /// Connections the soak could open.
    pub opened: usize,
    /// Of those, closed by the server within a second (over a cap).
    pub closed_at_once: usize,
    /// Of those, closed by the server by the end of the hold (the header timeout too).
    pub closed_by_end: usize,
    /// How long the flood was held, seconds.
    pub held_s: f64,
    /// Status of a REST request from 127.0.0.2 during the flood.
    pub rest_status: Option<u16>,
    /// Its error, if it failed.
    pub rest_error: Option<String>,
    /// How long it took, ms.
    pub rest_ms: f64,
}

/// Resident memory, descriptors and tasks at one point.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Level {
    /// MiB.
    pub rss_mib: f64,
    /// Descriptors.
    pub fds: u64,
    /// Tasks.
    pub tasks: Option<u64>,
}

/// The whole soak.
#[derive(Debug, Clone, Serialize)]
pub struct SoakReport {
    /// Cycles asked for.
    pub joins: u64,
    /// Cycles at once.
    pub concurrency: usize,
    /// Whether cycles published.
    pub publish: bool,
    /// Seconds the cycles took.
    pub joins_s: f64,
    /// Cycles that failed.
    pub failures: u64,
    /// Sessions still open after the cycles (each ends with its last participant: 0).
    pub sessions_left: Option<usize>,
    /// End of the baseline phase.
    pub baseline: Option<Level>,
    /// Highest values during the cycles.
    pub peak_joins: Option<Level>,
    /// End of the settle phase after the cycles.
    pub after_joins: Option<Level>,
    /// Highest values during the flood.
    pub peak_flood: Option<Level>,
    /// End of the soak.
    pub after: Option<Level>,
    /// The flood, when there was one.
    pub flood: Option<FloodResult>,
    /// Every sample.
    pub samples: Vec<SoakSample>,
}

fn level(s: &SoakSample) -> Level {
    Level {
        rss_mib: s.rss_mib,
        fds: s.fds,
        tasks: s.tasks,
    }
}

fn last_of(samples: &[SoakSample], phase: &str) -> Option<Level> {
    samples.iter().rev().find(|s| s.phase == phase).map(level)
}

fn peak_of(samples: &[SoakSample], phase: &str) -> Option<Level> {
    let of: Vec<&SoakSample> = samples.iter().filter(|s| s.phase == phase).collect();
    (!of.is_empty()).then(|| Level {
        rss_mib: of.iter().map(|s| s.rss_mib).fold(0.0, f64::max),
        fds: of.iter().map(|s| s.fds).max().unwrap_or(0),
        tasks: of.iter().filter_map(|s| s.tasks).max(),
    })
}

impl SoakReport {
    /// Summarises `samples`.
    pub fn new(
        args: &SoakArgs,
        samples: Vec<SoakSample>,
        joins_took: Duration,
        failures: u64,
        sessions_left: Option<usize>,
        flood: Option<FloodResult>,
    ) -> SoakReport {
        SoakReport {
            joins: args.joins,
            concurrency: args.concurrency,
            publish: !args.no_publish,
            joins_s: joins_took.as_secs_f64(),
            failures,
            sessions_left,
            baseline: last_of(&samples, "baseline"),
            peak_joins: peak_of(&samples, "joins"),
            after_joins: last_of(&samples, "settle"),
            peak_flood: peak_of(&samples, "flood"),
            after: last_of(&samples, "after"),
            flood,
            samples,
        }
    }

    /// The summary table (Markdown).
    pub fn render(&self) -> String {
        let row = |name: &str, l: &Option<Level>| match l {
            Some(l) => format!(
                "| {name} | {:.1} | {} | {} |\n",
                l.rss_mib,
                l.fds,
                l.tasks.map_or_else(|| "—".to_owned(), |t| t.to_string())
            ),
            None => format!("| {name} | — | — | — |\n"),
        };
        let mut out = format!(
            "{} join-and-leave cycles ({} at once, {}) in {:.1} s: {:.0}/s, {} failed, {} sessions left\n\n",
            self.joins,
            self.concurrency,
            if self.publish {
                "publishing"
            } else {
                "signaling only"
            },
            self.joins_s,
            self.joins as f64 / self.joins_s.max(1e-9),
            self.failures,
            self.sessions_left
                .map_or_else(|| "?".to_owned(), |n| n.to_string()),
        );
        out.push_str("| Point | RSS (MiB) | Open fds | Alive tasks |\n|---|---|---|---|\n");
        out.push_str(&row("baseline", &self.baseline));
        out.push_str(&row("peak during the cycles", &self.peak_joins));
        out.push_str(&row("after the cycles (settled)", &self.after_joins));
        out.push_str(&row("peak during the flood", &self.peak_flood));
        out.push_str(&row("after the flood (settled)", &self.after));
        if let Some(f) = &self.flood {
            out.push_str(&format!(
                "\nflood: {} idle connections opened, {} closed by the server at once, {} by {:.0} s; REST from 127.0.0.2 during it: {} in {:.0} ms\n",
                f.opened,
                f.closed_at_once,
                f.closed_by_end,
                f.held_s,
                f.rest_status.map_or_else(
                    || format!("failed ({})", f.rest_error.as_deref().unwrap_or("?")),
                    |s| s.to_string()
                ),
                f.rest_ms
            ));
        }
        out
    }
}
