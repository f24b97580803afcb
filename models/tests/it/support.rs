use std::path::{Path, PathBuf};

use kindred_models::{Detector, Embedder, Runtime, weights};

/// The repository root.
pub(crate) fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("models/ has a parent").to_path_buf()
}

/// `models/weights/`.
pub(crate) fn weights_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("weights")
}

/// The verified weight files, or `None` (after a loud notice) when `models/weights/` does
/// not exist.
pub(crate) fn weight_bytes(test: &str) -> Option<(Vec<u8>, Vec<u8>)> {
    let dir = weights_dir();
    if !dir.is_dir() {
        eprintln!(
            "\n\
             ********************************************************************\n\
             * SKIPPED {test}: {} does not exist.\n\
             * Run scripts/fetch-models to get the pinned weights.\n\
             ********************************************************************\n",
            dir.display()
        );
        return None;
    }
    let yunet = weights::verify(dir.join(weights::YUNET_FILE)).unwrap_or_else(|e| panic!("{e}"));
    let sface = weights::verify(dir.join(weights::SFACE_FILE)).unwrap_or_else(|e| panic!("{e}"));
    Some((yunet, sface))
}

/// Both networks on `rt`, or `None` without weights.
pub(crate) fn networks(test: &str, rt: &Runtime) -> Option<(Detector, Embedder)> {
    let (yunet, sface) = weight_bytes(test)?;
    Some((
        Detector::from_onnx(&yunet, rt).expect("YuNet loads"),
        Embedder::from_onnx(&sface, rt).expect("SFace loads"),
    ))
}

/// Whether the opt-in GPU tests should run (`KINDRED_GPU_TESTS=1`).
pub(crate) fn gpu_tests_enabled() -> bool {
    std::env::var("KINDRED_GPU_TESTS").is_ok_and(|v| v == "1")
}

pub(crate) fn cosine(a: &[f32], b: &[f32]) -> f32 {
    let dot: f32 = a.iter().zip(b).map(|(x, y)| x * y).sum();
    let na: f32 = a.iter().map(|x| x * x).sum::<f32>().sqrt();
    let nb: f32 = b.iter().map(|x| x * x).sum::<f32>().sqrt();
    dot / (na * nb)
}
