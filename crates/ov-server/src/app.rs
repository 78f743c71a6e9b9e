//! Starting and stopping a deployment: binds the listener, builds the shared state, serves
//! HTTP (or HTTPS) and runs the periodic tasks.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::config::Config;
use crate::domain::Registry;
use crate::domain::turn::DefaultIceServers;
use crate::media::{self, MediaEvent};
use crate::rest::{self, AppState};
use crate::rpc;
use crate::serve::limiter::{ConnectionLimiter, ConnectionStats};
use crate::serve::{self, fd_limit};
use tokio::sync::mpsc::UnboundedReceiver;

/// Why a deployment could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The HTTP port cannot be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// Address asked for.
        addr: SocketAddr,
        /// The OS error.
        source: std::io::Error,
    },
    /// The TLS certificate or key cannot be loaded.
    #[error("cannot load the TLS certificate/key: {0}")]
    Tls(std::io::Error),
    /// The embedded TURN server cannot start.
    #[error(transparent)]
    Turn(#[from] crate::turn::TurnStartError),
    /// Recording is on but cannot work (folder, recorder program, GStreamer).
    #[error("{0}")]
    Recording(String),
    /// The media (UDP) port cannot be bound.
    #[error("cannot bind the media UDP port {addr}: {source}")]
    MediaBind {
        /// Address asked for.
        addr: SocketAddr,
        /// The OS error.
        source: std::io::Error,
    },
}

/// A running deployment. Dropping it does not stop it; call [`RunningServer::shutdown`].
pub struct RunningServer {
    /// Address the HTTP(S) listener is bound to.
    pub local_addr: SocketAddr,
    /// `http(s)://host[:port]` as announced to clients.
    pub public_url: String,
    /// The sessions, for embedding and tests.
    pub registry: Arc<Registry>,
    /// Local address of the media UDP socket.
    pub media_addr: SocketAddr,
    connections: Arc<ConnectionLimiter>,
    /// The embedded TURN server, when enabled.
    pub turn: Option<crate::turn::TurnHandle>,
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl RunningServer {
    /// `http(s)://<local_addr>`: where a local client reaches this server.
    pub fn local_url(&self) -> String {
        let scheme = self.registry.config().http_scheme();
        format!("{scheme}://{}", self.local_addr)
    }

    /// Stops serving and waits for the tasks to end.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        for task in self.tasks {
            let _ = task.await;
        }
    }

    /// Waits until the server stops (it runs until [`RunningServer::shutdown`]).
    pub async fn wait(&mut self) {
        for task in self.tasks.drain(..) {
            let _ = task.await;
        }
    }

    /// The HTTP listener's counters: connections open, refused by each cap, timed out.
    pub fn connection_stats(&self) -> ConnectionStats {
        self.connections.stats()
    }

    /// A handle that stops the server when `true` is sent.
    pub fn stopper(&self) -> watch::Sender<bool> {
        self.stop.clone()
    }
}

/// Installs aws-lc-rs as the process's TLS crypto provider (the one str0m uses too), once.
pub fn install_crypto_provider() {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
}

/// Starts a deployment with `config`.
pub async fn start(config: Config) -> Result<RunningServer, StartError> {
    install_crypto_provider();
    let config = Arc::new(config);
    let listener = TcpListener::bind(config.listen)
        .await
        .map_err(|source| StartError::Bind {
            addr: config.listen,
            source,
        })?;
    let local_addr = listener.local_addr().map_err(|source| StartError::Bind {
        addr: config.listen,
        source,
    })?;
    let authority = config.public_authority(local_addr.port());
    let public_url = format!("{}://{authority}", config.http_scheme());
    let (stop, stopped) = watch::channel(false);
    let mut tasks = Vec::new();

    let media_bind = SocketAddr::new(config.listen.ip(), config.rtc_port);
    let (media_events, media_event_rx) = tokio::sync::mpsc::unbounded_channel();
    let (media, media_tasks) = media::start(media_bind, &config, media_events, stopped.clone())
        .await
        .map_err(|source| StartError::MediaBind {
            addr: media_bind,
            source,
        })?;
    tasks.extend(media_tasks);
    let media_addr = media.local_addr;
    let (event_tx, event_rx) = tokio::sync::mpsc::channel(crate::domain::EVENT_QUEUE);
    let events = if config.webhook.is_some() || config.cdr_path.is_some() {
        crate::domain::EventSink::new(event_tx)
    } else {
        crate::domain::EventSink::default()
    };
    tasks.extend(crate::webhooks::start(&config, event_rx, stopped.clone()));
    let turn = match &config.turn {
        Some(turn_config) => {
            let relay_public = config
                .rtc_advertised_ips
                .first()
                .copied()
                .unwrap_or(config.listen.ip());
            let (handle, turn_tasks) = crate::turn::start(
                turn_config,
                config.listen.ip(),
                config.tls.as_ref(),
                media.media_peers(),
                relay_public,
                stopped.clone(),
            )
            .await?;
            tasks.extend(turn_tasks);
            Some(handle)
        }
        None => None,
    };
    let stun = match &config.stun {
        Some(stun_config) => {
            let (addr, task) = crate::turn::start_stun_only(
                stun_config,
                config.listen.ip(),
                media.media_peers(),
                stopped.clone(),
            )
            .await?;
            tasks.push(task);
            Some(crate::turn::stun_url(&stun_config.host, addr.port()))
        }
        None => None,
    };
    let recordings = Arc::new(
        crate::recording::Recordings::start_up(config.recording.clone())
            .map_err(StartError::Recording)?,
    );
    let registry = Arc::new(Registry::with_recordings(
        config.clone(),
        authority,
        media,
        events,
        recordings.clone(),
    ));
    recordings.attach(&registry, &public_url);
    let default_ice_servers = match (&config.turn, &turn, stun) {
        (Some(turn_config), Some(handle), _) => {
            Some(DefaultIceServers::Turn(crate::domain::turn::EmbeddedTurn {
                urls: crate::turn::urls(&turn_config.host, handle),
                secret: turn_config.secret.clone(),
            }))
        }
        (_, _, Some(url)) => Some(DefaultIceServers::Stun(url)),
        _ => None,
    };
    if let Some(servers) = default_ice_servers {
        registry.services().set_default_ice_servers(servers);
    }
    tasks.push(tokio::spawn(deliver_media_events(
        registry.clone(),
        media_event_rx,
    )));
    let state = AppState::new(registry.clone(), public_url.clone(), local_addr.port());
    let assets = Arc::new(crate::assets::Assets::embedded());
    assets.log_status();
    log_dev_mode(config.dev);
    let dev = config.dev.is_some();
    let (feed, feed_task) = crate::dashboard::Feed::start(registry.clone(), stopped.clone());
    tasks.push(feed_task);
    let app = rest::router(state.clone())
        .merge(crate::recording::files::router(state.clone()))
        .merge(rpc::router(registry.clone()))
        .merge(crate::assets::router(assets, dev))
        .merge(crate::dev::router(registry.clone(), dev))
        .merge(crate::dashboard::router(state, feed));

    let connections = connection_limiter(&config);
    let tls = match &config.tls {
        None => None,
        Some(files) => {
            let tls = axum_server::tls_rustls::RustlsConfig::from_pem_file(
                &files.certificate,
                &files.key,
            )
            .await
            .map_err(StartError::Tls)?;
            Some(tokio_rustls::TlsAcceptor::from(tls.get_inner()))
        }
    };
    tasks.push(tokio::spawn({
        let (connections, stopped) = (connections.clone(), stopped.clone());
        let limits = config.connections.clone();
        async move { serve::serve(listener, tls, app, connections, &limits, stopped).await }
    }));
    let stats_interval = config.connections.runtime_stats_interval;
    if !stats_interval.is_zero() {
        tasks.push(tokio::spawn(serve::stats::log_every(
            stats_interval,
            connections.clone(),
            stopped.clone(),
        )));
    }
    if !config.garbage_interval.is_zero() {
        // OpenVidu's garbage collector: sessions older than
        // OPENVIDU_SESSIONS_GARBAGE_THRESHOLD that nobody ever joined.
        let (registry, threshold) = (registry.clone(), config.garbage_threshold);
        tasks.push(tokio::spawn(every(
            config.garbage_interval,
            stopped.clone(),
            move || {
                registry.sweep_unused_sessions(threshold);
            },
        )));
    }
    if let Some(interval) = config.network_quality_interval {
        let registry = registry.clone();
        tasks.push(tokio::spawn(every(interval, stopped.clone(), move || {
            registry.sample_network_quality(Instant::now())
        })));
    }
    Ok(RunningServer {
        local_addr,
        public_url,
        registry,
        media_addr,
        connections,
        turn,
        stop,
        tasks,
    })
}

/// One line saying whether development mode is on, and why.
fn log_dev_mode(dev: Option<crate::config::DevMode>) {
    use crate::config::DevMode;
    match dev {
        Some(DevMode::DefaultSecret) => tracing::warn!(
            "development mode is on because the default secret MY_SECRET is in use: the call page at / and the unauthenticated /openvidu/dev/ API let anyone who reaches this server join any session; it must be off in production (set OPENVIDU_SECRET, or OPENVIDU_DEV=false)"
        ),
        Some(DevMode::Asked) => tracing::warn!(
            "development mode is on because OPENVIDU_DEV=true: the call page at / and the unauthenticated /openvidu/dev/ API let anyone who reaches this server join any session; it must be off in production"
        ),
        None => {
            tracing::info!("development mode is off (no call page at /, no /openvidu/dev/ API)")
        }
    }
}

/// Raises the file-descriptor limit and sets the connection caps, the global one derived
/// from that limit unless configured.
fn connection_limiter(config: &Config) -> Arc<ConnectionLimiter> {
    let fds = fd_limit::raise();
    let per_address = config.connections.max_connections_per_address;
    let total = config
        .connections
        .max_connections
        .unwrap_or_else(|| fd_limit::default_max_connections(fds.map_or(1024, |l| l.soft)));
    tracing::info!(
        fd_soft_limit = fds.map(|l| l.soft),
        fd_hard_limit = fds.map(|l| l.hard),
        max_connections = total,
        max_connections_per_ip = per_address,
        "file-descriptor limit and HTTP connection caps"
    );
    ConnectionLimiter::new(total, per_address)
}

/// Runs `work` every `interval` (the first time one interval after the start) until
/// `stopped` turns true.
async fn every(interval: Duration, mut stopped: watch::Receiver<bool>, mut work: impl FnMut()) {
    let mut ticker = tokio::time::interval(interval);
    ticker.tick().await;
    loop {
        tokio::select! {
            _ = ticker.tick() => work(),
            _ = stopped.wait_for(|s| *s) => return,
        }
    }
}

/// Hands the media workers' events to the domain, in order: a peer the engine closed
/// ends the stream or subscription it carried.
async fn deliver_media_events(registry: Arc<Registry>, mut events: UnboundedReceiver<MediaEvent>) {
    while let Some(event) = events.recv().await {
        registry.on_media_event(event);
    }
}
