//! A whole run: sessions and tokens over REST, the participants (joins spread over the
//! ramp), a report every second, then teardown and the summary.

use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;
use std::time::Duration;

use openvidu_client::{ConnectionProperties, OpenVidu, SessionProperties};
use tokio::sync::watch;
use tokio::time::Instant;

use crate::LoadError;
use crate::args::Plan;
use crate::participant::{self, Ctx, Spec};
use crate::procstat::{self, ProcReading};
use crate::report::{self, Sample, Targets, Usage};
use crate::stats::Board;
use crate::summary::{Summary, WARMUP};

/// How often a report line is printed.
const REPORT_PERIOD: Duration = Duration::from_secs(1);
/// How long participants get to leave at the end.
const TEARDOWN: Duration = Duration::from_secs(5);

/// Runs the plan; prints a line per second (through `print`) and returns the summary.
pub async fn run(plan: &Plan, mut print: impl FnMut(&str)) -> Result<Summary, LoadError> {
    str0m::crypto::from_feature_flags().install_process_default();
    let openvidu = OpenVidu::new(&plan.url, &plan.secret)?;
    let media_ip = media_ip(plan)?;
    let targets = Targets {
        participants: plan.total_participants(),
        publishers: plan.total_publishers(),
        subscriptions: plan.expected_subscriptions(),
    };
    let sessions = session_ids(plan.rooms);
    let tokens = create_tokens(&openvidu, &sessions, plan.participants).await?;

    let board = Arc::new(Board::default());
    let (stop_tx, stop) = watch::channel(false);
    let ctx = Arc::new(Ctx {
        ws_url: plan.ws_url.clone(),
        media_ip,
        fps: plan.fps,
        video_kbps: plan.video_kbps,
        light: plan.light,
        simulcast: plan.simulcast,
        slow_kbps: plan.slow_kbps,
        board: board.clone(),
        stop,
    });
    let start = Instant::now();
    let total = tokens.len() as u32;
    let mut tasks = Vec::new();
    for (i, (session, token, index)) in tokens.into_iter().enumerate() {
        let spec = Spec {
            session,
            token,
            publishes: index < plan.publishers,
            slow: index >= plan.participants - plan.slow_subscribers,
            start_at: start + plan.ramp * i as u32 / total.max(1),
        };
        tasks.push(tokio::spawn(participant::run(spec, ctx.clone())));
    }

    let samples = report_until(plan, &board, &targets, start, &mut print).await;
    let _ = stop_tx.send(true);
    let totals = board.snapshot();
    let _ = tokio::time::timeout(TEARDOWN, futures_util::future::join_all(tasks)).await;
    close_sessions(&openvidu, &sessions).await;
    Ok(Summary::new(targets, totals, &samples, plan.ramp + WARMUP))
}

/// `load-0`, `load-1`, …
pub fn session_ids(rooms: u32) -> Vec<String> {
    (0..rooms).map(|r| format!("load-{r}")).collect()
}

/// Creates the sessions (or finds them) and one token per participant; returns
/// (session, token, index in the session).
async fn create_tokens(
    openvidu: &OpenVidu,
    sessions: &[String],
    participants: u32,
) -> Result<Vec<(String, String, u32)>, LoadError> {
    let mut out = Vec::new();
    for id in sessions {
        let session = openvidu
            .create_session(SessionProperties {
                custom_session_id: Some(id.clone()),
                ..Default::default()
            })
            .await?;
        let connections = futures_util::future::try_join_all(
            (0..participants).map(|_| session.create_connection(ConnectionProperties::default())),
        )
        .await?;
        for (i, c) in connections.iter().enumerate() {
            out.push((id.clone(), c.token().to_owned(), i as u32));
        }
    }
    Ok(out)
}

/// Prints a line every second until the end of the run; returns the samples.
async fn report_until(
    plan: &Plan,
    board: &Board,
    targets: &Targets,
    start: Instant,
    print: &mut impl FnMut(&str),
) -> Vec<Sample> {
    let end = start + plan.duration;
    let mut samples = Vec::new();
    let mut last = board.snapshot();
    let mut last_at = start;
    let mut server = plan.server_pid.and_then(|pid| reading(Some(pid)));
    let mut tool = reading(None);
    let mut next = start + REPORT_PERIOD;
    while last_at < end {
        let at = next.min(end);
        tokio::time::sleep_until(at).await;
        next += REPORT_PERIOD;
        let now_snapshot = board.snapshot();
        let server_now = plan.server_pid.and_then(|pid| reading(Some(pid)));
        let tool_now = reading(None);
        let sample = Sample {
            at: at - start,
            interval: at - last_at,
            totals: now_snapshot,
            delta: report::delta(&last, &now_snapshot),
            server: usage(server.as_ref(), server_now.as_ref()),
            tool: usage(tool.as_ref(), tool_now.as_ref()),
        };
        print(&report::line(&sample, targets));
        samples.push(sample);
        (last, last_at, server, tool) = (now_snapshot, at, server_now, tool_now);
    }
    samples
}

fn reading(pid: Option<u32>) -> Option<ProcReading> {
    match procstat::read(pid) {
        Ok(r) => Some(r),
        Err(e) => {
            tracing::warn!(?pid, error = %e, "cannot read the process's usage");
            None
        }
    }
}

fn usage(before: Option<&ProcReading>, after: Option<&ProcReading>) -> Option<Usage> {
    let (b, a) = (before?, after?);
    Some(Usage {
        cores: procstat::cores(b, a),
        rss_bytes: a.rss_bytes,
    })
}

/// Closes the sessions so that a next run starts from empty ones (best effort).
async fn close_sessions(openvidu: &OpenVidu, sessions: &[String]) {
    for id in sessions {
        let closed = match openvidu.session(id).await {
            Ok(Some(s)) => s.close().await,
            Ok(None) => Ok(()),
            Err(e) => Err(e),
        };
        if let Err(e) = closed {
            tracing::warn!(session = %id, error = %e, "session not closed");
        }
    }
}

/// The address media sockets bind: loopback for a loopback server, otherwise the local
/// address the system routes towards the server (a UDP `connect` sends nothing).
fn media_ip(plan: &Plan) -> Result<IpAddr, LoadError> {
    if plan.loopback {
        return Ok(IpAddr::V4(Ipv4Addr::LOCALHOST));
    }
    let probe = std::net::UdpSocket::bind((Ipv4Addr::UNSPECIFIED, 0))?;
    probe.connect((plan.host.as_str(), 9))?;
    Ok(probe.local_addr()?.ip())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_ids_are_numbered() {
        assert_eq!(session_ids(3), ["load-0", "load-1", "load-2"]);
    }
}
