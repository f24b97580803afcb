//! Albums and browsing: the user's albums through their whole life (undo, backup, restore),
//! folders as nested albums, and the photo listings' filters and months.

use std::collections::HashSet;
use std::path::Path;

use crate::people::synthetic::{self, Rng};
use crate::{ErrorKind, Library, PhotoSearch};

fn library() -> (tempfile::TempDir, Library) {
    let dir = tempfile::tempdir().unwrap();
    let library = Library::open(&dir.path().join("library.db")).unwrap();
    (dir, library)
}

/// `photos` synthetic photos (one a day from 2000-01-01) of 6 people, grouped.
fn synthetic_library(photos: usize) -> (tempfile::TempDir, Library) {
    let (dir, mut library) = library();
    let mut rng = Rng::new(41);
    let people = synthetic::identities(6, &mut rng);
    synthetic::add_photos(&mut library, &people, photos, 3, 0, &mut rng).unwrap();
    library.update_people().unwrap();
    (dir, library)
}

fn ids(rows: &[crate::PhotoRow]) -> Vec<i64> {
    rows.iter().map(|p| p.id).collect()
}

fn every_photo(library: &Library) -> Vec<i64> {
    ids(&library.browse_photos(&PhotoSearch::default()).unwrap())
}

#[test]
fn an_album_is_made_filled_renamed_emptied_and_deleted_without_touching_photos() {
    let (_dir, mut library) = synthetic_library(20);
    let all = every_photo(&library);
    let album = library.create_album(" Summer ", &all[..3]).unwrap();
    assert_eq!(library.album(album).unwrap().name, "Summer");
    assert_eq!(library.find_album("summer").unwrap(), album);
    assert_eq!(library.add_to_album(album, &[all[2], all[3], all[4]]).unwrap(), 2, "one was in it already");
    let in_album = |library: &Library| {
        ids(&library.search(&PhotoSearch { album: Some(album), ..Default::default() }).unwrap())
    };
    assert_eq!(in_album(&library), all[..5].to_vec(), "newest first, as every listing");
    assert_eq!(library.album(album).unwrap().photos, 5);
    assert_eq!(library.album(album).unwrap().cover_photo_id, Some(all[0]));

    let taken = library.create_album("summer", &[]).unwrap_err();
    assert_eq!(taken.kind(), ErrorKind::InvalidInput);
    assert!(taken.to_string().contains("already an album"), "{taken}");
    assert_eq!(library.create_album("  ", &[]).unwrap_err().kind(), ErrorKind::InvalidInput);
    assert_eq!(library.add_to_album(album, &[999_999]).unwrap_err().kind(), ErrorKind::NotFound);

    library.rename_album(album, "Summer 2000").unwrap();
    assert_eq!(library.remove_from_album(album, &[all[0], all[1]]).unwrap(), 2);
    assert_eq!(in_album(&library), all[2..5].to_vec());
    library.delete_album(album).unwrap();
    assert!(library.albums().unwrap().is_empty());
    assert_eq!(library.find_album("Summer 2000").unwrap_err().kind(), ErrorKind::NotFound);
    // A deleted album's name is free again; the photos are all still there.
    library.create_album("Summer 2000", &[]).unwrap();
    assert_eq!(every_photo(&library), all);
}

#[test]
fn album_changes_are_undone_one_by_one() {
    let (_dir, mut library) = synthetic_library(10);
    let all = every_photo(&library);
    let album = library.create_album("Trip", &all[..2]).unwrap();
    library.add_to_album(album, &all[2..4]).unwrap();
    library.remove_from_album(album, &[all[0]]).unwrap();
    library.rename_album(album, "Road trip").unwrap();
    library.delete_album(album).unwrap();

    let photos = |library: &Library| library.album(album).map(|a| a.photos);
    library.undo().unwrap();
    assert_eq!(library.album(album).unwrap().name, "Road trip", "the delete is undone");
    library.undo().unwrap();
    assert_eq!(library.album(album).unwrap().name, "Trip");
    library.undo().unwrap();
    assert_eq!(photos(&library).unwrap(), 4, "the photo taken out is back");
    library.undo().unwrap();
    assert_eq!(photos(&library).unwrap(), 2);
    library.undo().unwrap();
    assert_eq!(photos(&library).unwrap_err().kind(), ErrorKind::NotFound, "making it is undone");
    assert!(library.albums().unwrap().is_empty());
}

#[test]
fn folders_are_albums_nested_as_on_disk() {
    let (dir, mut library) = library();
    let root = dir.path().join("Pictures");
    let mut seed = 0;
    for (folder, files) in [("", 1), ("2019", 2), ("2019/Summer", 3), ("2020/Winter", 1)] {
        let folder = root.join(folder);
        std::fs::create_dir_all(&folder).unwrap();
        for n in 0..files {
            seed += 1;
            let jpeg =
                crate::testing::encode(&crate::testing::test_image(16, 16, seed), image::ImageFormat::Jpeg);
            std::fs::write(folder.join(format!("p{n}.jpg")), jpeg).unwrap();
        }
    }
    library
        .scan(
            std::slice::from_ref(&root),
            &crate::ScanOptions::default(),
            &crate::NoProgress,
            &crate::CancelToken::new(),
        )
        .unwrap();
    let root = std::fs::canonicalize(&root).unwrap();
    let folders: Vec<(String, u32, u64, u64)> = library
        .folder_albums()
        .unwrap()
        .into_iter()
        .map(|f| (f.path.strip_prefix(&root).unwrap().display().to_string(), f.depth, f.photos, f.own_photos))
        .collect();
    assert_eq!(
        folders,
        vec![
            (String::new(), 0, 7, 1),
            ("2019".into(), 1, 5, 2),
            ("2019/Summer".into(), 2, 3, 3),
            ("2020".into(), 1, 1, 0),
            ("2020/Winter".into(), 2, 1, 1),
        ]
    );
    let in_folder = |path: &Path| {
        library.search(&PhotoSearch { folder: Some(path.to_path_buf()), ..Default::default() }).unwrap()
    };
    assert_eq!(in_folder(&root.join("2019")).len(), 5, "a folder's album holds the folders inside it");
    assert_eq!(in_folder(&root.join("2019/Summer")).len(), 3);
    // A folder whose name starts like another's is another folder.
    assert!(in_folder(&root.join("201")).is_empty());
    assert_eq!(in_folder(&root).len(), 7);
}

#[test]
fn months_and_pages_of_a_listing_agree() {
    let (_dir, library) = synthetic_library(120);
    let search = PhotoSearch { from: Some("2000-02-10".into()), ..Default::default() };
    let months = library.photo_months(&search).unwrap();
    let all = library.browse_photos(&search).unwrap();
    assert_eq!(months.iter().map(|m| m.photos).sum::<u64>(), all.len() as u64);
    assert_eq!(months[0].month.as_deref(), Some("2000-04"), "newest month first");
    assert_eq!(months.last().unwrap().month.as_deref(), Some("2000-02"));
    // The listing's photos run through the months in the same order.
    let mut at = 0;
    for month in &months {
        for photo in &all[at..at + month.photos as usize] {
            assert_eq!(photo.taken_at.as_deref().map(|t| &t[..7]), month.month.as_deref());
        }
        at += month.photos as usize;
    }
    // Pages put together are the listing.
    let mut paged = Vec::new();
    for page in 0.. {
        let rows = library
            .browse_photos(&PhotoSearch { limit: Some(25), offset: page * 25, ..search.clone() })
            .unwrap();
        if rows.is_empty() {
            break;
        }
        paged.extend(ids(&rows));
    }
    assert_eq!(paged, ids(&all));
}

#[test]
fn only_these_people_leaves_out_photos_with_anyone_else() {
    let (_dir, mut library) = synthetic_library(150);
    let groups: Vec<i64> =
        library.people(false).unwrap().iter().filter(|p| p.name.is_none()).map(|p| p.id).collect();
    let (a, b) =
        (library.name_person(groups[0], "Ada").unwrap(), library.name_person(groups[1], "Bo").unwrap());
    let faces_by_photo = |library: &Library, photo: i64| -> Vec<Option<i64>> {
        library
            .faces_of_photo(photo)
            .unwrap()
            .iter()
            .map(|f| library.catalog().assignment_of_face(f.id).unwrap().map(|x| x.0))
            .collect()
    };
    let search = |library: &Library, people: Vec<i64>, only: bool, match_all: bool| {
        library.search(&PhotoSearch { people, only, match_all, ..Default::default() }).unwrap()
    };
    let only_a = search(&library, vec![a], true, true);
    assert!(!only_a.is_empty());
    for photo in &only_a {
        assert_eq!(faces_by_photo(&library, photo.id), vec![Some(a)], "photo {} shows only Ada", photo.id);
    }
    let with_a: HashSet<i64> = ids(&search(&library, vec![a], false, true)).into_iter().collect();
    let alone: HashSet<i64> =
        with_a.iter().copied().filter(|&p| faces_by_photo(&library, p).len() == 1).collect();
    assert_eq!(ids(&only_a).into_iter().collect::<HashSet<_>>(), alone);
    for photo in search(&library, vec![a, b], true, true) {
        let mut people = faces_by_photo(&library, photo.id);
        people.sort();
        assert_eq!(people, vec![Some(a), Some(b)]);
    }
    // A detection the user said is not a face does not count as somebody else.
    let crowded = with_a.iter().copied().find(|&p| faces_by_photo(&library, p).len() == 2).unwrap();
    let other = library
        .faces_of_photo(crowded)
        .unwrap()
        .into_iter()
        .find(|f| library.catalog().assignment_of_face(f.id).unwrap().map(|x| x.0) != Some(a))
        .unwrap();
    library.mark_not_a_face(other.id).unwrap();
    assert!(ids(&search(&library, vec![a], true, true)).contains(&crowded));
    // Filters combine: only Ada, in an album, in a date range.
    let album = library.create_album("Ada alone", &ids(&only_a)[..2]).unwrap();
    let combined = library
        .search(&PhotoSearch {
            people: vec![a],
            only: true,
            match_all: true,
            album: Some(album),
            to: only_a[1].taken_at.as_ref().map(|t| t[..10].to_string()),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(ids(&combined), vec![only_a[1].id]);
}

#[test]
fn albums_and_drawn_boxes_travel_in_the_backup() {
    let (_dir, mut library) = synthetic_library(30);
    let all = every_photo(&library);
    library.create_album("Best", &all[3..6]).unwrap();
    let kept = library.create_album("Kept", &all[..1]).unwrap();
    let gone = library.create_album("Gone", &all[..1]).unwrap();
    library.delete_album(gone).unwrap();
    {
        let catalog = library.catalog();
        catalog
            .conn()
            .execute(
                "INSERT INTO drawn_faces (photo_id, x, y, w, h, face_id, drawn_at) VALUES (?1, 10, 20, 30, 40, NULL, 't')",
                [all[7]],
            )
            .unwrap();
    }
    let backup = library.backup().unwrap();
    assert_eq!(backup.albums.iter().map(|a| a.name.as_str()).collect::<Vec<_>>(), vec!["Best", "Kept"]);
    assert_eq!(backup.albums[0].photos.len(), 3);
    assert_eq!(backup.drawn_faces.len(), 1);
    assert_eq!(backup.drawn_faces[0].place.bounds, [10.0, 20.0, 30.0, 40.0]);

    // A second library of the same photos (by content) gets them back.
    let (_dir2, mut other) = library_with_same_photos(&library);
    let summary = other.restore(&backup, false).unwrap();
    assert_eq!((summary.albums, summary.drawn_faces), (2, 1));
    let restored = other.albums().unwrap();
    assert_eq!(
        restored.iter().map(|a| (a.name.as_str(), a.photos)).collect::<Vec<_>>(),
        vec![("Best", 3), ("Kept", 1)]
    );
    let hash_of = |library: &Library, id: i64| library.photo(id).unwrap().content_hash;
    let best = other.find_album("best").unwrap();
    let mut restored_hashes: Vec<_> = other
        .search(&PhotoSearch { album: Some(best), ..Default::default() })
        .unwrap()
        .into_iter()
        .map(|p| p.content_hash)
        .collect();
    let mut original: Vec<_> = all[3..6].iter().map(|&id| hash_of(&library, id)).collect();
    restored_hashes.sort();
    original.sort();
    assert_eq!(restored_hashes, original);
    let drawn: i64 = other
        .catalog()
        .conn()
        .query_row("SELECT count(*) FROM drawn_faces WHERE face_id IS NULL", [], |r| r.get(0))
        .unwrap();
    assert_eq!(drawn, 1, "the drawn box waits for the face job to make its face");
    let _ = kept;
}

/// A new library holding the same photos (same content hashes) as `library`, faces included.
fn library_with_same_photos(library: &Library) -> (tempfile::TempDir, Library) {
    let (dir, mut other) = self::library();
    let now = crate::time::now_utc();
    let catalog = other.catalog_mut();
    let root = catalog.ensure_root(Path::new("/synthetic"), &now).unwrap();
    let tx = catalog.conn_mut().transaction().unwrap();
    for photo in library.browse_photos(&PhotoSearch::default()).unwrap() {
        tx.execute(
            "INSERT INTO photos (root_id, path, size, mtime_ns, content_hash, format, width, height, taken_at,
                                 status, first_seen_at, last_seen_at, checked_at)
             VALUES (?1, ?2, 1000, 0, ?3, 'jpeg', 4000, 3000, ?4, 'ok', ?5, ?5, ?5)",
            rusqlite::params![root, crate::paths::to_bytes(&photo.path), photo.content_hash, photo.taken_at, now],
        )
        .unwrap();
    }
    tx.commit().unwrap();
    (dir, other)
}
