//! The certificate of the TURN TLS listener: the deployment's own when it has one
//! (`OPENVIDU_TLS_CERTIFICATE`/`_KEY`), otherwise a self-signed one made at start.
//! Browsers check TURNS certificates like any other: a self-signed one is refused by
//! Chromium, so TLS only helps with a real certificate for `COTURN_IP`.

use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::TlsAcceptor;

use crate::config::TlsFiles;

/// A TLS acceptor for `host`.
pub fn acceptor(files: Option<&TlsFiles>, host: &str) -> Result<TlsAcceptor, String> {
    let (chain, key) = match files {
        Some(files) => {
            let chain = CertificateDer::pem_file_iter(&files.certificate)
                .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
                .map_err(|e| format!("{}: {e}", files.certificate.display()))?;
            let key = PrivateKeyDer::from_pem_file(&files.key)
                .map_err(|e| format!("{}: {e}", files.key.display()))?;
            (chain, key)
        }
        None => {
            let made = rcgen::generate_simple_self_signed(vec![host.to_owned()])
                .map_err(|e| e.to_string())?;
            let key = PrivateKeyDer::try_from(made.signing_key.serialize_der())
                .map_err(|e| e.to_string())?;
            (vec![made.cert.der().clone()], key)
        }
    };
    let config = rustls::ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|e| e.to_string())?;
    Ok(TlsAcceptor::from(Arc::new(config)))
}
