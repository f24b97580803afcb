//! `kindred`: every job of the Kindred app, from a terminal.

mod args;
mod commands;
mod faces;
mod names;
mod output;
mod people;
mod progress;

use std::process::ExitCode;

use clap::Parser;

/// Exit codes, documented in `--help`.
pub(crate) mod exit {
    pub(crate) const OK: u8 = 0;
    pub(crate) const ERROR: u8 = 1;
    pub(crate) const WITH_ISSUES: u8 = 3;
    pub(crate) const CANCELLED: u8 = 130;
}

fn main() -> ExitCode {
    let cli = args::Cli::parse();
    match commands::run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(error) => {
            // A closed pipe (`kindred photos | head`) is a normal way for output to end.
            if output::is_broken_pipe(&error) {
                return ExitCode::from(exit::OK);
            }
            let cancelled = error
                .downcast_ref::<kindred_core::Error>()
                .is_some_and(|e| e.kind() == kindred_core::ErrorKind::Cancelled);
            eprintln!("kindred: {error:#}");
            ExitCode::from(if cancelled { exit::CANCELLED } else { exit::ERROR })
        }
    }
}
