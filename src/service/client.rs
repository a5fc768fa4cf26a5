//! Connecting a tonic client to alumni-match: TLS when the address is `https://`,
//! and the API key on every call.

use std::path::{Path, PathBuf};

use indicatif::{ProgressBar, ProgressStyle};
use tonic::{
    service::interceptor::InterceptedService,
    transport::{Certificate, Channel, ClientTlsConfig},
};

use super::ApiKeyInterceptor;

/// A channel that sends the API key with every call; use it with any generated client.
pub type ClientChannel = InterceptedService<Channel, ApiKeyInterceptor>;

/// Where `serve` leaves the admin key it issues at first start, readable by its
/// owner only, so local client commands work without copying it around.
pub const ADMIN_KEY_FILE: &str = "admin.key";

/// How a client command reaches the server.
#[derive(Debug, Clone, clap::Args)]
pub struct Connection {
    /// Server address; `https://` for a server with TLS.
    #[arg(long, env = "ALUMNI_MATCH_SERVER", default_value = "http://127.0.0.1:50051")]
    pub server: String,
    /// API key [default: the admin key a local server wrote to <data-dir>/admin.key
    /// at its first start].
    #[arg(long, env = "ALUMNI_MATCH_API_KEY", hide_env_values = true)]
    pub api_key: Option<String>,
    /// Data directory of a local server, where its first-start admin key is.
    #[arg(long, default_value = "alumni-data")]
    pub data_dir: PathBuf,
    /// PEM certificate of the authority that signed the server's certificate.
    #[arg(long)]
    pub ca_certificate: Option<PathBuf>,
}

impl Connection {
    /// The key to send: the flag or environment, else the local admin key file if
    /// there is one, else none (for a server without authentication).
    pub fn api_key(&self) -> Result<Option<String>, String> {
        if let Some(key) = &self.api_key {
            return Ok(Some(key.trim().to_owned()));
        }
        let path = self.data_dir.join(ADMIN_KEY_FILE);
        match std::fs::read_to_string(&path) {
            Ok(text) => Ok(Some(text.trim().to_owned())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(format!("{}: {e}", path.display())),
        }
    }

    /// Connects with this connection's address, key and certificate authority.
    pub async fn connect(&self) -> Result<ClientChannel, String> {
        let key = self.api_key()?;
        connect(&self.server, key.as_deref(), self.ca_certificate.as_deref()).await
    }
}

/// Connects to `endpoint`. `ca_certificate` (PEM) is the authority to trust for an
/// `https://` endpoint signed by a private CA; without it the system's roots are not
/// consulted, so a private CA must be named.
pub async fn connect(
    endpoint: &str,
    api_key: Option<&str>,
    ca_certificate: Option<&Path>,
) -> Result<ClientChannel, String> {
    let endpoint = &with_scheme(endpoint);
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
        .map_err(|e| format!("cannot connect to {endpoint}: {}", cause_chain(&e)))?;
    Ok(InterceptedService::new(channel, ApiKeyInterceptor::new(api_key)?))
}

/// `host:port` as `http://host:port`; an address with a scheme as given.
pub fn with_scheme(endpoint: &str) -> String {
    if endpoint.contains("://") {
        endpoint.to_owned()
    } else {
        format!("http://{endpoint}")
    }
}

/// An error and every cause under it, "outer: inner: innermost", each said
/// once (transport errors often repeat their source in their own message).
pub fn cause_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let said = cause.to_string();
        if !text.contains(&said) {
            text.push_str(": ");
            text.push_str(&said);
        }
        source = cause.source();
    }
    text
}

/// A progress bar with one of the command line's templates (indicatif's syntax).
pub fn styled_bar(length: u64, template: &str) -> ProgressBar {
    let bar = ProgressBar::new(length);
    bar.set_style(
        ProgressStyle::with_template(template)
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    bar
}

#[cfg(test)]
mod tests {
    #[test]
    fn addresses_without_a_scheme_mean_http() {
        assert_eq!(super::with_scheme("127.0.0.1:50051"), "http://127.0.0.1:50051");
        assert_eq!(
            super::with_scheme("https://match.example:443"),
            "https://match.example:443"
        );
    }

    #[tokio::test]
    async fn a_refused_connection_says_why() {
        // Port 1 on loopback: nothing listens there.
        let Err(message) = super::connect("127.0.0.1:1", None, None).await else {
            panic!("connected to port 1");
        };
        assert!(
            message.starts_with("cannot connect to http://127.0.0.1:1: "),
            "{message}"
        );
        assert!(
            message.to_lowercase().contains("refused"),
            "the cause is named: {message}"
        );
    }
}
