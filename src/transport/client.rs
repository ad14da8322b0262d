//! The HTTP client, set up like the platform's sender: keep-alive, no redirects.

use anyhow::Result;
use std::time::Duration;

/// A client whose requests give up after `timeout`, keeping up to `pool` idle connections.
///
/// For a plain `http://` target the TLS root store stays empty: loading the system's
/// certificates costs a few milliseconds of start-up (150 files read), which is most of a
/// single `send`, and without redirects such a client never reaches an https URL.
pub fn client(timeout: Duration, pool: usize, https: bool) -> Result<reqwest::Client> {
    let mut builder = reqwest::Client::builder()
        .timeout(timeout)
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(pool)
        .tcp_nodelay(true)
        .user_agent(concat!("deskhook/", env!("CARGO_PKG_VERSION")));
    if !https {
        builder = builder.tls_certs_only([]);
    }
    builder
        .build()
        .map_err(|e| anyhow::anyhow!("cannot set up the HTTP client: {e}"))
}
