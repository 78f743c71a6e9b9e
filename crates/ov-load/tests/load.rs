//! Tiny loads against an in-process server: every subscription must receive video.

use std::time::{Duration, Instant};

use clap::Parser;
use ov_load::{Args, Summary};

/// Starts a server, runs `openvidu-load` with `extra` arguments against it, checks that
/// the run cleaned up after itself, and returns the summary.
async fn load(extra: &[&str]) -> (Summary, Vec<String>) {
    load_with(ov_server::Config::for_loopback("S"), extra).await
}

async fn load_with(config: ov_server::Config, extra: &[&str]) -> (Summary, Vec<String>) {
    let server = ov_server::start(config).await.expect("server starts");
    let url = server.local_url();
    let pid = std::process::id().to_string();
    let base = [
        "openvidu-load",
        "--url",
        &url,
        "--secret",
        "S",
        "--server-pid",
        &pid,
    ];
    let args = Args::parse_from(base.iter().chain(extra));
    let plan = args.plan().expect("a valid plan");
    let began = Instant::now();
    let mut lines = Vec::new();
    let summary = ov_load::run(&plan, |l| lines.push(l.to_owned()))
        .await
        .expect("the run completes");
    println!("{}\n{}", lines.join("\n"), summary.render());
    assert!(began.elapsed() < plan.duration + Duration::from_secs(4));
    assert_eq!(
        server.registry.list_sessions(false, false).content.len(),
        0,
        "sessions left behind"
    );
    server.shutdown().await;
    (summary, lines)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_participants_all_receive_each_other() {
    let (summary, lines) = load(&["--rooms", "1", "--participants", "3", "--duration", "4"]).await;
    let text = summary.render();
    assert_eq!(lines.len(), 4, "one line a second");
    let t = &summary.totals;
    assert_eq!((t.joined, t.published, t.subscribed), (3, 3, 6), "{text}");
    assert_eq!(t.subscriptions_with_video, 6, "{text}");
    assert_eq!(t.failures, 0, "{text}");
    assert!(summary.passed());
    // 3 publishers at 15 fps for ~4 s, each seen by 2 subscribers: most frames arrive.
    assert!(
        summary.video_ratio().expect("frames expected") > 0.8,
        "{text}"
    );
    assert!(t.audio_frames_rx > 0, "{text}");
    let steady = summary.steady.expect("averages");
    assert!(
        steady.server_cores.is_some(),
        "the server's process was sampled"
    );
}

/// One publisher and two subscribers for `secs` with `flags`; checks both subscriptions
/// got video and returns the summary and its text.
async fn one_to_two(secs: &str, flags: &[&str]) -> (Summary, String) {
    let base = [
        "--participants",
        "3",
        "--publishers",
        "1",
        "--duration",
        secs,
    ];
    let args: Vec<&str> = base.iter().chain(flags).copied().collect();
    let (summary, _) = load(&args).await;
    let text = summary.render();
    let t = &summary.totals;
    assert_eq!((t.published, t.subscribed), (1, 2), "{text}");
    assert_eq!(t.subscriptions_with_video, 2, "{text}");
    (summary, text)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn light_subscribers_count_frames_from_rtp_headers() {
    let (summary, text) = one_to_two("3", &["--light"]).await;
    assert!(
        summary.video_ratio().expect("frames expected") > 0.8,
        "{text}"
    );
    assert!(summary.totals.audio_frames_rx > 0, "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn simulcast_publishers_reach_each_subscriber_once() {
    let (summary, text) = one_to_two("4", &["--simulcast"]).await;
    // Three layers are sent; each subscription gets one of them: about one frame per frame
    // sent, not three.
    let ratio = summary.video_ratio().expect("frames expected");
    assert!((0.8..=1.05).contains(&ratio), "{text}");
    assert_eq!(summary.totals.failures, 0, "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_spread_over_media_workers_all_deliver() {
    let mut config = ov_server::Config::for_loopback("S");
    config.rtc_workers = 2;
    let (summary, _) = load_with(
        config,
        &["--rooms", "4", "--participants", "2", "--duration", "4"],
    )
    .await;
    let text = summary.render();
    let t = &summary.totals;
    assert_eq!((t.joined, t.subscribed), (8, 8), "{text}");
    assert_eq!(t.subscriptions_with_video, 8, "{text}");
    assert!(summary.passed(), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn simulcast_with_a_slow_subscriber_link_gives_it_a_lower_layer() {
    // Layers of 112, 300 and 900 kbit/s; the last participant receives through 300 kbit/s.
    let (summary, text) = one_to_two(
        "12",
        &[
            "--simulcast",
            "--video-kbps",
            "900",
            "--slow-subscribers",
            "1",
            "--slow-kbps",
            "300",
        ],
    )
    .await;
    assert_eq!(summary.totals.failures, 0, "{text}");
    let [free, slow] = summary.steady.expect("averages").links;
    assert_eq!((free.subscriptions, slow.subscriptions), (1, 1), "{text}");
    let (free_kbps, slow_kbps) = (free.kbps_each.unwrap(), slow.kbps_each.unwrap());
    // The slow link gets a layer it carries (the lowest, 112 kbit/s, fits; the middle one
    // does not with its audio and the allocator's headroom), the free one far more (its
    // estimate takes a few seconds to reach the top layer, so the average is below 900).
    assert!(slow_kbps < 250.0, "the slow link: {text}");
    assert!(free_kbps > 2.5 * slow_kbps, "the free link: {text}");
    // Both keep receiving every frame of their layer.
    for link in [free, slow] {
        assert!(link.video_ratio.unwrap() > 0.9, "{text}");
    }
    assert!(text.contains("links: free 1 subscriptions"), "{text}");
}
