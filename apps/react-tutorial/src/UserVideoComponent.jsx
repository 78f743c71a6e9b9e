import OpenViduVideoComponent from './OpenViduVideoComponent.jsx';
import './UserVideo.css';

/**
 * The nickname a participant joined with: the connection data is the client data the
 * participant gave to session.connect() (JSON {"clientData": ...}), followed by
 * '%/%' and the server data of its token when the application server set some.
 */
export function nicknameOf(streamManager) {
  const data = streamManager?.stream?.connection?.data ?? '';
  const clientData = data.split('%/%')[0];
  try {
    const parsed = JSON.parse(clientData);
    return typeof parsed?.clientData === 'string' ? parsed.clientData : clientData;
  } catch {
    return clientData;
  }
}

export default function UserVideoComponent({ streamManager }) {
  if (!streamManager) return null;
  return (
    <div className="streamcomponent">
      <OpenViduVideoComponent streamManager={streamManager} />
      <div className="nickname-tag">
        <p className="nickname">{nicknameOf(streamManager)}</p>
      </div>
    </div>
  );
}
