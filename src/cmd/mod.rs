//! One file per command: each lowers its parsed flags into domain types and runs them.
//! What several commands share (the target of a run, engine options, reading inputs) is in
//! [`common`] and [`input`].

pub mod audit;
pub mod common;
pub mod completions;
pub mod events;
pub mod flow;
pub mod flows;
pub mod input;
pub mod listen;
pub mod replay;
pub mod schema;
pub mod send;
pub mod sign;
pub mod validate;
pub mod verify;
