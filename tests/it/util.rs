use std::path::PathBuf;
use std::sync::OnceLock;

use kindred_core::faces::{self, FaceEngine};

/// The labeled photos beside the repository.
pub(crate) fn faces_data() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/data/faces");
    assert!(dir.join("labels.csv").is_file(), "the labeled photos are expected at {}", dir.display());
    dir
}

pub(crate) fn engine() -> &'static FaceEngine {
    static ENGINE: OnceLock<FaceEngine> = OnceLock::new();
    ENGINE.get_or_init(|| {
        let dir = faces::locate_models().expect("the face models (scripts/fetch-models)");
        FaceEngine::load(&dir, kindred_core::Device::Cpu).expect("the face models load")
    })
}
