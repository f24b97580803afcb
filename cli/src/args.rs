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
    /// Find the faces in every photo not analysed yet
    Faces {
        #[command(flatten)]
        device: DeviceArg,
    },
    /// Show one photo and the faces found in it
    Photo {
        /// The photo's id (from `kindred photos --json`)
        id: i64,
    },
    /// Tell whether two photos show the same person (their largest faces)
    Compare {
        first: PathBuf,
        second: PathBuf,
        /// Same person at cosine similarity at or above this
        #[arg(long, value_name = "COSINE")]
        threshold: Option<f32>,
        #[command(flatten)]
        device: DeviceArg,
    },
    /// Check the compute device, the face models and the library
    Doctor {
        #[command(flatten)]
        device: DeviceArg,
    },
    /// Measure Kindred on labeled photos: verification accuracy on same/different pairs
    Eval {
        /// The folder the paths of the CSV files are relative to
        dir: PathBuf,
        /// Pairs to verify: columns path1,path2,same (1 or 0)
        #[arg(long, value_name = "CSV")]
        pairs: PathBuf,
        #[command(flatten)]
        device: DeviceArg,
    },
    /// Measure the face pipeline: photos per second, and faces per second for embedding alone
    Bench {
        /// Photos to measure on (a folder, searched recursively)
        #[arg(long, value_name = "DIR")]
        photos: PathBuf,
        /// At most this many photos
        #[arg(long, value_name = "N")]
        limit: Option<usize>,
        /// Devices to measure: cpu, gpu, or both side by side
        #[arg(long, default_value = "both", value_parser = ["cpu", "gpu", "both"])]
        on: String,
    },
}

/// `--device`, shared by the commands that run the networks.
#[derive(Debug, clap::Args)]
pub(crate) struct DeviceArg {
    /// Where the face networks run: a GPU when there is one (auto), the GPU, or the CPU
    #[arg(long, default_value = "auto", value_parser = ["auto", "gpu", "cpu"])]
    pub(crate) device: String,
}

fn parse_date(text: &str) -> Result<String, String> {
    kindred_core::parse_date(text).ok_or_else(|| format!("'{text}' is not a date of the form YYYY-MM-DD"))
}
