//! Delivering callbacks over HTTP: the client ([`client`]), one delivery with its retries
//! and its judged answer ([`deliver`]), and what can go wrong on the way ([`TransportError`]).

mod client;
mod deliver;
mod error;

pub use client::{client, Connection};
pub use deliver::{deliver, Delivery, Policy, Verdict};
pub use error::TransportError;
