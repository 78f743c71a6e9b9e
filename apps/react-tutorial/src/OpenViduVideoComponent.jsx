import { useEffect, useRef } from 'react';

/** A <video> that openvidu-browser fills with the stream of `streamManager` (a Publisher or a Subscriber). */
export default function OpenViduVideoComponent({ streamManager }) {
  const videoRef = useRef(null);

  useEffect(() => {
    if (streamManager && videoRef.current) {
      streamManager.addVideoElement(videoRef.current);
    }
  }, [streamManager]);

  return <video autoPlay playsInline ref={videoRef} />;
}
