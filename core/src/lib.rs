//! Kindred's engine, free of any GUI or IPC: the catalog, the scanner and (as they land) the
//! face pipeline and people. The desktop app and the `kindred` CLI are thin front ends over
//! [`Library`].
//!
//! The core never prints. Long jobs report through an [`EventSink`] and stop when their
//! [`CancelToken`] is cancelled; per-file problems are recorded, never fatal.

mod albums;
pub mod backup;
mod cancel;
pub mod catalog;
pub mod cluster;
mod error;
pub mod eval;
mod events;
pub mod faces;
pub mod files;
pub mod finetune;
mod library;
mod paths;
pub mod people;
pub mod scan;
pub mod simulate;
mod time;
pub mod watch;
pub mod xmp;

pub use cancel::CancelToken;
pub use catalog::{
    Album, Assignment, Companion, Decision, DecisionKind, DrawnFace, FaceRow, FileIssue, FolderAlbum,
    IssueKind, JobRow, JobStatus, MonthCount, Operation, Person, PhotoFilter, PhotoRow, PhotoSearch,
    PhotoStatus, Root, SCHEMA_VERSION, Severity, StatusCounts, VideoRow,
};
pub use error::{Error, ErrorKind, Result};
pub use events::{Event, EventSink, NoProgress};
pub use faces::{DetectOptions, Device, DeviceReport, FaceEngine, FacesSummary, FoundFace, PhotoPreview};
/// The file formats Kindred reads, re-exported for the front ends.
pub use kindred_media as media;
pub(crate) use kindred_media::geometry;
pub use library::Library;
pub use people::{
    PeoplePage, PeopleQuery, PeopleSection, PeopleSettings, PeopleSummary, ReviewItem, ReviewSubject,
};
pub use scan::{ScanOptions, ScanScope, ScanSummary};
pub use time::{now_utc, parse_date};

#[cfg(any(test, feature = "test-support"))]
pub mod testing;
