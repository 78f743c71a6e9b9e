//! The entry point: [`OpenVidu`], a handle on one deployment.

use std::sync::Arc;

use base64::Engine;
use ov_protocol::rest::{self, Page, SessionProperties};
use reqwest::{Method, StatusCode};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::{Error, Session};

/// A handle on an OpenVidu deployment (openvidu-rs, or OpenVidu 2.32). Cheap to clone.
#[derive(Debug, Clone)]
pub struct OpenVidu {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    http: reqwest::Client,
    /// `http(s)://host[:port]/openvidu/api`
    api: String,
    authorization: String,
}

impl OpenVidu {
    /// A client of the deployment at `url` (`http(s)://host[:port]`; a path is ignored, as
    /// in OpenVidu's own clients) with the deployment's `secret`.
    ///
    /// ```
    /// # fn main() -> Result<(), openvidu_client::Error> {
    /// use openvidu_client::OpenVidu;
    ///
    /// let openvidu = OpenVidu::new("http://localhost:4443", "MY_SECRET")?;
    /// assert!(OpenVidu::new("localhost:4443", "MY_SECRET").is_err());
    /// # Ok(()) }
    /// ```
    pub fn new(url: &str, secret: &str) -> Result<OpenVidu, Error> {
        let invalid = || Error::InvalidUrl(url.to_owned());
        let (scheme, rest) = url.split_once("://").ok_or_else(invalid)?;
        if scheme != "http" && scheme != "https" {
            return Err(invalid());
        }
        let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
        if authority.is_empty() {
            return Err(invalid());
        }
        // str0m and openvidu-rs use aws-lc-rs; make it the process's TLS provider if none is.
        let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
        let http = reqwest::Client::builder()
            .build()
            .map_err(|e| Error::Transport(e.to_string()))?;
        let credentials =
            base64::engine::general_purpose::STANDARD.encode(format!("OPENVIDUAPP:{secret}"));
        Ok(OpenVidu {
            inner: Arc::new(Inner {
                http,
                api: format!("{scheme}://{authority}/openvidu/api"),
                authorization: format!("Basic {credentials}"),
            }),
        })
    }

    /// Creates a session. With a `custom_session_id` that already exists, returns that
    /// session (OpenVidu answers 409; the existing one is fetched), as OpenVidu's Node and
    /// Java clients do.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), openvidu_client::Error> {
    /// # let server = ov_server::start(ov_server::Config::for_loopback("MY_SECRET")).await.unwrap();
    /// use openvidu_client::{OpenVidu, SessionProperties};
    ///
    /// let url = "http://localhost:4443";
    /// # let url = &server.local_url();
    /// let openvidu = OpenVidu::new(url, "MY_SECRET")?;
    /// let session = openvidu
    ///     .create_session(SessionProperties {
    ///         custom_session_id: Some("SessionA".into()),
    ///         ..Default::default()
    ///     })
    ///     .await?;
    /// assert_eq!(session.id(), "SessionA");
    /// // Again: the same session.
    /// let again = openvidu
    ///     .create_session(SessionProperties { custom_session_id: Some("SessionA".into()), ..Default::default() })
    ///     .await?;
    /// assert_eq!(again.id(), "SessionA");
    /// # server.shutdown().await;
    /// # Ok(()) }
    /// ```
    pub async fn create_session(&self, properties: SessionProperties) -> Result<Session, Error> {
        match self
            .request::<_, rest::Session>(Method::POST, "/sessions", Some(&properties))
            .await
        {
            Ok(s) => Ok(Session::new(self.clone(), s)),
            Err(Error::Status { status: 409, .. }) => {
                let id = properties.custom_session_id.unwrap_or_default();
                self.session(&id).await?.ok_or(Error::Status {
                    status: 404,
                    message: Some(format!("session {id} vanished after a conflict")),
                })
            }
            Err(e) => Err(e),
        }
    }

    /// The session `id`, with its pending and active connections; `None` if it does not
    /// exist.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), openvidu_client::Error> {
    /// # let server = ov_server::start(ov_server::Config::for_loopback("MY_SECRET")).await.unwrap();
    /// # let url = &server.local_url();
    /// # let openvidu = openvidu_client::OpenVidu::new(url, "MY_SECRET")?;
    /// assert!(openvidu.session("nope").await?.is_none());
    /// # server.shutdown().await;
    /// # Ok(()) }
    /// ```
    pub async fn session(&self, id: &str) -> Result<Option<Session>, Error> {
        match self
            .request::<(), rest::Session>(
                Method::GET,
                &format!("/sessions/{id}?pendingConnections=true"),
                None,
            )
            .await
        {
            Ok(s) => Ok(Some(Session::new(self.clone(), s))),
            Err(Error::Status { status: 404, .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Every session of the deployment, with pending and active connections.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), openvidu_client::Error> {
    /// # let server = ov_server::start(ov_server::Config::for_loopback("MY_SECRET")).await.unwrap();
    /// # let url = &server.local_url();
    /// # let openvidu = openvidu_client::OpenVidu::new(url, "MY_SECRET")?;
    /// openvidu.create_session(Default::default()).await?;
    /// let sessions = openvidu.active_sessions().await?;
    /// assert_eq!(sessions.len(), 1);
    /// # server.shutdown().await;
    /// # Ok(()) }
    /// ```
    pub async fn active_sessions(&self) -> Result<Vec<Session>, Error> {
        let page: Page<rest::Session> = self
            .request::<(), _>(Method::GET, "/sessions?pendingConnections=true", None)
            .await?;
        Ok(page
            .content
            .into_iter()
            .map(|s| Session::new(self.clone(), s))
            .collect())
    }

    /// Sends a request; 2xx answers are decoded as `R` (an empty body decodes as `()`
    /// through [`Empty`]).
    pub(crate) async fn request<B: Serialize, R: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<&B>,
    ) -> Result<R, Error> {
        let mut request = self
            .inner
            .http
            .request(method, format!("{}{path}", self.inner.api))
            .header(reqwest::header::AUTHORIZATION, &self.inner.authorization);
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request
            .send()
            .await
            .map_err(|e| Error::Transport(e.to_string()))?;
        let status = response.status();
        let text = response
            .text()
            .await
            .map_err(|e| Error::Transport(e.to_string()))?;
        if !status.is_success() {
            return Err(Error::Status {
                status: status.as_u16(),
                message: error_message(&text),
            });
        }
        let text = if status == StatusCode::NO_CONTENT || text.trim().is_empty() {
            "null"
        } else {
            &text
        };
        serde_json::from_str(text).map_err(|e| Error::Decode(e.to_string()))
    }
}

/// OpenVidu's error body `{..., "message": "..."}`, or the plain text of the answer.
fn error_message(body: &str) -> Option<String> {
    if body.trim().is_empty() {
        return None;
    }
    match serde_json::from_str::<serde_json::Value>(body) {
        Ok(v) => v.get("message").and_then(|m| m.as_str()).map(str::to_owned),
        Err(_) => Some(body.trim().to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        for ok in [
            "http://localhost:4443",
            "https://video.example.com/some/path",
            "http://127.0.0.1:1",
        ] {
            assert!(OpenVidu::new(ok, "s").is_ok(), "{ok}");
        }
        let o = OpenVidu::new("https://video.example.com/x?y", "s").unwrap();
        assert_eq!(o.inner.api, "https://video.example.com/openvidu/api");
        for bad in ["", "localhost", "ws://h", "http://", "ftp://h"] {
            assert!(
                matches!(OpenVidu::new(bad, "s"), Err(Error::InvalidUrl(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn error_messages() {
        assert_eq!(
            error_message(r#"{"status":400,"message":"bad role"}"#).as_deref(),
            Some("bad role")
        );
        assert_eq!(error_message(""), None);
        assert_eq!(error_message("oops\n").as_deref(), Some("oops"));
    }
}
