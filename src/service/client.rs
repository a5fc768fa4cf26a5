//! Connecting a tonic client to alumni-match: TLS when the address is `https://`,
//! and the API key on every call.

use std::path::Path;

use tonic::{
    service::interceptor::InterceptedService,
    transport::{Certificate, Channel, ClientTlsConfig},
};

use super::ApiKeyInterceptor;

/// A channel that sends the API key with every call; use it with any generated client.
pub type ClientChannel = InterceptedService<Channel, ApiKeyInterceptor>;

/// Connects to `endpoint`. `ca_certificate` (PEM) is the authority to trust for an
/// `https://` endpoint signed by a private CA; without it the system's roots are not
/// consulted, so a private CA must be named.
pub async fn connect(
    endpoint: &str,
    api_key: Option<&str>,
    ca_certificate: Option<&Path>,
) -> Result<ClientChannel, String> {
    let mut builder =
        Channel::from_shared(endpoint.to_owned()).map_err(|e| format!("bad server address {endpoint:?}: {e}"))?;
    if endpoint.starts_with("https://") {
        let mut tls = ClientTlsConfig::new();
        if let Some(path) = ca_certificate {
            let pem = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
            tls = tls.ca_certificate(Certificate::from_pem(pem));
        }
        builder = builder
            .tls_config(tls)
            .map_err(|e| format!("TLS settings for {endpoint}: {e}"))?;
    }
    let channel = builder
        .connect()
        .await
        .map_err(|e| format!("cannot connect to {endpoint}: {e}"))?;
    Ok(InterceptedService::new(channel, ApiKeyInterceptor::new(api_key)?))
}
