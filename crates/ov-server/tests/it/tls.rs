//! HTTPS: with a certificate, the REST API and the WebSocket are served over TLS and tokens
//! start with wss://.

use reqwest::StatusCode;

use crate::support::SECRET;

#[tokio::test]
async fn serves_https_and_issues_wss_tokens() {
    let dir = std::env::temp_dir().join(format!("ovrs-tls-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = rcgen::CertificateParams::new(vec!["localhost".into(), "127.0.0.1".into()])
        .unwrap()
        .self_signed(&key)
        .unwrap();
    let cert_path = dir.join("cert.pem");
    let key_path = dir.join("key.pem");
    std::fs::write(&cert_path, cert.pem()).unwrap();
    std::fs::write(&key_path, key.serialize_pem()).unwrap();

    let mut config = ov_server::Config::for_loopback(SECRET);
    config.tls = Some(ov_server::config::TlsFiles {
        certificate: cert_path.clone(),
        key: key_path.clone(),
    });
    let server = ov_server::start(config).await.expect("starts with TLS");
    assert!(server.public_url.starts_with("https://"));
    let http = reqwest::Client::builder()
        .danger_accept_invalid_certs(true)
        .build()
        .unwrap();
    let base = format!("https://{}/openvidu/api", server.local_addr);
    let res = http
        .post(format!("{base}/sessions"))
        .basic_auth("OPENVIDUAPP", Some(SECRET))
        .json(&serde_json::json!({"customSessionId": "secure"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let res = http
        .post(format!("{base}/sessions/secure/connection"))
        .basic_auth("OPENVIDUAPP", Some(SECRET))
        .send()
        .await
        .unwrap();
    let connection: serde_json::Value = res.json().await.unwrap();
    let token = connection["token"].as_str().unwrap();
    assert!(
        token.starts_with(&format!(
            "wss://127.0.0.1:{}?sessionId=secure&token=tok_",
            server.local_addr.port()
        )),
        "{token}"
    );
    // Plain HTTP is not served on the TLS port.
    let plain = reqwest::get(format!(
        "http://{}/openvidu/api/sessions",
        server.local_addr
    ))
    .await;
    assert!(plain.map(|r| !r.status().is_success()).unwrap_or(true));
    server.shutdown().await;

    // Unreadable key material is a start-up error, not a panic.
    std::fs::write(&key_path, "not a key").unwrap();
    let mut config = ov_server::Config::for_loopback(SECRET);
    config.tls = Some(ov_server::config::TlsFiles {
        certificate: cert_path,
        key: key_path,
    });
    assert!(ov_server::start(config).await.is_err());
    std::fs::remove_dir_all(&dir).unwrap();
}
