//! One shot, one photo. A camera that saves RAW+JPEG, and a phone's Live Photo (a still and a
//! short video), leave several files of one shot side by side under one name. Such a group is
//! one photo: the still Kindred shows and finds faces on, and its companions, kept with it.
//! Videos of their own are listed as videos.

use std::collections::HashMap;
use std::path::PathBuf;

use kindred_media::Format;

use super::walk::WalkedFile;

/// What a file of a library folder is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Role {
    /// Read as a photo (or as a file named like one).
    Photo,
    /// A video of its own.
    Video,
    /// Part of the shot whose photo is the file at this path.
    Companion { photo: PathBuf, kind: CompanionKind },
    /// An XMP sidecar (read with its photo) or any other file.
    Other,
}

/// What a companion file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CompanionKind {
    /// The video of a Live Photo.
    Video,
    /// The RAW file of a RAW+JPEG pair.
    Raw,
    /// The JPEG (or other still) of a RAW+JPEG pair whose RAW file is the photo.
    Image,
}

impl CompanionKind {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            CompanionKind::Video => "video",
            CompanionKind::Raw => "raw",
            CompanionKind::Image => "image",
        }
    }
}

fn is_video(file: &WalkedFile) -> bool {
    file.extension.as_deref().is_some_and(kindred_media::is_video_extension)
}

fn still_format(file: &WalkedFile) -> Option<Format> {
    file.extension.as_deref().and_then(Format::from_extension)
}

/// Which still of a group the others belong to: one the user already named faces on (so that
/// nothing they decided moves), else the camera's rendering in the most common format (HEIC or
/// JPEG before others, any of them before RAW).
fn preference(format: Format) -> u8 {
    match format {
        Format::Heif | Format::Jpeg => 0,
        Format::Raw => 2,
        _ => 1,
    }
}

/// The role of every file in `files`, in order. `anchored` says whether a file is already a
/// photo with faces or decisions, which never becomes a companion.
pub(crate) fn roles(files: &[WalkedFile], anchored: &mut dyn FnMut(&WalkedFile) -> bool) -> Vec<Role> {
    let mut roles: Vec<Role> = files
        .iter()
        .map(|f| {
            if is_video(f) {
                Role::Video
            } else if f.extension.as_deref() == Some("xmp") {
                Role::Other
            } else {
                Role::Photo
            }
        })
        .collect();
    // Files of one shot: same folder, same name but for the extension (any case).
    let mut shots: HashMap<(PathBuf, String), Vec<usize>> = HashMap::new();
    for (i, file) in files.iter().enumerate() {
        let stills_or_videos = still_format(file).is_some() || roles[i] == Role::Video;
        if let (true, Some(folder), Some(stem)) =
            (stills_or_videos, file.path.parent(), file.path.file_stem().and_then(|s| s.to_str()))
        {
            shots.entry((folder.to_path_buf(), stem.to_lowercase())).or_default().push(i);
        }
    }
    for members in shots.values().filter(|m| m.len() > 1) {
        let stills: Vec<usize> =
            members.iter().copied().filter(|&i| still_format(&files[i]).is_some()).collect();
        let anchored_stills: Vec<usize> = stills.iter().copied().filter(|&i| anchored(&files[i])).collect();
        let primary = anchored_stills.first().copied().or_else(|| {
            stills.iter().copied().min_by_key(|&i| (still_format(&files[i]).map_or(3, preference), i))
        });
        let Some(primary) = primary else { continue };
        let primary_is_raw = still_format(&files[primary]) == Some(Format::Raw);
        for &i in members {
            if i == primary || anchored_stills.contains(&i) {
                continue;
            }
            let kind = match still_format(&files[i]) {
                None => CompanionKind::Video,
                Some(Format::Raw) if !primary_is_raw => CompanionKind::Raw,
                Some(format) if primary_is_raw && format != Format::Raw => CompanionKind::Image,
                // Two developed stills of one name (a JPEG and its PNG export) are two photos.
                Some(_) => continue,
            };
            roles[i] = Role::Companion { photo: files[primary].path.clone(), kind };
        }
    }
    roles
}
