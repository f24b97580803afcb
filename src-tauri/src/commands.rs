//! The commands the window may call: each one a call or two into [`kindred_core::Library`],
//! run off the UI thread, with the core's types turned into the shapes of [`crate::dto`].

use std::path::PathBuf;
use std::sync::Arc;

use kindred_core::{Library, PhotoSearch, ReviewItem};
use tauri::ipc::Channel;
use tauri::{AppHandle, Manager};

use crate::dto::{
    AlbumCard, AppError, DeviceChoice, DeviceInfo, ErrorCode, FaceCard, FileIssue, Folder, FolderCard,
    GroupToName, JobKind, JobOutcome, JobProgress, LibraryInfo, MonthCount, MoveTarget, PeoplePage,
    PeopleQuery, PeopleSection, PersonCard, PersonDetail, PhotoCard, PhotoDetail, PhotoFace, PhotoPage,
    PhotoQuery, ReviewQuestion, ReviewSubject, SearchQuery, Settings, count, file_name,
};
use crate::state::AppState;

type CommandResult<T> = Result<T, AppError>;

/// Pages are capped so that one call stays small whatever the window asks.
const LARGEST_PAGE: u32 = 500;

/// The open library; absent only when it could not be opened (the window then says why and
/// closes).
fn state(app: &AppHandle) -> CommandResult<Arc<AppState>> {
    app.try_state::<Arc<AppState>>()
        .map(|state| Arc::clone(&state))
        .ok_or_else(|| AppError::new(ErrorCode::Database, "the library could not be opened"))
}

/// Runs `work` on a blocking thread, so that the window never waits on SQLite, decoding or the
/// face networks.
async fn off_ui_thread<T, F>(work: F) -> CommandResult<T>
where
    T: Send + 'static,
    F: FnOnce() -> CommandResult<T> + Send + 'static,
{
    tauri::async_runtime::spawn_blocking(work)
        .await
        .map_err(|e| AppError::new(ErrorCode::Internal, format!("a command failed: {e}")))?
}

/// Runs `work` on the command connection, off the UI thread.
async fn with_library<T, F>(app: AppHandle, work: F) -> CommandResult<T>
where
    T: Send + 'static,
    F: FnOnce(&mut Library) -> kindred_core::Result<T> + Send + 'static,
{
    let state = state(&app)?;
    off_ui_thread(move || work(&mut state.library()).map_err(AppError::from)).await
}

// Library.

#[tauri::command]
pub(crate) async fn library_info(app: AppHandle) -> CommandResult<LibraryInfo> {
    let state = state(&app)?;
    let running_job = state.running_job();
    let path = state.library_path().display().to_string();
    with_library(app, move |library| {
        let status = library.status()?;
        Ok(LibraryInfo {
            path,
            folders: library
                .roots()?
                .into_iter()
                .map(|r| Folder {
                    path: r.path.display().to_string(),
                    photos: count(r.photo_count),
                    last_scan: r.last_scan_at,
                })
                .collect(),
            photos: count(status.photos),
            issues: count(status.issues),
            running_job,
        })
    })
    .await
}

#[tauri::command]
pub(crate) async fn list_issues(app: AppHandle) -> CommandResult<Vec<FileIssue>> {
    with_library(app, |library| {
        Ok(library
            .issues()?
            .into_iter()
            .map(|i| FileIssue {
                path: i.path.display().to_string(),
                kind: i.kind.code().to_string(),
                severity: i.severity.as_str().to_string(),
                message: i.message,
            })
            .collect())
    })
    .await
}

#[tauri::command]
pub(crate) async fn remove_folder(app: AppHandle, path: String) -> CommandResult<u32> {
    let state = state(&app)?;
    let removed =
        with_library(app, move |library| library.remove_root(&PathBuf::from(path)).map(count)).await;
    state.folders_changed();
    removed
}

/// Starts a long job and answers when it ends; progress arrives on `on_progress` meanwhile.
/// `folders` (scan only) are added to the library first; none rescans every folder.
#[tauri::command]
pub(crate) async fn run_job(
    app: AppHandle,
    kind: JobKind,
    folders: Vec<String>,
    on_progress: Channel<JobProgress>,
) -> CommandResult<JobOutcome> {
    let state = state(&app)?;
    let folders = folders.into_iter().map(PathBuf::from).collect();
    off_ui_thread(move || crate::jobs::run(&state, kind, folders, on_progress)).await
}

/// Asks the running job to stop; false when none is running.
#[tauri::command]
pub(crate) fn cancel_job(app: AppHandle) -> bool {
    state(&app).is_ok_and(|state| state.cancel_job())
}

// People.

/// The named people, by name: for name pickers and filters (the People view pages through
/// everyone with `people_page`).
#[tauri::command]
pub(crate) async fn named_people(app: AppHandle, include_hidden: bool) -> CommandResult<Vec<PersonCard>> {
    with_library(app, move |library| {
        Ok(library.named_people(include_hidden)?.into_iter().map(PersonCard::from).collect())
    })
    .await
}

#[tauri::command]
pub(crate) async fn person_detail(app: AppHandle, id: i64) -> CommandResult<PersonDetail> {
    with_library(app, move |library| {
        let person = library.person(id)?;
        let faces = library
            .faces_of_person(person.id)?
            .into_iter()
            .map(|(id, photo_id, placement)| FaceCard { id, photo_id, placement: placement.into() })
            .collect();
        Ok(PersonDetail { person: person.into(), faces })
    })
    .await
}

/// Photos of one person, newest first, a page at a time.
#[tauri::command]
pub(crate) async fn person_photos(
    app: AppHandle,
    id: i64,
    offset: u32,
    limit: u32,
) -> CommandResult<PhotoPage> {
    search_photos(app, SearchQuery { people: vec![id], match_all: true, from: None, to: None, offset, limit })
        .await
}

#[tauri::command]
pub(crate) async fn search_photos(app: AppHandle, query: SearchQuery) -> CommandResult<PhotoPage> {
    with_library(app, move |library| {
        let limit = query.limit.clamp(1, LARGEST_PAGE);
        // One more than asked tells whether there is a next page.
        let mut photos = library.search(&PhotoSearch {
            people: query.people,
            match_all: query.match_all,
            from: query.from.filter(|d| !d.is_empty()),
            to: query.to.filter(|d| !d.is_empty()),
            limit: Some(u64::from(limit) + 1),
            offset: u64::from(query.offset),
            ..Default::default()
        })?;
        let more = photos.len() > limit as usize;
        photos.truncate(limit as usize);
        Ok(PhotoPage { photos: photos.into_iter().map(PhotoCard::from).collect(), more })
    })
    .await
}

#[tauri::command]
pub(crate) async fn name_person(app: AppHandle, id: i64, name: String) -> CommandResult<i64> {
    with_library(app, move |library| library.name_person(id, &name)).await
}

/// Merges every person of `from` into `into`; returns the person that remains.
#[tauri::command]
pub(crate) async fn merge_people(app: AppHandle, into: i64, from: Vec<i64>) -> CommandResult<i64> {
    with_library(app, move |library| {
        let mut kept = into;
        for other in from.into_iter().filter(|&p| p != into) {
            kept = library.merge_people(kept, other)?;
        }
        Ok(kept)
    })
    .await
}

#[tauri::command]
pub(crate) async fn set_hidden(app: AppHandle, id: i64, hidden: bool) -> CommandResult<i64> {
    with_library(app, move |library| library.hide_person(id, hidden)).await
}

#[tauri::command]
pub(crate) async fn set_cover(app: AppHandle, id: i64, face: i64) -> CommandResult<i64> {
    with_library(app, move |library| library.set_cover(id, face)).await
}

/// Sets (or, with `null`, forgets) a person's birth date, `YYYY-MM-DD`: no photo taken before
/// it is theirs. Returns the person.
#[tauri::command]
pub(crate) async fn set_birth_date(app: AppHandle, id: i64, date: Option<String>) -> CommandResult<i64> {
    with_library(app, move |library| {
        Ok(library.set_birth_date(id, date.as_deref().filter(|d| !d.trim().is_empty()))?.person)
    })
    .await
}

/// Moves faces to another person, a new named person or a new group; returns where they went.
#[tauri::command]
pub(crate) async fn move_faces(app: AppHandle, faces: Vec<i64>, target: MoveTarget) -> CommandResult<i64> {
    with_library(app, move |library| match target {
        MoveTarget::Person { id } => library.move_faces(&faces, Some(id)),
        MoveTarget::NewPerson { name } => library.move_faces_to_new_person(&faces, &name),
        MoveTarget::NewGroup => library.move_faces(&faces, None),
    })
    .await
}

/// "Not this person".
#[tauri::command]
pub(crate) async fn remove_face(app: AppHandle, face: i64) -> CommandResult<i64> {
    with_library(app, move |library| library.remove_face(face)).await
}

#[tauri::command]
pub(crate) async fn not_a_face(app: AppHandle, face: i64) -> CommandResult<()> {
    with_library(app, move |library| library.mark_not_a_face(face)).await
}

/// Undoes the last correction; answers what was undone, or null when nothing is left.
#[tauri::command]
pub(crate) async fn undo(app: AppHandle) -> CommandResult<Option<String>> {
    with_library(app, |library| Ok(library.undo()?.map(|op| op.description))).await
}

/// Faces of a group shown with a question about it.
const REVIEW_MOSAIC: usize = 8;

/// Questions as the window shows them: a question about a group with a mosaic of its faces.
fn questions(library: &Library, items: Vec<ReviewItem>) -> kindred_core::Result<Vec<ReviewQuestion>> {
    items
        .into_iter()
        .map(|item| {
            let mosaic = match item.subject {
                kindred_core::ReviewSubject::Group(group) => library.face_sample(group, REVIEW_MOSAIC)?,
                kindred_core::ReviewSubject::Face(face) => vec![face],
            };
            Ok(ReviewQuestion { mosaic, ..ReviewQuestion::from(item) })
        })
        .collect()
}

#[tauri::command]
pub(crate) async fn review_queue(app: AppHandle, limit: u32) -> CommandResult<Vec<ReviewQuestion>> {
    with_library(app, move |library| {
        let items = library.review_queue(limit.min(LARGEST_PAGE) as usize)?;
        questions(library, items)
    })
    .await
}

/// The questions about one person.
#[tauri::command]
pub(crate) async fn review_queue_about(
    app: AppHandle,
    person: i64,
    limit: u32,
) -> CommandResult<Vec<ReviewQuestion>> {
    with_library(app, move |library| {
        let items = library.review_queue_about(person, limit.min(LARGEST_PAGE) as usize)?;
        questions(library, items)
    })
    .await
}

#[tauri::command]
pub(crate) async fn answer_review(app: AppHandle, question: ReviewQuestion, yes: bool) -> CommandResult<()> {
    with_library(app, move |library| {
        let subject = match question.subject {
            ReviewSubject::Group => kindred_core::ReviewSubject::Group(question.subject_id),
            ReviewSubject::Face => kindred_core::ReviewSubject::Face(question.subject_id),
        };
        let item = ReviewItem {
            subject,
            person_id: question.person_id,
            person_name: question.person_name,
            similarity: question.similarity,
            faces: u64::from(question.faces),
            sample_face_id: question.sample_face,
            priority: 0.0,
        };
        library.answer_review(&item, yes)
    })
    .await
}

// Photos.

#[tauri::command]
pub(crate) async fn photo_detail(app: AppHandle, id: i64) -> CommandResult<PhotoDetail> {
    with_library(app, move |library| {
        let photo = library.photo(id)?;
        let names = library.catalog().person_names()?;
        let drawn = library.drawn_face_ids(id)?;
        let mut faces = Vec::new();
        for face in library.faces_of_photo(id)? {
            let assignment = library.catalog().assignment_of_face(face.id)?;
            let person_id = assignment.map(|(person, _)| person);
            faces.push(PhotoFace {
                id: face.id,
                x: face.x,
                y: face.y,
                w: face.w,
                h: face.h,
                person_id,
                person_name: person_id.and_then(|p| names.get(&p).cloned()),
                placement: assignment.map(|(_, how)| how.into()),
                drawn: drawn.contains(&face.id),
            });
        }
        let (width, height) = photo.upright_size().unwrap_or((0, 0));
        Ok(PhotoDetail {
            id: photo.id,
            path: photo.path.display().to_string(),
            file_name: file_name(&photo.path),
            taken_at: photo.taken_at,
            width,
            height,
            faces,
        })
    })
    .await
}

// Settings.

#[tauri::command]
pub(crate) async fn get_settings(app: AppHandle) -> CommandResult<Settings> {
    with_library(app, |library| {
        Ok(Settings {
            device: library.device_setting()?.into(),
            threshold: library.people_settings()?.threshold,
            fine_tuned_model: library.active_adapter()?,
        })
    })
    .await
}

#[tauri::command]
pub(crate) async fn set_device(app: AppHandle, device: DeviceChoice) -> CommandResult<()> {
    with_library(app, move |library| library.set_device_setting(device.into())).await
}

/// Sets the grouping threshold and regroups every face under it (names and corrections stay).
#[tauri::command]
pub(crate) async fn set_threshold(app: AppHandle, threshold: f32) -> CommandResult<()> {
    with_library(app, move |library| {
        let mut settings = library.people_settings()?;
        settings.threshold = threshold;
        library.set_people_settings(&settings).map(drop)
    })
    .await
}

/// Goes back to the base model (a fine-tuned one stays on disk).
#[tauri::command]
pub(crate) async fn use_base_model(app: AppHandle) -> CommandResult<()> {
    with_library(app, |library| library.use_adapter(None).map(drop)).await
}

/// Loads the face networks on the chosen device and says what they run on.
#[tauri::command]
pub(crate) async fn device_info(app: AppHandle) -> CommandResult<DeviceInfo> {
    let state = state(&app)?;
    off_ui_thread(move || {
        let device = state.library().device_setting()?;
        let loaded = state.engine(device)?;
        let report = loaded.engine.device();
        Ok(DeviceInfo {
            kind: report.kind.to_string(),
            backend: report.backend,
            adapter: report.adapter,
            driver: report.driver,
            models: loaded.models_dir.display().to_string(),
            auto: loaded.engine.auto_choice().map(|c| {
                format!(
                    "Measured on {}: {:.1} ms per photo on the graphics card, {:.1} ms on the processor, \
                     so the {} is used.",
                    c.adapter,
                    c.gpu_ms,
                    c.cpu_ms,
                    if c.device() == kindred_core::Device::Gpu { "graphics card" } else { "processor" }
                )
            }),
        })
    })
    .await
}

// Photos, albums, people at family scale.

/// The months of a photo listing, newest first, with their photo counts.
#[tauri::command]
pub(crate) async fn photo_months(app: AppHandle, query: PhotoQuery) -> CommandResult<Vec<MonthCount>> {
    with_library(app, move |library| {
        Ok(library
            .photo_months(&query.to_search(0, None))?
            .into_iter()
            .map(|m| MonthCount { month: m.month, photos: count(m.photos) })
            .collect())
    })
    .await
}

/// A page of a photo listing, newest first.
#[tauri::command]
pub(crate) async fn photo_page(
    app: AppHandle,
    query: PhotoQuery,
    offset: u32,
    limit: u32,
) -> CommandResult<PhotoPage> {
    with_library(app, move |library| {
        let limit = limit.clamp(1, LARGEST_PAGE);
        let mut photos = library.browse_photos(&query.to_search(offset, Some(limit + 1)))?;
        let more = photos.len() > limit as usize;
        photos.truncate(limit as usize);
        Ok(PhotoPage { photos: photos.into_iter().map(PhotoCard::from).collect(), more })
    })
    .await
}

#[tauri::command]
pub(crate) async fn people_page(app: AppHandle, query: PeopleQuery) -> CommandResult<PeoplePage> {
    with_library(app, move |library| {
        let page = library.people_page(&kindred_core::PeopleQuery {
            include_hidden: query.include_hidden,
            search: query.search.filter(|s| !s.trim().is_empty()),
            section: match query.section {
                PeopleSection::Main => kindred_core::PeopleSection::Main,
                PeopleSection::More => kindred_core::PeopleSection::More,
            },
            offset: u64::from(query.offset),
            limit: Some(u64::from(query.limit.clamp(1, LARGEST_PAGE))),
        })?;
        Ok(page.into())
    })
    .await
}

/// The largest unnamed groups, each with up to `mosaic` of its faces.
#[tauri::command]
pub(crate) async fn groups_to_name(
    app: AppHandle,
    offset: u32,
    limit: u32,
    mosaic: u32,
) -> CommandResult<Vec<GroupToName>> {
    with_library(app, move |library| {
        let everyone = library.people_page(&kindred_core::PeopleQuery {
            section: kindred_core::PeopleSection::All,
            ..Default::default()
        })?;
        let mut groups = Vec::new();
        for group in everyone
            .people
            .into_iter()
            .filter(|p| p.name.is_none())
            .skip(offset as usize)
            .take(limit.clamp(1, LARGEST_PAGE) as usize)
        {
            let faces = library.face_sample(group.id, mosaic.min(64) as usize)?;
            groups.push(GroupToName { group: group.into(), faces });
        }
        Ok(groups)
    })
    .await
}

/// Hides every unnamed group with fewer than `photos` photos (one undoable change).
#[tauri::command]
pub(crate) async fn hide_small_groups(app: AppHandle, photos: u32) -> CommandResult<u32> {
    with_library(app, move |library| library.hide_small_groups(u64::from(photos)).map(count)).await
}

/// "Not this person" for several faces at once.
#[tauri::command]
pub(crate) async fn remove_faces(app: AppHandle, faces: Vec<i64>) -> CommandResult<()> {
    with_library(app, move |library| library.remove_faces(&faces).map(drop)).await
}

/// "Not a face" for several detections at once.
#[tauri::command]
pub(crate) async fn not_faces(app: AppHandle, faces: Vec<i64>) -> CommandResult<()> {
    with_library(app, move |library| library.mark_not_faces(&faces)).await
}

#[tauri::command]
pub(crate) async fn list_albums(app: AppHandle) -> CommandResult<Vec<AlbumCard>> {
    with_library(app, |library| Ok(library.albums()?.into_iter().map(AlbumCard::from).collect())).await
}

#[tauri::command]
pub(crate) async fn album_detail(app: AppHandle, id: i64) -> CommandResult<AlbumCard> {
    with_library(app, move |library| library.album(id).map(AlbumCard::from)).await
}

#[tauri::command]
pub(crate) async fn folder_albums(app: AppHandle) -> CommandResult<Vec<FolderCard>> {
    with_library(app, |library| Ok(library.folder_albums()?.into_iter().map(FolderCard::from).collect()))
        .await
}

/// Makes an album with `photos` in it; returns its id.
#[tauri::command]
pub(crate) async fn create_album(app: AppHandle, name: String, photos: Vec<i64>) -> CommandResult<i64> {
    with_library(app, move |library| library.create_album(&name, &photos)).await
}

#[tauri::command]
pub(crate) async fn rename_album(app: AppHandle, id: i64, name: String) -> CommandResult<()> {
    with_library(app, move |library| library.rename_album(id, &name)).await
}

#[tauri::command]
pub(crate) async fn delete_album(app: AppHandle, id: i64) -> CommandResult<()> {
    with_library(app, move |library| library.delete_album(id)).await
}

#[tauri::command]
pub(crate) async fn add_to_album(app: AppHandle, id: i64, photos: Vec<i64>) -> CommandResult<u32> {
    with_library(app, move |library| library.add_to_album(id, &photos).map(count)).await
}

#[tauri::command]
pub(crate) async fn remove_from_album(app: AppHandle, id: i64, photos: Vec<i64>) -> CommandResult<u32> {
    with_library(app, move |library| library.remove_from_album(id, &photos).map(count)).await
}

/// Adds a face the detector missed (its box in pixels of the upright photo); returns it.
#[tauri::command]
pub(crate) async fn draw_face(
    app: AppHandle,
    photo: i64,
    x: f32,
    y: f32,
    w: f32,
    h: f32,
) -> CommandResult<i64> {
    let state = state(&app)?;
    off_ui_thread(move || {
        let device = state.library().device_setting()?;
        // The networks load outside the library's lock, so browsing goes on meanwhile.
        let loaded = state.engine(device)?;
        Ok(state.library().draw_face(&loaded.engine, photo, [x, y, w, h])?)
    })
    .await
}
