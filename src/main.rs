//! The `deskhook` binary: parse the command line, run, and turn the outcome into an exit code.
//! Everything else lives in the library so that tests can drive it in-process.

use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = deskhook::cli::parse();
    deskhook::term::init_color(cli.color);
    match deskhook::run(cli) {
        Ok(code) => code.into(),
        Err(err) => deskhook::exit::report(&err).into(),
    }
}
