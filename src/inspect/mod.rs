//! `listen --inspect`: a web page beside the receiver that shows every exchange as it arrives,
//! explains it (body folded with each violation at its path, the credential check, the
//! answer), and sends it again.
//!
//! The receiver knows nothing of it: `listen`'s view hook hands each finished exchange to the
//! [`Hub`] (a bounded ring and a broadcast; see `hub.rs` for what that costs), and without
//! `--inspect` there is no hub and no hook. The page is plain HTML, CSS and one script,
//! embedded in the binary (`page/`); it talks to the JSON API of [`api`] on its own loopback
//! port, under the guards of [`guard`] (per-run key, `Host`, cross-site checks).
//!
//! - `hub.rs`: what is held; `history.rs`: the `--save` capture's last lines at start;
//! - `view.rs`: what the page reads of an exchange; `conversation.rs`: who speaks, what text;
//! - `commands.rs`: copy as curl / `deskhook send`; `resend.rs`: Replay;
//! - `api.rs`: the routes and the event stream; `guard.rs`: who may call them.

mod api;
mod commands;
mod conversation;
mod guard;
mod history;
mod hub;
mod resend;
mod view;

#[cfg(test)]
pub(crate) mod testing;

pub use history::Loaded;
pub use hub::Hub;

use crate::secret::Secret;
use crate::transport::Connection;
use anyhow::{Context, Result};
use hyper_util::rt::{TokioIo, TokioTimer};
use std::convert::Infallible;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::watch;
use url::Url;

/// Everything the inspector needs besides its hub.
pub struct Options {
    /// Where to bind (`listen --host`).
    pub host: String,
    /// `--inspect-port`; 0 picks a free one.
    pub port: u16,
    /// The receiver's URL: copied commands send there.
    pub listen: Url,
    /// listen's `--token`: Replay signs with it; it is never shown.
    pub token: Option<Secret>,
    /// `--forward-to`: a Replay target.
    pub forward: Option<Url>,
    /// Replay's timeout (listen's `--timeout`).
    pub timeout: Duration,
    /// What `load_history` found.
    pub history: Loaded,
    /// listen's connection flags for `--forward-to` (`--header`, `--cacert`, `--insecure`):
    /// a Replay to the backend uses them too.
    pub connection: Connection,
}

/// Read the last `last` exchanges of a `--save` capture into the hub.
pub fn load_history(hub: &Hub, path: &Path, last: usize) -> Result<Loaded> {
    history::load(hub, path, last)
}

/// Whether `host` (`listen --host`) keeps the inspector on this machine.
pub fn is_loopback(host: &str) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    bare.eq_ignore_ascii_case("localhost")
        || bare.parse::<IpAddr>().is_ok_and(|ip| match ip {
            // `::ffff:127.0.0.1` is 127.0.0.1 in IPv6 dress.
            IpAddr::V6(v6) => v6
                .to_ipv4_mapped()
                .map_or(v6.is_loopback(), |v4| v4.is_loopback()),
            IpAddr::V4(v4) => v4.is_loopback(),
        })
}

/// A running inspector.
pub struct Inspector {
    pub addr: SocketAddr,
    key: String,
    shutdown: watch::Sender<bool>,
    accept: tokio::task::JoinHandle<()>,
}

impl Inspector {
    /// The page's URL, with the per-run key in its fragment (browsers never send a fragment to
    /// a server: only the page reads it).
    pub fn url(&self) -> String {
        let ip = match self.addr.ip() {
            IpAddr::V4(v4) if v4.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
            IpAddr::V6(v6) if v6.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
            ip => ip,
        };
        format!(
            "http://{}/#key={}",
            SocketAddr::new(ip, self.addr.port()),
            self.key
        )
    }

    /// Stop accepting and close the page's connections (its event stream never ends by itself).
    pub fn shutdown(self) {
        let _ = self.shutdown.send(true);
        self.accept.abort();
    }
}

/// Bind the inspector and start serving `hub`.
pub async fn start(hub: Arc<Hub>, opts: Options) -> Result<Inspector> {
    let listener = TcpListener::bind((opts.host.as_str(), opts.port))
        .await
        .with_context(|| format!("cannot serve the inspector on {}:{}", opts.host, opts.port))?;
    let addr = listener.local_addr()?;
    let key = uuid::Uuid::new_v4().simple().to_string();
    let app = Arc::new(api::App::new(hub, &opts, key.clone(), addr.port()));
    let (shutdown, rx) = watch::channel(false);
    let accept = tokio::spawn(accept_loop(listener, app, rx));
    Ok(Inspector {
        addr,
        key,
        shutdown,
        accept,
    })
}

async fn accept_loop(listener: TcpListener, app: Arc<api::App>, shutdown: watch::Receiver<bool>) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        };
        let _ = stream.set_nodelay(true);
        let app = app.clone();
        let mut shutdown = shutdown.clone();
        tokio::spawn(async move {
            let svc = hyper::service::service_fn(move |req| {
                let app = app.clone();
                async move { Ok::<_, Infallible>(api::handle(req, app).await) }
            });
            let mut builder = hyper::server::conn::http1::Builder::new();
            builder
                .timer(TokioTimer::new())
                .header_read_timeout(Duration::from_secs(10));
            let conn = builder.serve_connection(TokioIo::new(stream), svc);
            tokio::select! {
                _ = conn => {}
                _ = shutdown.changed() => {}
            }
        });
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn loopback_hosts() {
        for h in [
            "127.0.0.1",
            "::1",
            "[::1]",
            "localhost",
            "127.0.0.2",
            "::ffff:127.0.0.1",
        ] {
            assert!(super::is_loopback(h), "{h}");
        }
        for h in [
            "0.0.0.0",
            "::",
            "192.168.1.5",
            "devbox.lan",
            "::ffff:10.0.0.1",
        ] {
            assert!(!super::is_loopback(h), "{h}");
        }
    }
}
