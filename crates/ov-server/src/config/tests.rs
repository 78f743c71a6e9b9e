use super::*;

fn load(args: &[&str], env: &[(&str, &str)]) -> Result<Config, ConfigError> {
    let env: HashMap<String, String> = env
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let argv = std::iter::once("openvidu-rs").chain(args.iter().copied());
    Config::load(argv.map(Into::into), |k| env.get(k).cloned())
}

use std::collections::HashMap;

#[test]
fn defaults_work_on_a_laptop() {
    let c = load(&[], &[]).unwrap();
    assert_eq!(c.secret, "MY_SECRET");
    assert!(c.default_secret_in_use);
    assert_eq!(c.listen, "127.0.0.1:4443".parse().unwrap());
    assert_eq!(c.public_authority(4443), "localhost:4443");
    assert_eq!(c.rtc_port, 4443);
    assert_eq!(c.rtc_advertised_ips, vec![IpAddr::V4(Ipv4Addr::LOCALHOST)]);
    assert_eq!(c.garbage_interval, Duration::from_secs(900));
    assert_eq!(c.garbage_threshold, Duration::from_secs(3600));
    assert_eq!(c.rtc_peer_timeout, Duration::from_secs(30));
    assert!(c.webhook.is_none());
    assert!(c.tls.is_none());
    assert_eq!(c.http_scheme(), "http");
}

#[test]
fn environment_beats_file_and_flags_beat_environment() {
    let dir = std::env::temp_dir().join(format!("ovrs-config-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("c.toml");
    std::fs::write(
        &file,
        "openvidu_secret = \"FROM_FILE\"\nhttps_port = 5000\nopenvidu_webhook_events = [\"sessionCreated\"]\n",
    )
    .unwrap();
    let f = file.to_str().unwrap();
    let c = load(&["--config", f], &[]).unwrap();
    assert_eq!(c.secret, "FROM_FILE");
    assert_eq!(c.listen.port(), 5000);
    let c = load(&["--config", f], &[("OPENVIDU_SECRET", "FROM_ENV")]).unwrap();
    assert_eq!(c.secret, "FROM_ENV");
    assert!(!c.default_secret_in_use);
    let c = load(
        &["--config", f, "--secret", "FROM_FLAG"],
        &[("OPENVIDU_SECRET", "FROM_ENV")],
    )
    .unwrap();
    assert_eq!(c.secret, "FROM_FLAG");
    std::fs::write(&file, "no_such_key = 1\n").unwrap();
    let err = load(&["--config", f], &[]).unwrap_err().to_string();
    assert!(err.contains("unknown key 'no_such_key'"), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn bad_values_name_the_key_and_origin() {
    let err = load(&[], &[("HTTPS_PORT", "70000")])
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("HTTPS_PORT") && err.contains("environment"),
        "{err}"
    );
    let err = load(&["--secret", "has space"], &[])
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("OPENVIDU_SECRET") && err.contains("--secret"),
        "{err}"
    );
    assert!(
        !err.contains("has space"),
        "the secret must not be echoed: {err}"
    );
    let err = load(&[], &[("OPENVIDU_WEBHOOK", "true")])
        .unwrap_err()
        .to_string();
    assert!(err.contains("OPENVIDU_WEBHOOK_ENDPOINT"), "{err}");
    let err = load(&[], &[("OPENVIDU_CDR", "maybe")])
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("OPENVIDU_CDR") && err.contains("true or false"),
        "{err}"
    );
    let err = load(&[], &[("OPENVIDU_STREAMS_FORCED_VIDEO_CODEC", "H265")])
        .unwrap_err()
        .to_string();
    assert!(err.contains("VP8"), "{err}");
    let err = load(&["--tls-certificate", "c.pem"], &[])
        .unwrap_err()
        .to_string();
    assert!(err.contains("OPENVIDU_TLS_KEY"), "{err}");
    assert!(!err.contains('\n'), "one line: {err}");
}

#[test]
fn webhook_settings_parse() {
    let c = load(
        &[],
        &[
            ("OPENVIDU_WEBHOOK", "true"),
            ("OPENVIDU_WEBHOOK_ENDPOINT", "http://127.0.0.1:7777/hook"),
            ("OPENVIDU_WEBHOOK_HEADERS", "[\"Authorization: Basic abc\"]"),
            (
                "OPENVIDU_WEBHOOK_EVENTS",
                "[\"sessionCreated\",\"signalSent\"]",
            ),
        ],
    )
    .unwrap();
    let w = c.webhook.unwrap();
    assert_eq!(
        w.headers,
        vec![("Authorization".into(), "Basic abc".into())]
    );
    assert_eq!(w.events, vec!["sessionCreated", "signalSent"]);
    let err = load(
        &[],
        &[
            ("OPENVIDU_WEBHOOK", "true"),
            ("OPENVIDU_WEBHOOK_ENDPOINT", "http://h"),
            ("OPENVIDU_WEBHOOK_EVENTS", "[\"nope\"]"),
        ],
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("unknown event 'nope'"), "{err}");
}

#[test]
fn ports_behind_a_proxy() {
    let c = load(&[], &[("SERVER_PORT", "5443"), ("HTTPS_PORT", "443")]).unwrap();
    assert_eq!(c.listen.port(), 5443);
    assert_eq!(c.public_authority(5443), "localhost:443");
    let c = load(&["--port", "0"], &[]).unwrap();
    assert_eq!(c.public_authority(31337), "localhost:31337");
    let c = Config::for_loopback("S");
    assert_eq!(c.public_authority(1234), "127.0.0.1:1234");
    assert_eq!(c.rtc_port, 0);
}

#[test]
fn ice_servers_from_openvidu_syntax() {
    let c = load(
        &[],
        &[(
            "OPENVIDU_WEBRTC_ICE_SERVERS",
            "[\"url=turn:turn.example.com:3478,username=u,credential=p\",\"url=stun:stun.example.com\"]",
        )],
    )
    .unwrap();
    assert_eq!(c.webrtc_ice_servers.len(), 2);
    assert_eq!(c.webrtc_ice_servers[0].username.as_deref(), Some("u"));
    let err = load(&[], &[("OPENVIDU_WEBRTC_ICE_SERVERS", "[\"url=turn:h\"]")])
        .unwrap_err()
        .to_string();
    assert!(err.contains("credentials"), "{err}");
}

#[test]
fn lan_domain_binds_every_interface() {
    let c = load(&[], &[("DOMAIN_OR_PUBLIC_IP", "192.0.2.10")]).unwrap();
    assert_eq!(c.listen.ip(), IpAddr::V4(Ipv4Addr::UNSPECIFIED));
    assert_eq!(
        c.rtc_advertised_ips,
        vec!["192.0.2.10".parse::<IpAddr>().unwrap()]
    );
}

#[test]
fn help_lists_every_setting() {
    let help = layers::command().render_long_help().to_string();
    for s in SETTINGS {
        assert!(help.contains(s.env), "{} missing from --help", s.env);
        assert!(help.contains(&format!("--{}", s.flag)));
    }
}

#[test]
fn media_workers() {
    let c = load(&["--rtc-workers", "4", "--rtc-port", "40000"], &[]).unwrap();
    assert_eq!((c.rtc_workers, c.rtc_port), (4, 40000));
    assert_eq!(load(&[], &[]).unwrap().rtc_workers, 1);
    for bad in ["0", "257", "x"] {
        let err = load(&["--rtc-workers", bad], &[]).unwrap_err().to_string();
        assert!(err.contains("OPENVIDU_RTC_WORKERS"), "{err}");
    }
    let err = load(&["--rtc-workers", "3", "--rtc-port", "65535"], &[])
        .unwrap_err()
        .to_string();
    assert!(err.contains("ports"), "{err}");
}

#[test]
fn the_peer_timeout_is_whole_seconds_and_at_least_one() {
    let c = load(&["--rtc-peer-timeout", "3"], &[]).unwrap();
    assert_eq!(c.rtc_peer_timeout, Duration::from_secs(3));
    let e = load(&[], &[("OPENVIDU_RTC_PEER_TIMEOUT", "0")])
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("OPENVIDU_RTC_PEER_TIMEOUT") && e.contains("at least 1 second"),
        "{e}"
    );
    assert!(load(&["--rtc-peer-timeout", "soon"], &[]).is_err());
}

#[test]
fn ice_tcp_is_on_by_default_beside_the_http_port() {
    // The default setup: HTTP and UDP media both on 4443, so TCP media takes 4444.
    assert_eq!(load(&[], &[]).unwrap().rtc_tcp, RtcTcp::Port(4444));
    let c = load(&["--rtc-workers", "2"], &[]).unwrap();
    assert_eq!(c.rtc_tcp, RtcTcp::Port(4445));
    // A media port of its own: TCP on the same number.
    let c = load(&["--rtc-port", "40000"], &[]).unwrap();
    assert_eq!(c.rtc_tcp, RtcTcp::SameAsUdp);
    assert_eq!(Config::for_loopback("S").rtc_tcp, RtcTcp::SameAsUdp);
    // Off, or a port of its own.
    let c = load(&[], &[("OPENVIDU_RTC_TCP", "false")]).unwrap();
    assert_eq!(c.rtc_tcp, RtcTcp::Off);
    let c = load(&["--rtc-tcp-port", "443"], &[]).unwrap();
    assert_eq!(c.rtc_tcp, RtcTcp::Port(443));
    for (args, wanted) in [
        (&["--rtc-tcp-port", "4443"][..], "HTTP listen port"),
        (
            &["--rtc-tcp-port", "4442", "--rtc-workers", "2"][..],
            "HTTP listen port",
        ),
        (
            &["--rtc-tcp-port", "65535", "--rtc-workers", "2"][..],
            "more ports",
        ),
        (&["--rtc-tcp-port", "x"][..], "OPENVIDU_RTC_TCP_PORT"),
        (&["--rtc-tcp", "maybe"][..], "OPENVIDU_RTC_TCP"),
    ] {
        let e = load(args, &[]).unwrap_err().to_string();
        assert!(e.contains(wanted), "{args:?}: {e}");
    }
}

#[test]
fn with_turn_off_a_stun_only_server_takes_its_port_and_host() {
    let c = load(&["--turn", "false"], &[]).unwrap();
    assert!(c.turn.is_none());
    let stun = c.stun.expect("the STUN-only stand-in");
    assert_eq!((stun.port, stun.host.as_str()), (3478, "localhost"));
    let c = load(
        &[
            "--turn",
            "false",
            "--port",
            "0",
            "--turn-host",
            "stun.example.com",
        ],
        &[],
    )
    .unwrap();
    let stun = c.stun.unwrap();
    assert_eq!((stun.port, stun.host.as_str()), (0, "stun.example.com"));
    assert!(
        load(&[], &[]).unwrap().stun.is_none(),
        "not while TURN is on"
    );
}

#[test]
fn the_embedded_turn_server_is_on_by_default_on_3478_without_tls() {
    let c = load(&[], &[]).unwrap();
    let turn = c.turn.expect("on by default");
    assert_eq!(turn.port, 3478);
    assert_eq!(turn.tls_port, None);
    assert_eq!(turn.host, "localhost");
    assert_eq!(turn.secret, "MY_SECRET");
    assert_eq!((turn.user_quota, turn.max_allocations), (100, 1000));
    // An ephemeral listen port makes the default TURN port ephemeral; an explicit one stays.
    assert_eq!(load(&["--port", "0"], &[]).unwrap().turn.unwrap().port, 0);
    assert_eq!(
        load(&["--port", "0", "--turn-port", "5000"], &[])
            .unwrap()
            .turn
            .unwrap()
            .port,
        5000
    );
    let c = load(
        &["--turn-tls-port", "5349", "--turn-host", "turn.example.com"],
        &[("COTURN_SHARED_SECRET_KEY", "other")],
    )
    .unwrap();
    let turn = c.turn.unwrap();
    assert_eq!(turn.tls_port, Some(5349));
    assert_eq!(turn.host, "turn.example.com");
    assert_eq!(turn.secret, "other");
    assert!(load(&["--turn", "false"], &[]).unwrap().turn.is_none());
    assert!(Config::for_loopback("s").turn.is_none(), "tests opt in");
    let err = load(&["--turn-tls-port", "3478"], &[])
        .unwrap_err()
        .to_string();
    assert!(err.contains("OPENVIDU_TURN_TLS_PORT"), "{err}");
    let err = load(&["--turn-user-quota", "0"], &[])
        .unwrap_err()
        .to_string();
    assert!(err.contains("OPENVIDU_TURN_USER_QUOTA"), "{err}");
}

#[test]
fn development_mode_follows_the_default_secret_unless_set() {
    assert_eq!(load(&[], &[]).unwrap().dev, Some(DevMode::DefaultSecret));
    assert_eq!(load(&["--secret", "S3"], &[]).unwrap().dev, None);
    assert_eq!(
        load(&["--secret", "S3"], &[("OPENVIDU_DEV", "true")])
            .unwrap()
            .dev,
        Some(DevMode::Asked)
    );
    assert_eq!(load(&["--dev", "false"], &[]).unwrap().dev, None);
    assert_eq!(
        load(&["--dev", ""], &[]).unwrap().dev,
        Some(DevMode::DefaultSecret)
    );
    let err = load(&["--dev", "yes"], &[]).unwrap_err().to_string();
    assert!(
        err.contains("OPENVIDU_DEV") && err.contains("true or false"),
        "{err}"
    );
}

#[test]
fn network_quality_is_sampled_every_5_s_unless_turned_off_and_the_pause_is_off() {
    let c = load(&[], &[]).unwrap();
    assert_eq!(c.network_quality_interval, Some(Duration::from_secs(5)));
    assert!(!c.streams.congestion_pause);
    let c = load(
        &[
            "--network-quality-interval",
            "2",
            "--webrtc-congestion-pause",
            "true",
        ],
        &[],
    )
    .unwrap();
    assert_eq!(c.network_quality_interval, Some(Duration::from_secs(2)));
    assert!(c.streams.congestion_pause);
    let c = load(&[], &[("OPENVIDU_PRO_NETWORK_QUALITY", "false")]).unwrap();
    assert_eq!(c.network_quality_interval, None);
    let e = load(&[], &[("OPENVIDU_PRO_NETWORK_QUALITY_INTERVAL", "0")]).unwrap_err();
    assert!(
        e.to_string()
            .contains("OPENVIDU_PRO_NETWORK_QUALITY_INTERVAL")
            && e.to_string().contains("at least 1 second"),
        "{e}"
    );
}
