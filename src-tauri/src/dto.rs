//! What crosses the IPC boundary: plain, serialisable shapes of the core's types, in the words
//! the UI uses. `cargo test -p kindred-app` (part of `scripts/test`) regenerates their
//! TypeScript twins in `ui/src/bindings/`, and CI fails when the committed copies differ.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// Every command fails with this one shape; the UI branches on `code`.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub(crate) struct AppError {
    pub(crate) code: ErrorCode,
    /// A sentence for the user.
    pub(crate) message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub(crate) enum ErrorCode {
    Database,
    SchemaTooNew,
    Io,
    NotFound,
    InvalidInput,
    Model,
    Cancelled,
    /// Another long job is running; only one runs at a time.
    Busy,
    /// A bug in Kindred itself.
    Internal,
}

impl From<kindred_core::Error> for AppError {
    fn from(error: kindred_core::Error) -> AppError {
        use kindred_core::ErrorKind as K;
        let code = match error.kind() {
            K::Database => ErrorCode::Database,
            K::SchemaTooNew => ErrorCode::SchemaTooNew,
            K::Io => ErrorCode::Io,
            K::NotFound => ErrorCode::NotFound,
            K::InvalidInput => ErrorCode::InvalidInput,
            K::Model => ErrorCode::Model,
            K::Cancelled => ErrorCode::Cancelled,
            _ => ErrorCode::Internal,
        };
        AppError { code, message: error.to_string() }
    }
}

impl AppError {
    pub(crate) fn new(code: ErrorCode, message: impl Into<String>) -> AppError {
        AppError { code, message: message.into() }
    }
}

/// The library window's header: where the library is and what it holds.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub(crate) struct LibraryInfo {
    pub(crate) path: String,
    pub(crate) folders: Vec<Folder>,
    pub(crate) photos: u32,
    pub(crate) issues: u32,
    /// The long job running now, if any.
    pub(crate) running_job: Option<JobKind>,
}

#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub(crate) struct Folder {
    pub(crate) path: String,
    pub(crate) photos: u32,
    pub(crate) last_scan: Option<String>,
}

#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub(crate) struct FileIssue {
    pub(crate) path: String,
    /// A stable identifier (`unreadable`, `corrupt`, `bad_metadata`, ...).
    pub(crate) kind: String,
    /// `error` or `warning`.
    pub(crate) severity: String,
    pub(crate) message: String,
}

/// A person or an unnamed group, as a card of the People grid.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub(crate) struct PersonCard {
    #[ts(type = "number")]
    pub(crate) id: i64,
    /// `null` for a group nobody named yet.
    pub(crate) name: Option<String>,
    pub(crate) hidden: bool,
    pub(crate) faces: u32,
    pub(crate) confirmed: u32,
    pub(crate) photos: u32,
    #[ts(type = "number | null")]
    pub(crate) cover_face: Option<i64>,
    /// `YYYY-MM-DD`, when the user gave it.
    pub(crate) birth_date: Option<String>,
}

impl From<kindred_core::Person> for PersonCard {
    fn from(p: kindred_core::Person) -> PersonCard {
        PersonCard {
            id: p.id,
            name: p.name,
            hidden: p.hidden,
            faces: count(p.faces),
            confirmed: count(p.confirmed),
            photos: count(p.photos),
            cover_face: p.cover_face_id,
            birth_date: p.birth_date,
        }
    }
}

/// How a face came to be with its person.
#[derive(Debug, Clone, Copy, Serialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub(crate) enum Placement {
    /// The user said so.
    User,
    /// Recognised from the person's confirmed faces.
    Match,
    /// Grouped by clustering.
    Cluster,
}

impl From<kindred_core::Assignment> for Placement {
    fn from(a: kindred_core::Assignment) -> Placement {
        match a {
            kindred_core::Assignment::User => Placement::User,
            kindred_core::Assignment::Match => Placement::Match,
            _ => Placement::Cluster,
        }
    }
}

#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub(crate) struct FaceCard {
    #[ts(type = "number")]
    pub(crate) id: i64,
    #[ts(type = "number")]
    pub(crate) photo_id: i64,
    pub(crate) placement: Placement,
}

#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub(crate) struct PersonDetail {
    pub(crate) person: PersonCard,
    pub(crate) faces: Vec<FaceCard>,
}

/// A photo as a cell of a grid.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub(crate) struct PhotoCard {
    #[ts(type = "number")]
    pub(crate) id: i64,
    pub(crate) file_name: String,
    /// Local date and time it was taken (`YYYY-MM-DDTHH:MM:SS`), when known.
    pub(crate) taken_at: Option<String>,
}

impl From<kindred_core::PhotoRow> for PhotoCard {
    fn from(p: kindred_core::PhotoRow) -> PhotoCard {
        PhotoCard { id: p.id, file_name: file_name(&p.path), taken_at: p.taken_at }
    }
}

/// One page of a photo listing, newest first.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub(crate) struct PhotoPage {
    pub(crate) photos: Vec<PhotoCard>,
    /// Whether asking for the next page can return more.
    pub(crate) more: bool,
}

/// The photo viewer: the upright photo's size (the frame of the boxes) and its faces.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub(crate) struct PhotoDetail {
    #[ts(type = "number")]
    pub(crate) id: i64,
    pub(crate) path: String,
    pub(crate) file_name: String,
    pub(crate) taken_at: Option<String>,
    /// Width and height after EXIF orientation.
    pub(crate) width: u32,
    pub(crate) height: u32,
    pub(crate) faces: Vec<PhotoFace>,
}

#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub(crate) struct PhotoFace {
    #[ts(type = "number")]
    pub(crate) id: i64,
    /// The box in pixels of the upright photo.
    pub(crate) x: f32,
    pub(crate) y: f32,
    pub(crate) w: f32,
    pub(crate) h: f32,
    #[ts(type = "number | null")]
    pub(crate) person_id: Option<i64>,
    pub(crate) person_name: Option<String>,
    pub(crate) placement: Option<Placement>,
    /// Drawn by the user where the detector found no face.
    pub(crate) drawn: bool,
}

/// "Is this `person_name`?"
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub(crate) struct ReviewQuestion {
    /// `group` (a whole unnamed group) or `face` (one face).
    pub(crate) subject: ReviewSubject,
    #[ts(type = "number")]
    pub(crate) subject_id: i64,
    #[ts(type = "number")]
    pub(crate) person_id: i64,
    pub(crate) person_name: String,
    pub(crate) similarity: f32,
    /// Faces the answer settles.
    pub(crate) faces: u32,
    #[ts(type = "number")]
    pub(crate) sample_face: i64,
    /// Faces spread over a group, so that the user sees whom the answer is about (a group of
    /// small children may mix several); the sample face alone for a face.
    #[serde(default)]
    #[ts(type = "Array<number>")]
    pub(crate) mosaic: Vec<i64>,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub(crate) enum ReviewSubject {
    Group,
    Face,
}

impl From<kindred_core::ReviewItem> for ReviewQuestion {
    fn from(item: kindred_core::ReviewItem) -> ReviewQuestion {
        let (subject, subject_id) = match item.subject {
            kindred_core::ReviewSubject::Group(id) => (ReviewSubject::Group, id),
            kindred_core::ReviewSubject::Face(id) => (ReviewSubject::Face, id),
        };
        ReviewQuestion {
            subject,
            subject_id,
            person_id: item.person_id,
            person_name: item.person_name,
            similarity: item.similarity,
            faces: count(item.faces),
            sample_face: item.sample_face_id,
            mosaic: vec![item.sample_face_id],
        }
    }
}

/// Where a face goes when moved: an existing person, a new person with this name, or a new
/// unnamed group.
#[derive(Debug, Clone, Deserialize, TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[ts(export)]
pub(crate) enum MoveTarget {
    Person {
        #[ts(type = "number")]
        id: i64,
    },
    NewPerson {
        name: String,
    },
    NewGroup,
}

#[derive(Debug, Clone, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub(crate) struct SearchQuery {
    #[ts(type = "number[]")]
    pub(crate) people: Vec<i64>,
    /// Photos with all of them (true) or with any (false).
    pub(crate) match_all: bool,
    /// `YYYY-MM-DD`, inclusive.
    pub(crate) from: Option<String>,
    pub(crate) to: Option<String>,
    pub(crate) offset: u32,
    pub(crate) limit: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub(crate) enum DeviceChoice {
    Auto,
    Gpu,
    Cpu,
}

impl From<DeviceChoice> for kindred_core::Device {
    fn from(d: DeviceChoice) -> kindred_core::Device {
        match d {
            DeviceChoice::Auto => kindred_core::Device::Auto,
            DeviceChoice::Gpu => kindred_core::Device::Gpu,
            DeviceChoice::Cpu => kindred_core::Device::Cpu,
        }
    }
}

impl From<kindred_core::Device> for DeviceChoice {
    fn from(d: kindred_core::Device) -> DeviceChoice {
        match d {
            kindred_core::Device::Gpu => DeviceChoice::Gpu,
            kindred_core::Device::Cpu => DeviceChoice::Cpu,
            _ => DeviceChoice::Auto,
        }
    }
}

#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub(crate) struct Settings {
    pub(crate) device: DeviceChoice,
    /// Cosine distance under which faces group together.
    pub(crate) threshold: f32,
    /// The fine-tuned model in use, or `null` for the base model.
    pub(crate) fine_tuned_model: Option<String>,
}

/// The compute device the face networks actually run on.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub(crate) struct DeviceInfo {
    /// `gpu` or `cpu`.
    pub(crate) kind: String,
    pub(crate) backend: String,
    pub(crate) adapter: String,
    pub(crate) driver: String,
    /// The folder the face models were loaded from.
    pub(crate) models: String,
    /// For `auto` with a GPU at hand: what was measured, in a sentence.
    pub(crate) auto: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub(crate) enum JobKind {
    /// Walk the folders and read new or changed photos.
    Scan,
    /// Find and embed the faces of photos not analysed yet, then place them with people.
    Faces,
    /// Write people's names into XMP sidecars beside the photos.
    WriteNames,
    /// Train the embedding further on the people the user named.
    Finetune,
    /// Read the photos that changed in a watched folder and find their faces (started by the
    /// folder watcher, not the user).
    Watch,
}

/// Progress of a long job, sent over a channel as it runs.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub(crate) struct JobProgress {
    pub(crate) kind: JobKind,
    /// What the job is doing, in a few words.
    pub(crate) stage: String,
    pub(crate) done: u32,
    /// `0` while the amount of work is not known yet.
    pub(crate) total: u32,
    /// The file being worked on, or a detail of the step.
    pub(crate) detail: Option<String>,
}

/// How a long job ended.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub(crate) struct JobOutcome {
    pub(crate) kind: JobKind,
    pub(crate) cancelled: bool,
    /// One plain sentence for the user.
    pub(crate) summary: String,
    /// Set by a fine-tune that ran to the end.
    pub(crate) finetune: Option<FinetuneOutcome>,
}

/// The fine-tune result in the user's terms: how well their named people group.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub(crate) struct FinetuneOutcome {
    /// Grouping score (BCubed F1, 0–1) of held-out labeled faces with the base model.
    pub(crate) before: f32,
    /// The same with the fine-tuned model.
    pub(crate) after: f32,
    pub(crate) activated: bool,
}

/// The last part of a path, as the UI shows it.
pub(crate) fn file_name(path: &std::path::Path) -> String {
    path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()
}

/// A count as the UI shows it; no library holds 4 billion of anything.
pub(crate) fn count(n: u64) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// Which people a photo listing asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub(crate) enum PeopleMatch {
    /// Photos with every one of them.
    All,
    /// Photos with at least one of them.
    Any,
    /// Photos with every one of them and nobody else.
    Only,
}

/// The filters of the Photos view; every one given must hold.
#[derive(Debug, Clone, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub(crate) struct PhotoQuery {
    #[ts(type = "number[]")]
    pub(crate) people: Vec<i64>,
    pub(crate) people_match: PeopleMatch,
    #[ts(type = "number | null")]
    pub(crate) album: Option<i64>,
    /// A folder of the library (its photos and those below it).
    pub(crate) folder: Option<String>,
    /// `YYYY-MM-DD`, inclusive.
    pub(crate) from: Option<String>,
    pub(crate) to: Option<String>,
}

impl PhotoQuery {
    pub(crate) fn to_search(&self, offset: u32, limit: Option<u32>) -> kindred_core::PhotoSearch {
        kindred_core::PhotoSearch {
            people: self.people.clone(),
            match_all: self.people_match != PeopleMatch::Any,
            only: self.people_match == PeopleMatch::Only,
            album: self.album,
            folder: self.folder.as_ref().filter(|f| !f.is_empty()).map(std::path::PathBuf::from),
            from: self.from.clone().filter(|d| !d.is_empty()),
            to: self.to.clone().filter(|d| !d.is_empty()),
            limit: limit.map(u64::from),
            offset: u64::from(offset),
        }
    }
}

/// Photos of one month of a listing (the timeline's sections and year scrubber).
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub(crate) struct MonthCount {
    /// `YYYY-MM`, or `null` for photos with no date (listed last).
    pub(crate) month: Option<String>,
    pub(crate) photos: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub(crate) enum PeopleSection {
    /// Named people, then groups of at least three photos.
    Main,
    /// The small unnamed groups.
    More,
}

#[derive(Debug, Clone, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub(crate) struct PeopleQuery {
    pub(crate) include_hidden: bool,
    /// A name (part of one) or a group's number; searches every section.
    pub(crate) search: Option<String>,
    pub(crate) section: PeopleSection,
    pub(crate) offset: u32,
    pub(crate) limit: u32,
}

/// One page of the People view, with the counts of the whole listing.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub(crate) struct PeoplePage {
    pub(crate) people: Vec<PersonCard>,
    /// People the query matches, over all pages.
    pub(crate) total: u32,
    pub(crate) named: u32,
    pub(crate) groups: u32,
    /// Unnamed groups of fewer than three photos, kept under "More".
    pub(crate) small_groups: u32,
}

impl From<kindred_core::PeoplePage> for PeoplePage {
    fn from(page: kindred_core::PeoplePage) -> PeoplePage {
        PeoplePage {
            people: page.people.into_iter().map(PersonCard::from).collect(),
            total: count(page.total),
            named: count(page.named),
            groups: count(page.groups),
            small_groups: count(page.small_groups),
        }
    }
}

/// An unnamed group to name, with a mosaic of its faces.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub(crate) struct GroupToName {
    pub(crate) group: PersonCard,
    #[ts(type = "number[]")]
    pub(crate) faces: Vec<i64>,
}

/// An album the user made.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub(crate) struct AlbumCard {
    #[ts(type = "number")]
    pub(crate) id: i64,
    pub(crate) name: String,
    pub(crate) photos: u32,
    #[ts(type = "number | null")]
    pub(crate) cover_photo: Option<i64>,
}

impl From<kindred_core::Album> for AlbumCard {
    fn from(a: kindred_core::Album) -> AlbumCard {
        AlbumCard { id: a.id, name: a.name, photos: count(a.photos), cover_photo: a.cover_photo_id }
    }
}

/// A folder of the library, an album nested as on disk.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub(crate) struct FolderCard {
    pub(crate) path: String,
    /// The folder's own name (the whole path for a folder the user added).
    pub(crate) name: String,
    /// 0 for a folder the user added, 1 inside it, ...
    pub(crate) depth: u32,
    /// Photos in it and below it.
    pub(crate) photos: u32,
}

impl From<kindred_core::FolderAlbum> for FolderCard {
    fn from(f: kindred_core::FolderAlbum) -> FolderCard {
        let name = if f.depth == 0 { f.path.display().to_string() } else { file_name(&f.path) };
        FolderCard { path: f.path.display().to_string(), name, depth: f.depth, photos: count(f.photos) }
    }
}
