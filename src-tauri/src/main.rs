//! Kindred's desktop window: a thin shell over `kindred-core`. Commands live in
//! [`commands`], long jobs in [`jobs`], pictures are served by the `kindred:` protocol
//! ([`media`]); everything else is the core's.

// No console window beside the app on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

mod commands;
mod dto;
mod jobs;
mod media;
mod state;
mod watch;

use std::path::PathBuf;
use std::sync::Arc;

use tauri::Manager;
use tauri_plugin_dialog::{DialogExt, MessageDialogKind};

use crate::state::AppState;

/// Which library to open: `--library FILE`, else `$KINDRED_LIBRARY` (as for the CLI), else the
/// platform's default.
fn library_path() -> kindred_core::Result<PathBuf> {
    let mut args = std::env::args_os().skip(1);
    while let Some(arg) = args.next() {
        if arg == "--library"
            && let Some(path) = args.next()
        {
            return Ok(PathBuf::from(path));
        }
    }
    match std::env::var_os("KINDRED_LIBRARY") {
        Some(path) if !path.is_empty() => Ok(PathBuf::from(path)),
        _ => kindred_core::Library::default_path(),
    }
}

/// Mesa's `VK_LAYER_MESA_device_select` picks the GPU driving the display and complains on
/// stderr when there is no desktop session; Kindred only computes on GPUs and chooses among them
/// itself, so the layer is switched off, unless the user set the variable.
#[allow(unsafe_code)]
fn quiet_vulkan_layers() {
    if std::env::var_os("NODEVICE_SELECT").is_none() {
        // SAFETY: called first thing in `main`, before any thread exists that could read the
        // environment at the same time.
        unsafe { std::env::set_var("NODEVICE_SELECT", "1") };
    }
}

fn main() {
    quiet_vulkan_layers();
    tauri::Builder::default()
        .plugin(tauri_plugin_dialog::init())
        .setup(|app| {
            // The weights ship as resources of the package; a development build finds them in
            // the repository instead.
            let bundled = app.path().resource_dir().ok().map(|dir| dir.join("models"));
            let models_dir = bundled.filter(|dir| kindred_core::faces::holds_models(dir));
            match library_path().and_then(|path| AppState::open(&path, models_dir)) {
                Ok(state) => {
                    let state = Arc::new(state);
                    app.manage(Arc::clone(&state));
                    watch::start(app.handle().clone(), state);
                }
                // A library that cannot be opened (written by a newer Kindred, unreadable) is
                // left untouched; the user is told why before the window closes.
                Err(error) => {
                    eprintln!("kindred-app: {error}");
                    let handle = app.handle().clone();
                    app.dialog()
                        .message(error.to_string())
                        .title("Kindred cannot open its library")
                        .kind(MessageDialogKind::Error)
                        .show(move |_| handle.exit(1));
                }
            }
            Ok(())
        })
        .register_asynchronous_uri_scheme_protocol("kindred", |context, request, responder| {
            let Some(state) = context.app_handle().try_state::<Arc<AppState>>().map(|s| Arc::clone(&s))
            else {
                return responder.respond(media::unavailable());
            };
            tauri::async_runtime::spawn_blocking(move || responder.respond(media::respond(&state, &request)));
        })
        .invoke_handler(tauri::generate_handler![
            commands::library_info,
            commands::list_issues,
            commands::remove_folder,
            commands::run_job,
            commands::cancel_job,
            commands::named_people,
            commands::person_detail,
            commands::person_photos,
            commands::search_photos,
            commands::name_person,
            commands::merge_people,
            commands::set_hidden,
            commands::set_cover,
            commands::set_birth_date,
            commands::move_faces,
            commands::remove_face,
            commands::not_a_face,
            commands::undo,
            commands::review_queue,
            commands::review_queue_about,
            commands::answer_review,
            commands::photo_detail,
            commands::get_settings,
            commands::set_device,
            commands::set_threshold,
            commands::use_base_model,
            commands::device_info,
            commands::photo_months,
            commands::photo_page,
            commands::people_page,
            commands::groups_to_name,
            commands::hide_small_groups,
            commands::remove_faces,
            commands::not_faces,
            commands::list_albums,
            commands::album_detail,
            commands::folder_albums,
            commands::create_album,
            commands::rename_album,
            commands::delete_album,
            commands::add_to_album,
            commands::remove_from_album,
            commands::draw_face,
        ])
        .run(tauri::generate_context!())
        .expect("Kindred's window could not start");
}
