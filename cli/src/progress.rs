//! Turns core progress events into a terminal progress bar on stderr.
//! The bar hides itself when stderr is not a terminal, so scripts and logs stay clean.

use std::sync::Mutex;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};
use kindred_core::{Event, EventSink};

pub(crate) struct TerminalProgress {
    bar: Mutex<ProgressBar>,
}

impl TerminalProgress {
    pub(crate) fn new(quiet: bool) -> TerminalProgress {
        let bar = if quiet { ProgressBar::hidden() } else { ProgressBar::new_spinner() };
        bar.enable_steady_tick(Duration::from_millis(120));
        TerminalProgress { bar: Mutex::new(bar) }
    }

    pub(crate) fn finish(&self) {
        if let Ok(bar) = self.bar.lock() {
            bar.finish_and_clear();
        }
    }
}

impl EventSink for TerminalProgress {
    fn event(&self, event: Event) {
        let Ok(bar) = self.bar.lock() else { return };
        match event {
            Event::ScanWalking { found } => bar.set_message(format!("looking for photos: {found} files")),
            Event::ScanPlanned { found, to_process } => {
                bar.set_style(
                    ProgressStyle::with_template(
                        "{bar:30} {pos}/{len} files, {per_sec}, {eta} left  {wide_msg}",
                    )
                    .unwrap_or_else(|_| ProgressStyle::default_bar()),
                );
                bar.set_length(to_process);
                bar.set_message(format!("{} unchanged", found - to_process));
            }
            Event::ScanProgress { done, path, .. } => {
                bar.set_position(done);
                let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
                bar.set_message(name);
            }
            Event::FacesPlanned { photos } => {
                bar.set_style(
                    ProgressStyle::with_template(
                        "{bar:30} {pos}/{len} photos, {per_sec}, {eta} left  {wide_msg}",
                    )
                    .unwrap_or_else(|_| ProgressStyle::default_bar()),
                );
                bar.set_length(photos);
            }
            Event::FacesProgress { done, faces, .. } => {
                bar.set_position(done);
                bar.set_message(format!("{faces} faces"));
            }
            Event::NamesPlanned { photos } => {
                bar.set_style(
                    ProgressStyle::with_template("{bar:30} {pos}/{len} photos, {eta} left  {wide_msg}")
                        .unwrap_or_else(|_| ProgressStyle::default_bar()),
                );
                bar.set_length(photos);
            }
            Event::NamesProgress { done, path, .. } => {
                bar.set_position(done);
                bar.set_message(
                    path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default(),
                );
            }
            _ => {}
        }
    }
}
