//! `Library`: the one API the app and the CLI use.

use std::path::{Path, PathBuf};

use crate::cancel::CancelToken;
use crate::catalog::{
    Assignment, Catalog, FaceRow, FileIssue, JobRow, Operation, Person, PhotoFilter, PhotoRow, PhotoSearch,
    Root, StatusCounts,
};
use crate::error::{Error, ErrorKind, Result};
use crate::events::EventSink;
use crate::faces::{self, FaceEngine, FacesSummary};
use crate::people::{self, PeopleSettings, PeopleSummary, ReviewItem, ReviewSubject};
use crate::scan::{self, ScanOptions, ScanScope, ScanSummary};

/// Settings key of the compute device chosen for the face networks.
const DEVICE_KEY: &str = "faces.device";
/// What `auto` last measured, and on which GPU adapter (see `faces::AutoChoice`).
const AUTO_CHOICE_KEY: &str = "faces.device.auto";

/// An open Kindred library.
#[derive(Debug)]
pub struct Library {
    catalog: Catalog,
}

impl Library {
    /// Where the library lives when the user does not choose: the platform's data folder
    /// (`$XDG_DATA_HOME/kindred/library.db` on Linux).
    pub fn default_path() -> Result<PathBuf> {
        let dirs = directories::ProjectDirs::from("", "", "kindred").ok_or_else(|| {
            Error::new(ErrorKind::Io, "cannot find a home folder for the library; choose one with --library")
        })?;
        Ok(dirs.data_dir().join("library.db"))
    }

    /// Opens the library at `path`, creating it if needed.
    pub fn open(path: &Path) -> Result<Library> {
        Ok(Library { catalog: Catalog::open(path)? })
    }

    pub fn path(&self) -> &Path {
        self.catalog.path()
    }

    pub fn catalog(&self) -> &Catalog {
        &self.catalog
    }

    pub(crate) fn catalog_mut(&mut self) -> &mut Catalog {
        &mut self.catalog
    }

    /// Adds `folders` as roots (if given) and scans them; with no folders, rescans every root.
    pub fn scan(
        &mut self,
        folders: &[PathBuf],
        options: &ScanOptions,
        sink: &dyn EventSink,
        cancel: &CancelToken,
    ) -> Result<ScanSummary> {
        let roots = if folders.is_empty() {
            let roots: Vec<PathBuf> = self.catalog.roots()?.into_iter().map(|r| r.path).collect();
            if roots.is_empty() {
                return Err(Error::new(
                    ErrorKind::InvalidInput,
                    "this library has no folders yet; name one to scan (kindred scan ~/Pictures)",
                ));
            }
            roots
        } else {
            folders.iter().map(|f| scan::canonical_root(f)).collect::<Result<Vec<_>>>()?
        };
        let scopes: Vec<ScanScope> = roots.into_iter().map(ScanScope::whole).collect();
        self.scan_scopes(&scopes, options, sink, cancel)
    }

    /// Scans parts of library folders (the folders a watcher saw change), adding their roots
    /// when they are new.
    pub fn scan_scopes(
        &mut self,
        scopes: &[ScanScope],
        options: &ScanOptions,
        sink: &dyn EventSink,
        cancel: &CancelToken,
    ) -> Result<ScanSummary> {
        if cancel.is_cancelled() {
            return Err(Error::cancelled());
        }
        let summary = scan::scan(&mut self.catalog, scopes, options, sink, cancel)?;
        // Names in new or changed metadata land on faces already found.
        if !summary.cancelled {
            people::apply_names_from_files(&mut self.catalog)?;
        }
        Ok(summary)
    }

    pub fn roots(&self) -> Result<Vec<Root>> {
        self.catalog.roots()
    }

    pub fn status(&self) -> Result<StatusCounts> {
        self.catalog.status_counts()
    }

    pub fn photos(&self, filter: &PhotoFilter) -> Result<Vec<PhotoRow>> {
        self.catalog.photos(filter)
    }

    pub fn issues(&self) -> Result<Vec<FileIssue>> {
        self.catalog.issues()
    }

    /// The videos in the library's folders (a Live Photo's among them, with its photo).
    pub fn videos(&self) -> Result<Vec<crate::VideoRow>> {
        self.catalog.videos()
    }

    /// The files kept with a photo: its RAW file, its Live Photo video.
    pub fn companions(&self, photo_id: i64) -> Result<Vec<crate::Companion>> {
        self.catalog.companions(photo_id)
    }

    pub fn recent_jobs(&self, limit: u32) -> Result<Vec<JobRow>> {
        self.catalog.recent_jobs(limit)
    }

    /// The folder of rebuildable caches (face thumbnails) beside the library file.
    pub fn cache_dir(&self) -> PathBuf {
        let mut name = self.path().file_name().unwrap_or_default().to_os_string();
        name.push(".cache");
        self.path().with_file_name(name)
    }

    /// Finds and embeds the faces of every photo not analysed yet (or changed since).
    pub fn find_faces(
        &mut self,
        engine: &FaceEngine,
        sink: &dyn EventSink,
        cancel: &CancelToken,
    ) -> Result<FacesSummary> {
        let cache = self.cache_dir();
        let mut summary = faces::run_faces_job(&mut self.catalog, engine, &cache, sink, cancel)?;
        // New faces find their people right away; a cancelled job leaves that to the next run.
        if !summary.cancelled {
            // Faces the user drew come back where the photo's faces were found again.
            faces::restore_drawn_faces(&mut self.catalog, engine)?;
            let started = std::time::Instant::now();
            summary.people = self.update_people()?;
            summary.stages.people = started.elapsed();
        }
        Ok(summary)
    }

    pub fn photo(&self, id: i64) -> Result<PhotoRow> {
        self.catalog.photo(id)
    }

    /// The faces of one photo, largest first.
    pub fn faces_of_photo(&self, photo_id: i64) -> Result<Vec<FaceRow>> {
        self.catalog.faces_of_photo(photo_id)
    }

    /// A small square JPEG of one face, from the cache or made on the spot.
    pub fn face_thumbnail(&self, face_id: i64) -> Result<PathBuf> {
        faces::face_thumbnail(&self.catalog, &self.cache_dir(), face_id)
    }

    /// The photo upright, as a JPEG of at most `max_side` pixels, for the screen.
    pub fn photo_preview(&self, photo_id: i64, max_side: u32) -> Result<faces::PhotoPreview> {
        faces::photo_preview(&self.catalog, &self.cache_dir(), photo_id, max_side)
    }

    /// Removes a folder from the library (see [`Catalog::remove_root`]); returns its photos.
    pub fn remove_root(&self, path: &Path) -> Result<u64> {
        self.catalog.remove_root(path, &crate::time::now_utc())
    }

    /// The compute device the user chose for the face networks (`auto` until they choose).
    pub fn device_setting(&self) -> Result<faces::Device> {
        Ok(self.catalog.setting(DEVICE_KEY)?.as_deref().and_then(faces::Device::parse).unwrap_or_default())
    }

    /// The face networks on `device`. For `auto`, the measurement kept in the settings is used
    /// while the GPU adapter stays the same; a new one is measured and kept.
    pub fn face_engine(&self, models_dir: &Path, device: faces::Device) -> Result<faces::FaceEngine> {
        if device != faces::Device::Auto {
            return faces::FaceEngine::load(models_dir, device);
        }
        let remembered =
            self.catalog.setting(AUTO_CHOICE_KEY)?.as_deref().and_then(faces::AutoChoice::from_setting);
        let engine = faces::FaceEngine::load_auto(models_dir, remembered.as_ref())?;
        if let Some(choice) = engine.auto_choice()
            && Some(choice) != remembered.as_ref()
        {
            self.catalog.set_setting(AUTO_CHOICE_KEY, &choice.to_setting())?;
        }
        Ok(engine)
    }

    pub fn set_device_setting(&self, device: faces::Device) -> Result<()> {
        self.catalog.set_setting(DEVICE_KEY, device.as_str())
    }

    // People.

    pub fn people_settings(&self) -> Result<PeopleSettings> {
        PeopleSettings::load(&self.catalog)
    }

    /// Stores new clustering settings and regroups every face with them. Names and decisions
    /// are kept whatever the settings.
    pub fn set_people_settings(&mut self, settings: &PeopleSettings) -> Result<PeopleSummary> {
        settings.save(&self.catalog)?;
        self.recluster_people()
    }

    /// Regroups every face from scratch (keeping names and decisions).
    pub fn recluster_people(&mut self) -> Result<PeopleSummary> {
        let settings = self.people_settings()?;
        people::apply_names_from_files(&mut self.catalog)?;
        people::recluster(&mut self.catalog, &settings)
    }

    /// Places the faces no people pass has seen yet, without moving the others.
    pub fn update_people(&mut self) -> Result<PeopleSummary> {
        let settings = self.people_settings()?;
        people::apply_names_from_files(&mut self.catalog)?;
        people::assign_new_faces(&mut self.catalog, &settings)
    }

    /// Named people and unnamed groups (hidden ones too when asked).
    pub fn people(&self, include_hidden: bool) -> Result<Vec<Person>> {
        self.catalog.people_list(include_hidden)
    }

    /// The people the user named, in the order people read names ("Kid 2" before "Kid 10"),
    /// hidden ones too when asked: without the many unnamed groups of a large library.
    pub fn named_people(&self, include_hidden: bool) -> Result<Vec<Person>> {
        let mut named = self.catalog.named_people(include_hidden)?;
        named.sort_by(|a, b| {
            people::natural_cmp(a.name.as_deref().unwrap_or_default(), b.name.as_deref().unwrap_or_default())
                .then(a.id.cmp(&b.id))
        });
        Ok(named)
    }

    /// One person; an id merged away answers with the person it became.
    pub fn person(&self, id: i64) -> Result<Person> {
        self.catalog.person(id)
    }

    /// The person a user means by `text`: an id, or a name (any case).
    pub fn find_person(&self, text: &str) -> Result<i64> {
        if let Ok(id) = text.trim().parse::<i64>() {
            return Ok(self.catalog.person(id)?.id);
        }
        self.catalog.person_named(text)?.ok_or_else(|| {
            Error::new(ErrorKind::NotFound, format!("nobody is named {:?} in this library", text.trim()))
        })
    }

    /// Faces with nobody yet (people seen once): (face id, photo id), largest first. Naming
    /// one (`move_faces` to a named person) makes it a person.
    pub fn faces_alone(&self) -> Result<Vec<(i64, i64)>> {
        self.catalog.faces_alone()
    }

    /// Faces of a person: (face id, photo id, how it was assigned).
    pub fn faces_of_person(&self, person: i64) -> Result<Vec<(i64, i64, Assignment)>> {
        self.catalog.faces_of_person(person)
    }

    pub fn name_person(&mut self, person: i64, name: &str) -> Result<i64> {
        people::name_person(&mut self.catalog, person, name)
    }

    /// Makes `from` part of `into`; returns `into`.
    pub fn merge_people(&mut self, into: i64, from: i64) -> Result<i64> {
        people::merge(&mut self.catalog, into, from)
    }

    /// Says that `faces` are `to`, or a new person when `None`; returns the person.
    pub fn move_faces(&mut self, faces: &[i64], to: Option<i64>) -> Result<i64> {
        let to = match to {
            Some(person) => people::MoveTo::Person(person),
            None => people::MoveTo::NewPerson(None),
        };
        people::move_faces(&mut self.catalog, faces, to)
    }

    /// Says that `faces` are a new person called `name` (naming a face seen once), in one
    /// operation; refused when somebody already has the name.
    pub fn move_faces_to_new_person(&mut self, faces: &[i64], name: &str) -> Result<i64> {
        people::move_faces(&mut self.catalog, faces, people::MoveTo::NewPerson(Some(name)))
    }

    /// "Not this person": returns the person the face was taken from.
    pub fn remove_face(&mut self, face: i64) -> Result<i64> {
        let person = people::remove_face(&mut self.catalog, face)?;
        self.place_released_faces(&[face])?;
        Ok(person)
    }

    /// Places faces a correction took from their person again at once, as the next people
    /// pass would (with another person on enough evidence, in a group, or alone): until then
    /// they would be in no listing and no review question.
    fn place_released_faces(&mut self, faces: &[i64]) -> Result<()> {
        if self.catalog.any_unplaced(faces)? {
            self.update_people()?;
        }
        Ok(())
    }

    pub fn mark_not_a_face(&mut self, face: i64) -> Result<()> {
        people::mark_not_a_face(&mut self.catalog, face)
    }

    pub fn hide_person(&mut self, person: i64, hidden: bool) -> Result<i64> {
        people::hide(&mut self.catalog, person, hidden)
    }

    pub fn set_cover(&mut self, person: i64, face: i64) -> Result<i64> {
        people::set_cover(&mut self.catalog, person, face)
    }

    /// Gives a person a birth date (or forgets it with `None`): no photo taken before it is
    /// theirs. The faces that leave them are placed again at once.
    pub fn set_birth_date(&mut self, person: i64, date: Option<&str>) -> Result<people::BirthDateChange> {
        let change = people::set_birth_date(&mut self.catalog, person, date)?;
        if change.released > 0 {
            self.update_people()?;
        }
        Ok(change)
    }

    /// Undoes the last operation on people; `None` when there is none left.
    pub fn undo(&mut self) -> Result<Option<Operation>> {
        people::undo(&mut self.catalog)
    }

    /// "Is this X?" questions, the most useful first.
    pub fn review_queue(&self, limit: usize) -> Result<Vec<ReviewItem>> {
        people::review_queue(&self.catalog, &self.people_settings()?, None, limit)
    }

    /// The questions about one person ("is this `person`?"), the most useful first.
    pub fn review_queue_about(&self, person: i64, limit: usize) -> Result<Vec<ReviewItem>> {
        let person = self.catalog.resolve_person(person)?;
        people::review_queue(&self.catalog, &self.people_settings()?, Some(person), limit)
    }

    pub fn answer_review(&mut self, item: &ReviewItem, yes: bool) -> Result<()> {
        people::answer_review(&mut self.catalog, item, yes)?;
        if let (ReviewSubject::Face(face), false) = (item.subject, yes) {
            self.place_released_faces(&[face])?;
        }
        Ok(())
    }

    /// Photos showing the people of `search`, newest first.
    pub fn search(&self, search: &PhotoSearch) -> Result<Vec<PhotoRow>> {
        self.catalog.search_photos(search)
    }

    /// Writes the names of people's faces to XMP sidecars beside the photos.
    pub fn write_names_to_sidecars(
        &self,
        options: &crate::xmp::SidecarOptions,
        sink: &dyn EventSink,
        cancel: &CancelToken,
    ) -> Result<crate::xmp::SidecarSummary> {
        crate::xmp::write_sidecars(&self.catalog, options, sink, cancel)
    }

    /// Everything the user decided, for a backup.
    pub fn backup(&self) -> Result<crate::backup::Backup> {
        self.catalog.backup()
    }

    /// Restores a backup into this library (new, scanned) and regroups its faces around it.
    /// With `partial`, decisions about photos the library does not hold are left out instead of
    /// refusing the restore.
    pub fn restore(
        &mut self,
        backup: &crate::backup::Backup,
        partial: bool,
    ) -> Result<crate::backup::RestoreSummary> {
        let summary = self.catalog.restore(backup, partial)?;
        self.recluster_people()?;
        Ok(summary)
    }

    /// How sidecars are named in this library.
    pub fn sidecar_naming(&self) -> Result<crate::xmp::SidecarNaming> {
        Ok(self
            .catalog
            .setting(SIDECAR_NAMING_KEY)?
            .as_deref()
            .and_then(crate::xmp::SidecarNaming::parse)
            .unwrap_or_default())
    }

    pub fn set_sidecar_naming(&self, naming: crate::xmp::SidecarNaming) -> Result<()> {
        self.catalog.set_setting(SIDECAR_NAMING_KEY, naming.as_str())
    }
    /// Adapts the embedding to this library's named people (see [`crate::finetune`]); the
    /// adapter is activated, and every face regrouped with it, only if it validates better.
    pub fn finetune(
        &mut self,
        options: &crate::finetune::FinetuneOptions,
        progress: &mut dyn FnMut(&crate::finetune::EpochReport),
        cancel: &CancelToken,
    ) -> Result<crate::finetune::FinetuneReport> {
        let settings = self.people_settings()?;
        let report = crate::finetune::finetune(&self.catalog, &settings, options, progress, cancel)?;
        if report.activated {
            self.recluster_people()?;
        }
        Ok(report)
    }

    /// The fine-tuned model in use, if any (its file name in the models folder).
    pub fn active_adapter(&self) -> Result<Option<String>> {
        crate::finetune::active_name(&self.catalog)
    }

    /// Goes back to the base model (or to an earlier fine-tuned one) and regroups every face;
    /// names and corrections are kept.
    pub fn use_adapter(&mut self, file: Option<&str>) -> Result<PeopleSummary> {
        if let Some(name) = file {
            let path = crate::finetune::models_dir(self.path()).join(name);
            if !path.is_file() {
                return Err(Error::new(
                    ErrorKind::NotFound,
                    format!("there is no fine-tuned model {}", path.display()),
                ));
            }
            // A damaged file is refused before it becomes the library's model.
            crate::finetune::check_adapter_file(&path)?;
        }
        crate::finetune::set_active(&self.catalog, file)?;
        self.recluster_people()
    }
}

const SIDECAR_NAMING_KEY: &str = "xmp.sidecar_naming";

/// Browsing: the timeline, albums, people at family scale, faces the user draws.
impl Library {
    /// Photos matching `search` (every photo when it names nothing), newest first, paged by its
    /// `limit` and `offset`.
    pub fn browse_photos(&self, search: &PhotoSearch) -> Result<Vec<PhotoRow>> {
        self.catalog.browse_photos(search)
    }

    /// How many photos matching `search` each month holds, newest first (the timeline).
    pub fn photo_months(&self, search: &PhotoSearch) -> Result<Vec<crate::MonthCount>> {
        self.catalog.photo_months(search)
    }

    /// The user's albums, by name.
    pub fn albums(&self) -> Result<Vec<crate::Album>> {
        self.catalog.albums()
    }

    pub fn album(&self, id: i64) -> Result<crate::Album> {
        self.catalog.album(id)
    }

    /// The album a user means by `text`: an id, or a name (any case).
    pub fn find_album(&self, text: &str) -> Result<i64> {
        if let Ok(id) = text.trim().parse::<i64>() {
            return Ok(self.catalog.album(id)?.id);
        }
        self.catalog.album_named(text)?.ok_or_else(|| {
            Error::new(ErrorKind::NotFound, format!("there is no album called {:?}", text.trim()))
        })
    }

    /// Every folder of the library, nested as on disk: albums that need no making.
    pub fn folder_albums(&self) -> Result<Vec<crate::FolderAlbum>> {
        self.catalog.folder_albums()
    }

    /// Makes an album, with `photos` in it already (none is fine).
    pub fn create_album(&mut self, name: &str, photos: &[i64]) -> Result<i64> {
        crate::albums::create_album(&mut self.catalog, name, photos)
    }

    pub fn rename_album(&mut self, album: i64, name: &str) -> Result<()> {
        crate::albums::rename_album(&mut self.catalog, album, name)
    }

    /// Deletes an album (undoable); its photos are not touched.
    pub fn delete_album(&mut self, album: i64) -> Result<()> {
        crate::albums::delete_album(&mut self.catalog, album)
    }

    /// Puts photos in an album; returns how many were not in it yet.
    pub fn add_to_album(&mut self, album: i64, photos: &[i64]) -> Result<u64> {
        crate::albums::add_to_album(&mut self.catalog, album, photos)
    }

    /// Takes photos out of an album; returns how many were in it.
    pub fn remove_from_album(&mut self, album: i64, photos: &[i64]) -> Result<u64> {
        crate::albums::remove_from_album(&mut self.catalog, album, photos)
    }

    /// A page of the people listing: named first, then groups by size, small groups apart.
    pub fn people_page(&self, query: &crate::PeopleQuery) -> Result<crate::PeoplePage> {
        people::people_page(&self.catalog, query)
    }

    /// Up to `count` faces spread over a person's faces (a mosaic of a group).
    pub fn face_sample(&self, person: i64, count: usize) -> Result<Vec<i64>> {
        people::face_sample(&self.catalog, person, count)
    }

    /// Hides every unnamed group with fewer than `photos` photos, as one undoable operation;
    /// returns how many.
    pub fn hide_small_groups(&mut self, photos: u64) -> Result<u64> {
        people::hide_small_groups(&mut self.catalog, photos)
    }

    /// "Not this person" for several faces, as one operation: (face, person it left).
    pub fn remove_faces(&mut self, faces: &[i64]) -> Result<Vec<(i64, i64)>> {
        let removed = people::remove_faces(&mut self.catalog, faces)?;
        self.place_released_faces(faces)?;
        Ok(removed)
    }

    /// "Not a face" for several detections, as one operation.
    pub fn mark_not_faces(&mut self, faces: &[i64]) -> Result<()> {
        people::mark_not_faces(&mut self.catalog, faces)
    }

    /// Adds the face the detector missed in `bounds` (x, y, w, h in pixels of the photo as
    /// shown): aligned and embedded like any face, kept as the user's (it survives new searches
    /// of the photo's faces and new models), and placed with its people right away. Refused
    /// where a face is already found. Returns the new face.
    pub fn draw_face(&mut self, engine: &FaceEngine, photo_id: i64, bounds: [f32; 4]) -> Result<i64> {
        let photo = self.catalog.photo(photo_id)?;
        let bounds = faces::check_drawn_box(&photo, bounds)?;
        if let Some(there) = self
            .catalog
            .faces_of_photo(photo_id)?
            .into_iter()
            .find(|f| crate::geometry::iou(bounds, [f.x, f.y, f.w, f.h]) >= DRAWN_OVER_FOUND_IOU)
        {
            return Err(Error::new(
                ErrorKind::InvalidInput,
                format!("face {} is already there; name or correct that one instead", there.id),
            ));
        }
        let found = faces::face_in_photo_box(engine, &photo, bounds)?;
        let face = people::draw_face(&mut self.catalog, photo_id, &found)?;
        self.update_people()?;
        Ok(face)
    }

    /// The faces of a photo that the user drew.
    pub fn drawn_face_ids(&self, photo_id: i64) -> Result<std::collections::HashSet<i64>> {
        self.catalog.drawn_face_ids(photo_id)
    }
}

/// A drawn box that overlaps a face found there this much frames that face.
const DRAWN_OVER_FOUND_IOU: f32 = 0.5;
