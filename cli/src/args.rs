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
    /// Remove a folder from the library: it is no longer scanned and its photos leave lists and
    /// searches; names and corrections are kept and come back if the folder is added again
    RemoveFolder { folder: PathBuf },
    /// Show or choose where this library's face networks run (auto, gpu or cpu)
    Device {
        #[arg(value_parser = ["auto", "gpu", "cpu"])]
        choice: Option<String>,
    },
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
    /// List the videos in the library's folders (Live Photo videos with their photo)
    Videos,
    /// Find the faces in every photo not analysed yet
    Faces {
        #[command(flatten)]
        device: DeviceArg,
    },
    /// Keep the library in step with its folders until Ctrl-C: photos added, changed, moved or
    /// deleted are read, their faces found and placed, within seconds
    Watch {
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
    /// Measure Kindred on labeled photos: the people it finds (--labels) and verification accuracy (--pairs)
    Eval {
        /// The folder the paths of the CSV files are relative to
        dir: PathBuf,
        /// Who each photo's main face is: columns path,identity. Runs the whole pipeline in a throwaway library
        #[arg(long, value_name = "CSV", required_unless_present = "pairs")]
        labels: Option<PathBuf>,
        /// Pairs to verify: columns path1,path2,same (1 or 0)
        #[arg(long, value_name = "CSV")]
        pairs: Option<PathBuf>,
        /// With --labels: confirm K faces of each of P people, fine-tune, and compare grouping before and after (PxK, e.g. 40x10)
        #[arg(long, value_name = "PxK", requires = "labels", value_parser = parse_people_by_faces)]
        finetune: Option<(usize, usize)>,
        /// With --labels: a user names the largest group of each labeled person, then answers the review questions from the labels until 99% of the main faces are right; reports answers per 100 faces
        #[arg(long, requires = "labels", conflicts_with_all = ["finetune", "pairs"])]
        simulate_user: bool,
        /// With --labels: confirm K faces of each person under their name, add the other photos, and report the precision and coverage of the faces put on named people
        #[arg(long, value_name = "K", requires = "labels", conflicts_with = "finetune")]
        name: Option<usize>,
        /// With --name: leave every other person unnamed, as strangers whose faces must get no name
        #[arg(long, requires = "name")]
        strangers: bool,
        /// Only the labeled people at even or odd places of the sorted identities (settings chosen on one half, measured on the other)
        #[arg(long, value_parser = ["all", "even", "odd"], default_value = "all", requires = "labels")]
        half: String,
        #[command(flatten)]
        grouping: GroupingArgs,
        #[command(flatten)]
        device: DeviceArg,
    },
    /// List people and the unnamed groups of faces found so far
    People {
        /// Show hidden people too
        #[arg(long)]
        hidden: bool,
        /// List the faces that are with nobody yet instead (people seen once); name one with `kindred move FACE --to NAME`
        #[arg(long, conflicts_with = "hidden")]
        alone: bool,
    },
    /// Show one person (an id or a name) and their faces
    Person { person: String },
    /// Group every face into people again (names and corrections are kept); options change the setting
    Cluster {
        #[command(flatten)]
        grouping: GroupingArgs,
    },
    /// Name or rename a person (an id or a name)
    Name { person: String, name: String },
    /// Make several people one: the others join the first
    Merge {
        into: String,
        #[arg(required = true)]
        from: Vec<String>,
    },
    /// Say that faces are a person (--to an id or a name; a new name makes a new person), or split them off (--new)
    Move {
        #[arg(required = true, value_name = "FACE")]
        faces: Vec<i64>,
        #[arg(long, value_name = "PERSON", required_unless_present = "new", conflicts_with = "new")]
        to: Option<String>,
        #[arg(long)]
        new: bool,
    },
    /// "Not this person": take faces away from the person they are with, for good
    Remove {
        #[arg(required = true, value_name = "FACE")]
        faces: Vec<i64>,
    },
    /// "Not a face": take detections out of people for good
    NotAFace {
        #[arg(required = true, value_name = "FACE")]
        faces: Vec<i64>,
    },
    /// Hide a person from listings (their faces stay theirs)
    Hide { person: String },
    /// Show a hidden person again
    Unhide { person: String },
    /// Choose the face shown for a person
    Cover { person: String, face: i64 },
    /// Give a person a birth date: no photo taken before it is theirs, and their page shows their age in each photo
    BirthDate {
        person: String,
        /// YYYY-MM-DD
        #[arg(value_parser = parse_date, required_unless_present = "clear")]
        date: Option<String>,
        /// Forget the birth date
        #[arg(long, conflicts_with = "date")]
        clear: bool,
    },
    /// Undo the last change to people (again to go further back)
    Undo,
    /// Questions "is this X?" whose answers fix the most faces, most useful first
    Review {
        #[arg(long, default_value_t = 20, value_name = "N")]
        limit: usize,
    },
    /// Answer a review question: kindred answer yes|no face:ID|group:ID PERSON
    Answer {
        #[arg(value_parser = ["yes", "no"])]
        answer: String,
        /// face:ID or group:ID, as `kindred review` shows
        subject: String,
        person: String,
    },
    /// Write the names of people's faces to XMP sidecars beside the photos (the photos are never changed)
    WriteXmp {
        /// Sidecar names: photo.jpg.xmp (append) or photo.xmp (replace); remembered for the library
        #[arg(long, value_parser = ["append", "replace"])]
        sidecar: Option<String>,
        /// Also faces Kindred placed with a named person itself, not only the confirmed ones
        #[arg(long)]
        include_suggested: bool,
    },
    /// Adapt face recognition to your named people (triplet loss), then regroup; kept only if it does better
    Finetune {
        /// Margin of the triplet loss
        #[arg(long, default_value_t = 0.2)]
        margin: f32,
        /// Most passes over the labeled faces (training stops earlier when validation stops improving)
        #[arg(long, default_value_t = 40)]
        epochs: usize,
        /// Seed of every random choice (the same seed gives the same model)
        #[arg(long, default_value_t = 20_261_124)]
        seed: u64,
        /// Go back to the base model (names and corrections are kept)
        #[arg(long, conflicts_with = "use_model")]
        use_base: bool,
        /// Switch to an earlier fine-tuned model (a file name in the library's .models folder)
        #[arg(long = "use", value_name = "FILE")]
        use_model: Option<String>,
        #[command(flatten)]
        device: DeviceArg,
    },
    /// Back up every name, confirmed face, correction and setting to a JSON file
    Export {
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
    /// Restore a backup made by `kindred export` into this (new, scanned) library
    Import {
        file: PathBuf,
        /// Restore what concerns the photos of this library and leave out the rest
        #[arg(long)]
        partial: bool,
    },
    /// Photos with people: all of them (default), any (--any) or only them (--only); in an album or a folder; newest first
    #[command(group = clap::ArgGroup::new("what").required(true).multiple(true).args(["people", "album", "folder"]))]
    Search {
        /// A person (an id or a name); repeat for several
        #[arg(long = "person", value_name = "PERSON")]
        people: Vec<String>,
        /// Photos with any of the people rather than all of them
        #[arg(long, conflicts_with = "only")]
        any: bool,
        /// Photos with all of the people and nobody else (named or not)
        #[arg(long, requires = "people")]
        only: bool,
        /// Only photos in this album (an id or a name)
        #[arg(long, value_name = "ALBUM")]
        album: Option<String>,
        /// Only photos in this folder or below it
        #[arg(long, value_name = "DIR")]
        folder: Option<PathBuf>,
        /// Only photos taken on or after this date (YYYY-MM-DD)
        #[arg(long, value_name = "DATE", value_parser = parse_date)]
        from: Option<String>,
        /// Only photos taken on or before this date (YYYY-MM-DD)
        #[arg(long, value_name = "DATE", value_parser = parse_date)]
        to: Option<String>,
        #[arg(long, value_name = "N")]
        limit: Option<u64>,
    },
    /// List your albums, and the library's folders (albums nested as on disk)
    Albums,
    /// Make, rename or delete an album, or add and take out photos (the photos themselves are never touched)
    Album {
        #[command(subcommand)]
        action: AlbumAction,
    },
    /// Hide every unnamed group with fewer than N photos (one change: `kindred undo` shows them again)
    HideSmall {
        #[arg(value_name = "N")]
        photos: u64,
    },
    /// Add a face Kindred missed: its box in pixels of the photo as shown (see `kindred photo`)
    DrawFace {
        photo: i64,
        x: f32,
        y: f32,
        width: f32,
        height: f32,
        /// Name it at once (an id or a name; a new name makes a new person)
        #[arg(long, value_name = "PERSON")]
        name: Option<String>,
        #[command(flatten)]
        device: DeviceArg,
    },
    /// Measure the face pipeline (--photos), grouping people at library scale (--people), or fine-tuning (--finetune)
    Bench {
        /// Photos to measure on (a folder, searched recursively, or a text file listing photos)
        #[arg(long, value_name = "DIR", required_unless_present_any = ["people", "finetune"])]
        photos: Option<PathBuf>,
        /// Measure the people passes on synthetic libraries of this many faces (e.g. 10000 100000)
        #[arg(long, value_name = "FACES", num_args = 1.., conflicts_with = "photos")]
        people: Vec<usize>,
        /// Keep the synthetic library of the last --people size in this file (to open it in the app)
        #[arg(long, value_name = "FILE", requires = "people")]
        keep: Option<PathBuf>,
        /// Measure fine-tuning on this many synthetic labeled faces (e.g. 1000 10000)
        #[arg(long, value_name = "FACES", num_args = 1.., conflicts_with_all = ["photos", "people"])]
        finetune: Vec<usize>,
        /// At most this many photos
        #[arg(long, value_name = "N")]
        limit: Option<usize>,
        /// Devices to measure: cpu, gpu, or both side by side
        #[arg(long, default_value = "both", value_parser = ["cpu", "gpu", "both"])]
        on: String,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum AlbumAction {
    /// Make an album, with photos (ids) in it if given
    Create {
        name: String,
        #[arg(value_name = "PHOTO")]
        photos: Vec<i64>,
    },
    /// Rename an album (an id or a name)
    Rename { album: String, name: String },
    /// Put photos (ids) in an album
    Add {
        album: String,
        #[arg(required = true, value_name = "PHOTO")]
        photos: Vec<i64>,
    },
    /// Take photos (ids) out of an album
    Remove {
        album: String,
        #[arg(required = true, value_name = "PHOTO")]
        photos: Vec<i64>,
    },
    /// Delete an album (its photos stay in the library; `kindred undo` brings it back)
    Delete { album: String },
}

/// How faces are grouped into people.
#[derive(Debug, clap::Args)]
pub(crate) struct GroupingArgs {
    /// Cosine distance under which groups of faces merge (default: the library's setting, 0.65 at first)
    #[arg(long, value_name = "DISTANCE")]
    pub(crate) threshold: Option<f32>,
    /// How the distance of two groups is measured
    #[arg(long, value_parser = ["average", "centroid"])]
    pub(crate) linkage: Option<String>,
}

/// `--device`, shared by the commands that run the networks.
#[derive(Debug, clap::Args)]
pub(crate) struct DeviceArg {
    /// Where the face networks run: a GPU when there is one (auto), the GPU, or the CPU
    /// [default: the library's choice (`kindred device`), else auto]
    #[arg(long, value_parser = ["auto", "gpu", "cpu"])]
    pub(crate) device: Option<String>,
}

impl DeviceArg {
    /// The device given, else the one the library's owner chose.
    pub(crate) fn or_library_choice(
        &self,
        library: &kindred_core::Library,
    ) -> kindred_core::Result<kindred_core::Device> {
        match self.device.as_deref().and_then(kindred_core::Device::parse) {
            Some(device) => Ok(device),
            None => library.device_setting(),
        }
    }
}

fn parse_date(text: &str) -> Result<String, String> {
    kindred_core::parse_date(text).ok_or_else(|| format!("'{text}' is not a date of the form YYYY-MM-DD"))
}

fn parse_people_by_faces(text: &str) -> Result<(usize, usize), String> {
    let (p, k) =
        text.split_once('x').ok_or_else(|| format!("'{text}' is not of the form PxK, e.g. 40x10"))?;
    let parse = |v: &str| {
        v.trim().parse::<usize>().map_err(|_| format!("'{text}' is not of the form PxK, e.g. 40x10"))
    };
    Ok((parse(p)?, parse(k)?))
}
