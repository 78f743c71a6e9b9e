//! `forcedVideoCodec` and `allowTranscoding`: a publisher gets the forced codec only, an
//! offer without it fails with OpenVidu's code 800 unless the session allows transcoding.

use serde_json::{Value, json};

use ov_testkit::BrowserPeer;
use ov_testkit::rpc::{RpcClient, publish_params};

use crate::support::TestServer;

/// The encoding names of the video section of `sdp`.
fn video_codecs(sdp: &str) -> Vec<String> {
    let video = sdp.split("m=video").nth(1).unwrap_or_default();
    let video = video.split("m=").next().unwrap_or_default();
    video
        .lines()
        .filter_map(|l| l.strip_prefix("a=rtpmap:"))
        .filter_map(|l| l.split([' ', '/']).nth(1))
        .map(str::to_owned)
        .filter(|c| c != "rtx")
        .collect()
}

/// Joins a session created with `props` as a publisher and publishes an offer of str0m's
/// (VP8 only, audio and video unless `video` is false).
async fn publish_in(t: &TestServer, props: Value, video: bool) -> Result<Value, (i64, String)> {
    let sid = t.new_session(props).await;
    let mut c = RpcClient::join(&t.ws_url(), &t.token(&sid, "PUBLISHER").await, "P").await;
    let offer = BrowserPeer::default().offer(true, video).unwrap();
    let mut params = publish_params(&offer, 30, 640, 480);
    params["hasVideo"] = json!(video);
    c.call("publishVideo", params)
        .await
        .map_err(|e| (e.code, e.message))
}

#[tokio::test]
async fn a_forced_codec_is_the_only_one_and_its_absence_is_error_800() {
    let t = TestServer::start().await;
    let answer = publish_in(&t, json!({"forcedVideoCodec": "VP8"}), true)
        .await
        .expect("VP8 is offered");
    assert_eq!(video_codecs(answer["sdpAnswer"].as_str().unwrap()), ["VP8"]);

    for forced in ["VP9", "H264", "AV1"] {
        let (code, message) = publish_in(&t, json!({"forcedVideoCodec": forced}), true)
            .await
            .expect_err("the offer has no such codec");
        assert_eq!(code, 800, "{forced}: {message}");
        assert!(
            message.contains(forced) && message.contains("allowTranscoding"),
            "{message}"
        );
    }
    // Without video the forced codec does not matter.
    publish_in(&t, json!({"forcedVideoCodec": "VP9"}), false)
        .await
        .expect("audio only");
    // allowTranscoding lets the offer through with its own codec, as OpenVidu does.
    let answer = publish_in(
        &t,
        json!({"forcedVideoCodec": "VP9", "allowTranscoding": true}),
        true,
    )
    .await
    .expect("allowed");
    assert_eq!(video_codecs(answer["sdpAnswer"].as_str().unwrap()), ["VP8"]);
    t.stop().await;
}
