//! `deskhook replay` (in progress).
use crate::cli::ReplayArgs;
use crate::exit::Code;
pub fn run(_args: ReplayArgs) -> anyhow::Result<Code> {
    anyhow::bail!("replay is not built yet")
}
