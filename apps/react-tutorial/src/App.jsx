import { useCallback, useEffect, useRef, useState } from 'react';
import { OpenVidu } from 'openvidu-browser';

import { getToken } from './api.js';
import UserVideoComponent from './UserVideoComponent.jsx';
import './App.css';

const DEFAULT_SESSION_ID = 'SessionA';
const randomUserName = () => 'Participant' + Math.floor(Math.random() * 100);

// What the camera is published with (the first time and after "Switch camera").
const PUBLISHER_PROPERTIES = {
  audioSource: undefined, // undefined: the default microphone
  videoSource: undefined, // undefined: the default camera
  publishAudio: true,
  publishVideo: true,
  resolution: '640x480',
  frameRate: 30,
  insertMode: 'APPEND',
  mirror: false,
};

async function videoInputs(ov) {
  const devices = await ov.getDevices();
  return devices.filter((device) => device.kind === 'videoinput');
}

function stopTracks(publisher) {
  publisher?.stream
    ?.getMediaStream()
    ?.getTracks()
    .forEach((track) => track.stop());
}

export default function App() {
  // Join form
  const [mySessionId, setMySessionId] = useState(DEFAULT_SESSION_ID);
  const [myUserName, setMyUserName] = useState(randomUserName);
  const [error, setError] = useState(null);

  // The call: re-rendered whenever one of these changes
  const [session, setSession] = useState(undefined);
  const [publisher, setPublisher] = useState(undefined);
  const [subscribers, setSubscribers] = useState([]);
  const [mainStreamManager, setMainStreamManager] = useState(undefined); // the publisher or one of the subscribers
  const [currentVideoDevice, setCurrentVideoDevice] = useState(undefined);

  // The same objects for event handlers and async code, which must not see stale state.
  const ovRef = useRef(null);
  const sessionRef = useRef(undefined);
  const publisherRef = useRef(undefined);
  const switchingRef = useRef(false);

  // Forgets the call (back to the join form); the form keeps what was typed.
  const endCall = useCallback(() => {
    // Disconnecting is enough: OpenVidu unpublishes, unsubscribes and closes everything.
    sessionRef.current?.disconnect();
    ovRef.current = null;
    sessionRef.current = undefined;
    publisherRef.current = undefined;
    setSession(undefined);
    setPublisher(undefined);
    setSubscribers([]);
    setMainStreamManager(undefined);
    setCurrentVideoDevice(undefined);
  }, []);

  const leaveSession = useCallback(() => {
    endCall();
    setMySessionId(DEFAULT_SESSION_ID);
    setMyUserName(randomUserName());
  }, [endCall]);

  // Closing or reloading the tab leaves the session cleanly.
  useEffect(() => {
    window.addEventListener('beforeunload', leaveSession);
    return () => window.removeEventListener('beforeunload', leaveSession);
  }, [leaveSession]);

  const joinSession = async (event) => {
    event?.preventDefault();
    setError(null);

    // 1) The OpenVidu object and 2) a session
    const ov = new OpenVidu();
    const mySession = ov.initSession();
    ovRef.current = ov;
    sessionRef.current = mySession;
    setSession(mySession);
    // false once this session was left (or replaced) while we were waiting for something
    const current = () => sessionRef.current === mySession;

    // 3) What to do on the session's events
    mySession.on('streamCreated', (event) => {
      // Subscribe to every new stream; no target element: our own components show the video.
      const subscriber = mySession.subscribe(event.stream, undefined);
      setSubscribers((subs) => [...subs, subscriber]);
    });

    mySession.on('streamDestroyed', (event) => {
      const gone = event.stream.streamManager;
      setSubscribers((subs) => subs.filter((sub) => sub !== gone));
      // The main video falls back to our own camera when it was showing that stream.
      setMainStreamManager((main) => (main === gone ? publisherRef.current : main));
    });

    mySession.on('exception', (exception) => {
      console.warn(exception);
    });

    try {
      // 4) Connect with a token from the application server. The client data is given to
      //    everybody else with our stream (Stream.connection.data): it carries our nickname.
      const token = await getToken(mySessionId);
      if (!current()) return;
      await mySession.connect(token, { clientData: myUserName });
      if (!current()) {
        mySession.disconnect(); // left while connecting
        return;
      }

      // 5) Our own camera: no target element, we add the <video> elements ourselves
      const newPublisher = await ov.initPublisherAsync(undefined, PUBLISHER_PROPERTIES);
      if (!current()) {
        stopTracks(newPublisher);
        return;
      }

      // 6) Publish it
      await mySession.publish(newPublisher);
      if (!current()) return;

      // The camera in use, for "Switch camera"
      const cameras = await videoInputs(ov);
      const deviceId = newPublisher.stream.getMediaStream().getVideoTracks()[0]?.getSettings().deviceId;

      publisherRef.current = newPublisher;
      setCurrentVideoDevice(cameras.find((device) => device.deviceId === deviceId));
      setPublisher(newPublisher);
      setMainStreamManager(newPublisher);
    } catch (err) {
      // The SDK rejects with an OpenViduError or a JSON-RPC error object ({code, message}).
      console.error('There was an error joining the session:', err?.code, err?.message ?? err);
      if (current()) {
        endCall();
        setError(`Could not join the session: ${err?.message ?? JSON.stringify(err)}`);
      }
    }
  };

  const switchCamera = async () => {
    const ov = ovRef.current;
    const mySession = sessionRef.current;
    const oldPublisher = publisherRef.current;
    if (!ov || !mySession || !oldPublisher || switchingRef.current) return;
    switchingRef.current = true;
    try {
      const cameras = await videoInputs(ov);
      if (cameras.length < 2) return; // nothing to switch to

      // The next camera after the current one (round robin)
      const index = cameras.findIndex((device) => device.deviceId === currentVideoDevice?.deviceId);
      const nextCamera = cameras[(index + 1) % cameras.length];

      // A new Publisher on that camera replaces the old one
      const newPublisher = await ov.initPublisherAsync(undefined, {
        ...PUBLISHER_PROPERTIES,
        videoSource: nextCamera.deviceId,
      });
      if (sessionRef.current !== mySession) {
        stopTracks(newPublisher);
        return;
      }
      await mySession.unpublish(oldPublisher);
      await mySession.publish(newPublisher);

      publisherRef.current = newPublisher;
      setCurrentVideoDevice(nextCamera);
      setPublisher(newPublisher);
      setMainStreamManager((main) => (main === oldPublisher || main === undefined ? newPublisher : main));
    } catch (err) {
      console.error('Switching the camera failed:', err);
    } finally {
      switchingRef.current = false;
    }
  };

  const handleMainVideoStream = (streamManager) => {
    if (mainStreamManager !== streamManager) setMainStreamManager(streamManager);
  };

  if (session === undefined) {
    return (
      <div className="container">
        <div id="join">
          <div id="join-dialog">
            <h1>Join a video session</h1>
            <form onSubmit={joinSession}>
              <p>
                <label htmlFor="userName">Participant: </label>
                <input
                  type="text"
                  id="userName"
                  value={myUserName}
                  onChange={(e) => setMyUserName(e.target.value)}
                  required
                />
              </p>
              <p>
                <label htmlFor="sessionId">Session: </label>
                <input
                  type="text"
                  id="sessionId"
                  value={mySessionId}
                  onChange={(e) => setMySessionId(e.target.value)}
                  required
                />
              </p>
              <p className="text-center">
                <input className="btn btn-success" id="buttonJoin" name="commit" type="submit" value="JOIN" />
              </p>
            </form>
            {error ? (
              <p id="join-error" role="alert">
                {error}
              </p>
            ) : null}
          </div>
        </div>
      </div>
    );
  }

  return (
    <div className="container">
      <div id="session">
        <div id="session-header">
          <h1 id="session-title">{mySessionId}</h1>
          <input className="btn btn-danger" type="button" id="buttonLeaveSession" onClick={leaveSession} value="Leave session" />
          <input className="btn btn-success" type="button" id="buttonSwitchCamera" onClick={switchCamera} value="Switch camera" />
        </div>

        {mainStreamManager !== undefined ? (
          <div id="main-video" data-stream-id={mainStreamManager.stream.streamId}>
            {/* a new <video> for every stream shown here */}
            <UserVideoComponent key={mainStreamManager.stream.streamId} streamManager={mainStreamManager} />
          </div>
        ) : null}

        <div id="video-container">
          {publisher !== undefined ? (
            <div
              key={publisher.stream.streamId}
              className="stream-container"
              data-role="publisher"
              data-stream-id={publisher.stream.streamId}
              onClick={() => handleMainVideoStream(publisher)}
            >
              <UserVideoComponent streamManager={publisher} />
            </div>
          ) : null}
          {subscribers.map((sub) => (
            <div
              key={sub.stream.streamId}
              className="stream-container"
              data-role="subscriber"
              data-stream-id={sub.stream.streamId}
              onClick={() => handleMainVideoStream(sub)}
            >
              <UserVideoComponent streamManager={sub} />
            </div>
          ))}
        </div>
      </div>
    </div>
  );
}
