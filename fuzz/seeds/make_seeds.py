#!/usr/bin/env python3
"""Writes the seed corpora of the text targets into fuzz/corpus/<target>/.

The JSON-RPC frames are the shapes openvidu-browser 2.32 sends (../shared/spec/
openvidu-2-protocol.md, the e2e tests), with the real Chromium SDP captured by
seeds/chromium-sdp.html; the REST bodies are what openvidu-node-client 2.32 sends.
The datagram seeds come from a real engine exchange: `cargo run --example capture_seeds`.
"""
import hashlib
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, "..", "corpus")
OFFER = open(os.path.join(HERE, "chromium-offer.sdp"), newline="").read()
ANSWER = open(os.path.join(HERE, "chromium-answer.sdp"), newline="").read()
TOKEN = "wss://localhost:4443?sessionId=ses_Tq4Yb8NmK1&token=tok_RzP0aK9mW3xQ7bLs"


def write(target, data):
    if isinstance(data, str):
        data = data.encode()
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, hashlib.sha1(data).hexdigest()), "wb") as f:
        f.write(data)


def rpc(i, method, params=None):
    m = {"jsonrpc": "2.0", "method": method, "id": i}
    if params is not None:
        m["params"] = params
    return json.dumps(m, separators=(",", ":"))


CON = "con_Rk2Pq9WzTa"
STREAM = "str_CAM_Hw3k_con_Rk2Pq9WzTa"
frames = [
    rpc(0, "ping", {"interval": 5000}),
    rpc(7, "ping"),
    rpc(1, "joinRoom", {"token": TOKEN, "session": "ses_Tq4Yb8NmK1",
                        "platform": "Chrome 156.0.0.0 on Linux 64-bit", "sdkVersion": "2.32.2",
                        "metadata": "{\"clientData\":\"Alice\"}", "secret": "", "recorder": False,
                        "stt": False}),
    rpc(2, "publishVideo", {"audioActive": True, "videoActive": True, "doLoopback": False,
                            "frameRate": 30, "hasAudio": True, "hasVideo": True,
                            "typeOfVideo": "CAMERA",
                            "videoDimensions": "{\"width\":640,\"height\":480}",
                            "sdpOffer": OFFER}),
    rpc(3, "prepareReceiveVideoFrom", {"sender": STREAM, "reconnect": False}),
    rpc(4, "receiveVideoFrom", {"sender": STREAM, "sdpAnswer": ANSWER}),
    rpc(5, "receiveVideoFrom", {"sender": STREAM, "sdpOffer": OFFER}),
    rpc(9, "onIceCandidate", {"endpointName": CON,
                              "candidate": "candidate:842163049 1 udp 1677729535 198.51.100.7 "
                                           "51234 typ srflx raddr 10.0.0.5 rport 51234 "
                                           "generation 0 ufrag Fk2a network-cost 999",
                              "sdpMid": "0", "sdpMLineIndex": 0}),
    rpc(10, "onIceCandidate", {"endpointName": CON, "candidate": "", "sdpMid": "0",
                               "sdpMLineIndex": 0}),
    rpc(11, "sendMessage", {"message": json.dumps({"to": [], "data": "hello",
                                                   "type": "signal:chat"})}),
    rpc(12, "streamPropertyChanged", {"streamId": STREAM, "property": "videoActive",
                                      "newValue": False, "reason": "publishVideo"}),
    rpc(13, "streamPropertyChanged", {"streamId": STREAM, "property": "videoDimensions",
                                      "newValue": "{\"width\":1280,\"height\":720}",
                                      "reason": "screenResized"}),
    rpc(14, "unsubscribeFromVideo", {"sender": CON}),
    rpc(15, "unpublishVideo"),
    rpc(16, "forceDisconnect", {"connectionId": CON}),
    rpc(17, "forceUnpublish", {"streamId": STREAM}),
    rpc(18, "reconnectStream", {"stream": STREAM, "sdpString": OFFER}),
    rpc(19, "videoData", {"height": 480, "width": 640, "videoActive": True,
                          "audioActive": True}),
    rpc(20, "applyFilter", {"streamId": STREAM, "type": "GStreamerFilter",
                            "options": "{\"command\":\"videoflip method=vertical-flip\"}"}),
    rpc(21, "subscribeToSpeechToText", {"connectionId": CON, "lang": "en-US"}),
    rpc(22, "updateSubscription", {"sender": STREAM, "width": 320, "height": 180}),
    rpc(57, "connect", {"sessionId": "f3k9a2m1q8l0v7c6n5b4x3z2p1", "reconnect": True}),
    rpc(58, "leaveRoom"),
    rpc(59, "echo"),
    '{"jsonrpc":"2.0","id":1,"result":{"value":"pong"}}',
    '{"jsonrpc":"1.0","method":"ping","id":1}',
]
for f in frames:
    write("rpc_message", f)

# REST: selector byte, then the body (or query string) as openvidu-node-client sends it.
rest = [
    (0, {"mediaMode": "ROUTED", "recordingMode": "MANUAL", "customSessionId": "ses_A",
         "forcedVideoCodec": "VP8", "allowTranscoding": False,
         "defaultRecordingProperties": {"name": "", "hasAudio": True, "hasVideo": True,
                                        "outputMode": "COMPOSED", "recordingLayout": "BEST_FIT",
                                        "resolution": "1280x720", "frameRate": 25,
                                        "shmSize": 536870912}}),
    (0, {}),
    (1, {"type": "WEBRTC", "data": "{\"clientData\":\"Alice\"}", "record": True,
         "role": "PUBLISHER", "kurentoOptions": {"videoMaxRecvBandwidth": 1000,
                                                 "allowedFilters": ["GStreamerFilter"]}}),
    (1, {"type": "IPCAM", "rtspUri": "rtsp://example.com/cam", "adaptativeBitrate": True,
         "onlyPlayWithSubscribers": True, "networkCache": 2000}),
    (2, {"session": "ses_A", "role": "PUBLISHER", "data": "x",
         "kurentoOptions": {"allowedFilters": []}}),
    (3, {"session": "ses_A", "to": ["con_Rk2Pq9WzTa"], "type": "chat", "data": "hello"}),
]
for sel, body in rest:
    write("rest_request", bytes([sel]) + json.dumps(body, separators=(",", ":")).encode())
for q in ["pendingConnections=true&webRtcStats=false", "webRtcStats", "pendingConnections=x"]:
    write("rest_request", bytes([4]) + q.encode())
write("rest_request", bytes([5]) + b"/api/sessions/ses_A/connection")

for t in [TOKEN, "ws://localhost:4443/?sessionId=ses_A&token=tok_B&role=PUBLISHER",
          "wss://h.example/x?token=tok_1&foo&sessionId=s#frag",
          "ws://h?sessionId=s&secret=MY_SECRET&recorder=true"]:
    write("token_url", t)

# SDP: selector 0 = offer (VP8 preferred), 6 = offer (H.264 only), 1 = answer.
write("sdp", b"\x00" + OFFER.encode())
write("sdp", b"\x06" + OFFER.encode())
write("sdp", b"\x01" + ANSWER.encode())
sub_answer = os.path.join(HERE, "chromium-subscriber-answer.sdp")
if os.path.exists(sub_answer):
    write("sdp", b"\x01" + open(sub_answer, "rb").read())
print("seeds written under", os.path.normpath(CORPUS), file=sys.stderr)
