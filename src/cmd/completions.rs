//! `deskhook completions`: the shell completion scripts committed under `completions/`.

use crate::cli::{Cli, CompletionsArgs};
use crate::exit::Code;
use anyhow::Result;
use clap::CommandFactory;
use std::io::Write;

/// The completion script for one shell, as bytes.
pub fn script(shell: clap_complete::Shell) -> Vec<u8> {
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "deskhook", &mut out);
    out
}

pub fn run(args: CompletionsArgs) -> Result<Code> {
    std::io::stdout().lock().write_all(&script(args.shell))?;
    Ok(Code::Ok)
}
