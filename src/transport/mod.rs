//! Delivering callbacks over HTTP: the client ([`client`]), one delivery with its retries
//! and its judged answer ([`deliver`]), and what can go wrong on the way ([`TransportError`]).

mod client;
mod deliver;
mod error;
mod plain;

pub use client::{client, reqwest_client, Client, Connection};
pub use deliver::{deliver, Delivery, Policy, Verdict};
pub use error::TransportError;
