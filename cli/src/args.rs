//! The command line, declared with clap.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

/// Kindred finds the people in your photos, on your own computer.
#[derive(Debug, Parser)]
#[command(name = "kindred", version, about, long_about = None)]
#[command(
    after_help = "Exit codes: 0 done, 1 error, 2 bad arguments, 3 done but some files have issues, 130 cancelled."
)]
pub(crate) struct Cli {
    /// The library file to use [default: the platform data folder, e.g. ~/.local/share/kindred/library.db]
    #[arg(long, global = true, value_name = "PATH", env = "KINDRED_LIBRARY")]
    pub(crate) library: Option<PathBuf>,

    /// Print machine-readable JSON instead of text
    #[arg(long, global = true)]
    pub(crate) json: bool,

    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Add folders to the library and scan them; with no folder, rescan every folder of the library
    Scan {
        /// Folders of photos
        #[arg(value_name = "DIR")]
        folders: Vec<PathBuf>,
        /// Do not decode images larger than this many megapixels (decompression bombs)
        #[arg(long, default_value_t = 250, value_name = "MP")]
        max_megapixels: u64,
    },
    /// Show what the library holds
    Status,
    /// List photos, newest first
    Photos {
        /// Only photos under this library folder
        #[arg(long, value_name = "DIR")]
        root: Option<PathBuf>,
        /// Only photos taken on or after this date (YYYY-MM-DD)
        #[arg(long, value_name = "DATE", value_parser = parse_date)]
        from: Option<String>,
        /// Only photos taken on or before this date (YYYY-MM-DD)
        #[arg(long, value_name = "DATE", value_parser = parse_date)]
        to: Option<String>,
        /// Only photos with a recorded issue
        #[arg(long)]
        has_issues: bool,
        /// Only photos with this status
        #[arg(long, value_parser = ["ok", "unsupported", "broken", "missing"])]
        status: Option<String>,
        /// At most this many photos
        #[arg(long, value_name = "N")]
        limit: Option<u64>,
    },
    /// List files that could not be read, or that need a look
    Issues,
}

fn parse_date(text: &str) -> Result<String, String> {
    kindred_core::parse_date(text).ok_or_else(|| format!("'{text}' is not a date of the form YYYY-MM-DD"))
}
