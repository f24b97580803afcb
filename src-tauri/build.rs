/// Kindred's own commands. Declaring them makes each one a permission, so the window may call
/// only those its capability (capabilities/main.json) lists.
const COMMANDS: &[&str] = &[
    "library_info",
    "list_issues",
    "remove_folder",
    "run_job",
    "cancel_job",
    "named_people",
    "person_detail",
    "person_photos",
    "search_photos",
    "name_person",
    "merge_people",
    "set_hidden",
    "set_cover",
    "set_birth_date",
    "move_faces",
    "remove_face",
    "not_a_face",
    "undo",
    "review_queue",
    "review_queue_about",
    "answer_review",
    "photo_detail",
    "get_settings",
    "set_device",
    "set_threshold",
    "use_base_model",
    "device_info",
    "photo_months",
    "photo_page",
    "people_page",
    "groups_to_name",
    "hide_small_groups",
    "remove_faces",
    "not_faces",
    "list_albums",
    "album_detail",
    "folder_albums",
    "create_album",
    "rename_album",
    "delete_album",
    "add_to_album",
    "remove_from_album",
    "draw_face",
];

fn main() {
    tauri_build::try_build(
        tauri_build::Attributes::new().app_manifest(tauri_build::AppManifest::new().commands(COMMANDS)),
    )
    .expect("the Tauri build step failed");
}
