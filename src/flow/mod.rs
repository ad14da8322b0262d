//! `flow`: whole conversations played as the platform would.
//!
//! A [`Scenario`] is data ([`scenario`]); one run of it is one session ([`play`]): one
//! `SessionId`, user and customer-service account, strictly increasing `EventTime`, unique
//! `MsgKey`s, and each step driven by earlier answers.

mod play;
mod scenario;

pub use play::{Driver, Flow};
pub use scenario::{builtin, Next, Scenario, Step};
