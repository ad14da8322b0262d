//! `deskhook flow` (in progress).
use crate::cli::{FlowArgs, FlowsArgs};
use crate::exit::Code;
pub fn run(_args: FlowArgs) -> anyhow::Result<Code> {
    anyhow::bail!("flow is not built yet")
}
pub fn list(_args: FlowsArgs) -> anyhow::Result<Code> {
    anyhow::bail!("flows is not built yet")
}
