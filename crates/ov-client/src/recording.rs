//! Recording calls, as OpenVidu's Node client has them (`startRecording`,
//! `stopRecording`, `getRecording`, `listRecordings`, `deleteRecording`).

use ov_protocol::rest::{Recording, RecordingProperties};
use reqwest::Method;
use serde::Deserialize;

use crate::{Error, OpenVidu};

/// `GET /recordings` answers `{count, items}`.
#[derive(Deserialize)]
struct RecordingList {
    items: Vec<Recording>,
}

impl OpenVidu {
    /// Starts recording session `session_id` (it needs a connected participant); the
    /// recording comes back `started`. Errors as OpenVidu's: 404 no such session, 406
    /// nobody connected, 409 already recording, 422 bad properties, 501 recording off.
    pub async fn start_recording(
        &self,
        session_id: &str,
        properties: RecordingProperties,
    ) -> Result<Recording, Error> {
        let body = RecordingProperties {
            session: Some(session_id.to_owned()),
            ..properties
        };
        self.request(Method::POST, "/recordings/start", Some(&body))
            .await
    }

    /// Stops recording `id`; it comes back `stopped` or `ready` (404 unknown, 406 still
    /// starting).
    pub async fn stop_recording(&self, id: &str) -> Result<Recording, Error> {
        self.request::<(), _>(Method::POST, &format!("/recordings/stop/{id}"), None)
            .await
    }

    /// Recording `id`, or `None` if there is none.
    pub async fn recording(&self, id: &str) -> Result<Option<Recording>, Error> {
        match self
            .request::<(), _>(Method::GET, &format!("/recordings/{id}"), None)
            .await
        {
            Ok(r) => Ok(Some(r)),
            Err(Error::Status { status: 404, .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Every recording of the deployment (running and finished).
    pub async fn recordings(&self) -> Result<Vec<Recording>, Error> {
        let list: RecordingList = self
            .request::<(), _>(Method::GET, "/recordings", None)
            .await?;
        Ok(list.items)
    }

    /// Deletes recording `id` and its files (404 unknown, 409 still running).
    pub async fn delete_recording(&self, id: &str) -> Result<(), Error> {
        self.request::<(), ()>(Method::DELETE, &format!("/recordings/{id}"), None)
            .await
    }
}
