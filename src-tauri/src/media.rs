//! The `kindred:` protocol: face thumbnails and photos for `<img>` tags, straight from the
//! library, so that pictures never travel through IPC as text.
//!
//! - `kindred://localhost/face/ID`: a face thumbnail (JPEG, cached beside the library).
//! - `kindred://localhost/photo/ID?max=N`: the photo upright, at most N pixels on its long side.
//!
//! Only photos the library holds can be served, and only by id: the window cannot name a path.

use std::sync::Arc;

use tauri::http::{Request, Response, StatusCode, header};

use crate::state::AppState;

/// The long side of photos when the window does not say.
const DEFAULT_PHOTO_SIDE: u32 = 2048;
const LARGEST_PHOTO_SIDE: u32 = 8192;

pub(crate) fn respond(state: &Arc<AppState>, request: &Request<Vec<u8>>) -> Response<Vec<u8>> {
    let path = request.uri().path();
    let mut parts = path.trim_start_matches('/').split('/');
    let (kind, id) = (parts.next(), parts.next().and_then(|id| id.parse::<i64>().ok()));
    let result = match (kind, id) {
        (Some("face"), Some(id)) => {
            let library = state.media();
            library.face_thumbnail(id).and_then(|file| {
                std::fs::read(&file).map_err(|e| {
                    kindred_core::Error::new(kindred_core::ErrorKind::Io, format!("{}: {e}", file.display()))
                })
            })
        }
        (Some("photo"), Some(id)) => {
            let side = request
                .uri()
                .query()
                .and_then(|q| q.split('&').find_map(|kv| kv.strip_prefix("max=")))
                .and_then(|v| v.parse::<u32>().ok())
                .unwrap_or(DEFAULT_PHOTO_SIDE)
                .clamp(64, LARGEST_PHOTO_SIDE);
            state.media().photo_preview(id, side).map(|p| p.jpeg)
        }
        _ => return plain(StatusCode::NOT_FOUND, "no such picture"),
    };
    match result {
        Ok(jpeg) => Response::builder()
            .status(StatusCode::OK)
            .header(header::CONTENT_TYPE, "image/jpeg")
            // Ids are never reused, but a face's picture can change when its photo is edited.
            .header(header::CACHE_CONTROL, "no-cache")
            .body(jpeg)
            .unwrap_or_else(|_| Response::new(Vec::new())),
        Err(e) if e.kind() == kindred_core::ErrorKind::NotFound => {
            plain(StatusCode::NOT_FOUND, &e.to_string())
        }
        Err(e) => plain(StatusCode::INTERNAL_SERVER_ERROR, &e.to_string()),
    }
}

/// The answer while no library is open.
pub(crate) fn unavailable() -> Response<Vec<u8>> {
    plain(StatusCode::SERVICE_UNAVAILABLE, "no library is open")
}

fn plain(status: StatusCode, text: &str) -> Response<Vec<u8>> {
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "text/plain; charset=utf-8")
        .body(text.as_bytes().to_vec())
        .unwrap_or_else(|_| Response::new(Vec::new()))
}

#[cfg(test)]
pub(crate) mod tests {
    use std::sync::Arc;

    use kindred_core::testing::{self, ExifSpec};
    use kindred_core::{CancelToken, Library, NoProgress, ScanOptions};
    use tauri::http::{Request, StatusCode, header};

    use super::respond;
    use crate::state::AppState;

    /// A library holding one 400×300 photo stored sideways (EXIF orientation 6).
    pub(crate) fn library_with_sideways_photo() -> (tempfile::TempDir, Arc<AppState>, i64) {
        let dir = tempfile::tempdir().unwrap();
        let photos = dir.path().join("photos");
        std::fs::create_dir_all(&photos).unwrap();
        let exif = ExifSpec { orientation: Some(6), ..ExifSpec::default() };
        std::fs::write(photos.join("sideways.jpg"), testing::jpeg_with_exif(400, 300, 1, &exif)).unwrap();
        let path = dir.path().join("library.db");
        let mut library = Library::open(&path).unwrap();
        library.scan(&[photos], &ScanOptions::default(), &NoProgress, &CancelToken::new()).unwrap();
        let id = library.photos(&Default::default()).unwrap()[0].id;
        let state = Arc::new(AppState::open(&path, None).unwrap());
        (dir, state, id)
    }

    fn get(state: &Arc<AppState>, uri: &str) -> tauri::http::Response<Vec<u8>> {
        respond(state, &Request::builder().uri(uri).body(Vec::new()).unwrap())
    }

    #[test]
    fn serves_photos_upright_and_no_larger_than_asked() {
        let (_dir, state, id) = library_with_sideways_photo();
        let response = get(&state, &format!("kindred://localhost/photo/{id}?max=100"));
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers()[header::CONTENT_TYPE], "image/jpeg");
        let image = image::load_from_memory(response.body()).unwrap();
        // Stored 400×300 and turned a quarter: upright it is 300×400, here scaled to 75×100.
        assert_eq!((image.width(), image.height()), (75, 100));
    }

    #[test]
    fn keeps_grid_sized_previews_in_the_cache() {
        let (dir, state, id) = library_with_sideways_photo();
        let first = get(&state, &format!("kindred://localhost/photo/{id}?max=200"));
        let cached: Vec<_> =
            std::fs::read_dir(dir.path().join("library.db.cache/previews")).unwrap().collect();
        assert_eq!(cached.len(), 1);
        // Served from the cache even once the original is gone.
        std::fs::remove_file(dir.path().join("photos/sideways.jpg")).unwrap();
        let again = get(&state, &format!("kindred://localhost/photo/{id}?max=200"));
        assert_eq!((again.status(), again.body()), (StatusCode::OK, first.body()));
        // The viewer's large previews are made from the photo itself.
        let large = get(&state, &format!("kindred://localhost/photo/{id}?max=2048"));
        assert_eq!(large.status(), StatusCode::INTERNAL_SERVER_ERROR);
    }

    #[test]
    fn answers_not_found_for_anything_but_a_known_picture() {
        let (_dir, state, id) = library_with_sideways_photo();
        for uri in [
            format!("kindred://localhost/photo/{}", id + 1),
            "kindred://localhost/face/1".to_string(),
            "kindred://localhost/photo/..%2F..%2Fetc%2Fpasswd".to_string(),
            "kindred://localhost/file/etc/passwd".to_string(),
        ] {
            assert_eq!(get(&state, &uri).status(), StatusCode::NOT_FOUND, "{uri}");
        }
    }
}
