//! `kindred`: every job of the Kindred app, from a terminal.

mod albums;
mod args;
mod commands;
mod faces;
mod names;
mod output;
mod people;
mod progress;
mod watch;

use std::process::ExitCode;

use clap::Parser;

/// Exit codes, documented in `--help`.
pub(crate) mod exit {
    pub(crate) const OK: u8 = 0;
    pub(crate) const ERROR: u8 = 1;
    pub(crate) const WITH_ISSUES: u8 = 3;
    pub(crate) const CANCELLED: u8 = 130;
}

/// Mesa's `VK_LAYER_MESA_device_select` picks the GPU driving the user's display, and on a
/// machine without a desktop session complains about it on stderr at every adapter
/// enumeration. Kindred draws nothing on the GPUs it computes on and chooses among them itself,
/// so the layer is switched off, unless the user set the variable.
#[allow(unsafe_code)]
fn quiet_vulkan_layers() {
    if std::env::var_os("NODEVICE_SELECT").is_none() {
        // SAFETY: called first thing in `main`, before any thread exists that could read the
        // environment at the same time.
        unsafe { std::env::set_var("NODEVICE_SELECT", "1") };
    }
}

fn main() -> ExitCode {
    quiet_vulkan_layers();
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
