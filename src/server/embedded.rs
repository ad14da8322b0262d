//! The in-process receiver of `send` and `flow` without `--to`: a receiver on a free loopback
//! port, on its own runtime thread (so the engine's lanes can block the calling thread),
//! verifying what the sender signs and answering the documented success envelopes. It stops
//! when dropped.

use super::{start, Config, Server};
use crate::callback::Identity;
use anyhow::Result;
use std::time::Duration;
use url::Url;

/// A running in-process receiver.
pub struct Embedded {
    rt: Option<tokio::runtime::Runtime>,
    server: Option<Server>,
    pub url: Url,
}

impl Embedded {
    /// Start a receiver that checks `identity`'s SdkAppid and token.
    pub fn start(identity: &Identity) -> Result<Embedded> {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()?;
        let cfg = Config {
            sdkappid: Some(identity.sdkappid.clone()),
            token: identity.token.clone(),
            ..Default::default()
        };
        let server = rt.block_on(start("127.0.0.1", 0, cfg))?;
        let url = Url::parse(&server.url())?;
        Ok(Embedded {
            rt: Some(rt),
            server: Some(server),
            url,
        })
    }
}

impl Drop for Embedded {
    fn drop(&mut self) {
        if let (Some(rt), Some(server)) = (self.rt.take(), self.server.take()) {
            rt.block_on(server.shutdown(Duration::from_millis(100)));
            rt.shutdown_background();
        }
    }
}
