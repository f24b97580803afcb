/// Kindred's own commands. Declaring them makes each one a permission, so the window may call
/// only those its capability (capabilities/main.json) lists.
const COMMANDS: &[&str] = &[
    "library_info",
    "list_issues",
    "remove_folder",
    "run_job",
    "cancel_job",
    "list_people",
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
];

fn main() {
    tauri_build::try_build(
        tauri_build::Attributes::new().app_manifest(tauri_build::AppManifest::new().commands(COMMANDS)),
    )
    .expect("the Tauri build step failed");
}
