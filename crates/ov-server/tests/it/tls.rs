//! HTTPS: with a certificate (from the configuration or the TOML file), the REST API and
//! the WebSocket are served over TLS only, and tokens start with wss://.

use std::path::PathBuf;

use ov_testkit::BrowserPeer;
use ov_testkit::rpc::{RpcClient, publish_params, trusting};
use reqwest::StatusCode;
use serde_json::json;

use crate::support::SECRET;

/// A self-signed certificate for `localhost` and `127.0.0.1`, written as PEM files in a
/// fresh folder.
pub struct Certificate {
    pub dir: PathBuf,
    pub cert: PathBuf,
    pub key: PathBuf,
    pub der: Vec<u8>,
}

impl Certificate {
    pub fn new(name: &str) -> Certificate {
        let dir = std::env::temp_dir().join(format!("ovrs-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = rcgen::CertificateParams::new(vec!["localhost".into(), "127.0.0.1".into()])
            .unwrap()
            .self_signed(&key)
            .unwrap();
        let (cert_path, key_path) = (dir.join("cert.pem"), dir.join("key.pem"));
        std::fs::write(&cert_path, cert.pem()).unwrap();
        std::fs::write(&key_path, key.serialize_pem()).unwrap();
        Certificate {
            dir,
            cert: cert_path,
            key: key_path,
            der: cert.der().to_vec(),
        }
    }

    pub(crate) fn config(&self) -> ov_server::Config {
        let mut config = ov_server::Config::for_loopback(SECRET);
        config.tls = Some(ov_server::config::TlsFiles {
            certificate: self.cert.clone(),
            key: self.key.clone(),
        });
        config
    }
}

/// A certificate and a server started with it.
async fn tls_server(name: &str) -> (Certificate, ov_server::RunningServer) {
    let cert = Certificate::new(name);
    let server = ov_server::start(cert.config())
        .await
        .expect("starts with TLS");
    (cert, server)
}

impl Drop for Certificate {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A client trusting any certificate (the REST checks do not test verification).
fn https() -> reqwest::Client {
    reqwest::Client::builder()
        .danger_accept_invalid_certs(true)
        .build()
        .unwrap()
}

/// Creates session `id` over HTTPS and returns a token of it.
async fn token_over_https(server: &ov_server::RunningServer, id: &str) -> String {
    let base = format!("https://{}/openvidu/api", server.local_addr);
    let res = https()
        .post(format!("{base}/sessions"))
        .basic_auth("OPENVIDUAPP", Some(SECRET))
        .json(&json!({"customSessionId": id}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let res = https()
        .post(format!("{base}/sessions/{id}/connection"))
        .basic_auth("OPENVIDUAPP", Some(SECRET))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let connection: serde_json::Value = res.json().await.unwrap();
    connection["token"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn serves_https_only_and_issues_wss_tokens() {
    let (cert, server) = tls_server("tls").await;
    assert!(server.public_url.starts_with("https://"));
    let token = token_over_https(&server, "secure").await;
    assert!(
        token.starts_with(&format!(
            "wss://127.0.0.1:{}?sessionId=secure&token=tok_",
            server.local_addr.port()
        )),
        "{token}"
    );
    // Plain HTTP is not served on the TLS port, even to a request with credentials: no
    // HTTP response comes back at all (a TLS alert is not one).
    let plain = reqwest::Client::new()
        .get(format!(
            "http://{}/openvidu/api/sessions/secure",
            server.local_addr
        ))
        .basic_auth("OPENVIDUAPP", Some(SECRET))
        .timeout(std::time::Duration::from_secs(5))
        .send()
        .await;
    match plain {
        Ok(res) => panic!("plain HTTP answered {}", res.status()),
        Err(e) => assert!(!e.is_timeout(), "refused, not ignored: {e}"),
    }
    server.shutdown().await;

    // Unreadable key material is a start-up error, not a panic.
    std::fs::write(&cert.key, "not a key").unwrap();
    assert!(ov_server::start(cert.config()).await.is_err());
}

#[tokio::test]
async fn signalling_runs_over_wss() {
    let (cert, server) = tls_server("wss").await;
    let token = token_over_https(&server, "signalled").await;
    let url = format!("wss://{}/openvidu", server.local_addr);
    let tls = trusting(&cert.der).unwrap();
    let mut a = RpcClient::open_tls(&url, tls.clone()).await;
    let joined = a.join_with(&token, "A").await.expect("joinRoom over wss");
    assert_eq!(joined["session"], "signalled");
    assert!(a.connection_id.starts_with("con_"), "{joined}");
    let mut browser = BrowserPeer::default();
    let published = a
        .call(
            "publishVideo",
            publish_params(&browser.publish_offer().unwrap(), 30, 640, 480),
        )
        .await
        .expect("publishVideo over wss");
    browser
        .accept_answer(published["sdpAnswer"].as_str().unwrap())
        .unwrap();
    assert_eq!(
        a.call("ping", json!({})).await.unwrap(),
        json!({"value": "pong"})
    );
    // A plain WebSocket gets nowhere on the TLS port.
    let plain = format!("ws://{}/openvidu", server.local_addr);
    assert!(ov_testkit::rpc::connect(&plain).await.is_err());
    a.close().await;
    server.shutdown().await;
}

#[tokio::test]
async fn tls_is_configured_from_the_toml_file() {
    let cert = Certificate::new("tls-file");
    let file = cert.dir.join("openvidu.toml");
    let toml = format!(
        "openvidu_secret = \"{SECRET}\"\n\
         domain_or_public_ip = \"127.0.0.1\"\n\
         server_address = \"127.0.0.1\"\n\
         server_port = 0\n\
         openvidu_rtc_port = 0\n\
         openvidu_tls_certificate = {:?}\n\
         openvidu_tls_key = {:?}\n",
        cert.cert.display().to_string(),
        cert.key.display().to_string(),
    );
    std::fs::write(&file, toml).unwrap();
    let args = ["openvidu-rs", "--config", file.to_str().unwrap()];
    let config = ov_server::Config::load(args.map(Into::into), |_| None).expect("a valid file");
    assert_eq!(
        config.tls,
        Some(ov_server::config::TlsFiles {
            certificate: cert.cert.clone(),
            key: cert.key.clone(),
        })
    );
    let server = ov_server::start(config).await.expect("starts with TLS");
    assert!(server.local_url().starts_with("https://"));
    let token = token_over_https(&server, "from-file").await;
    assert!(token.starts_with("wss://"), "{token}");
    let url = format!("wss://{}/openvidu", server.local_addr);
    let mut a = RpcClient::open_tls(&url, trusting(&cert.der).unwrap()).await;
    a.join_with(&token, "A").await.expect("joinRoom over wss");
    a.close().await;
    server.shutdown().await;
}
