//! The face pipeline: decode (at the scale detection needs) → orient → detect (downscaled,
//! plus a tiled pass for crowds) → align (from a frame decoded as large as the smallest face
//! needs) → embed. `models` does the arithmetic; this module decides
//! what to feed it and keeps the results.

mod detect;
mod device;
mod drawn;
mod frame;
mod job;
pub mod quality;
#[cfg(test)]
mod tests;
mod thumbs;

use std::path::{Path, PathBuf};

use image::RgbImage;
use kindred_models::{Detector, DevicePreference, Embedder, Runtime, RuntimeInfo, align, weights};

pub use crate::catalog::FoundFace;
use crate::error::{Error, ErrorKind, Result};

pub use detect::DetectOptions;
pub use device::AutoChoice;
pub use drawn::MIN_DRAWN_SIDE;
pub(crate) use drawn::{check_drawn_box, face_in_photo_box, restore_drawn_faces};
pub(crate) use job::run_faces_job;
pub use job::{FacesSummary, StageTimes};
pub use thumbs::PhotoPreview;
pub(crate) use thumbs::{face_thumbnail, photo_preview};

/// The detector and embedder pair that produced a face; stored with every face so that a
/// new model version is recognised and its faces redone.
pub const MODEL_ID: &str = "yunet-2023mar-int8bq+sface-2021dec-int8bq";

/// Where the networks should run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Device {
    /// The faster of a hardware GPU (when there is one) and the CPU, measured (see
    /// [`AutoChoice`]).
    #[default]
    Auto,
    /// A GPU through wgpu, or an error.
    Gpu,
    /// The CPU.
    Cpu,
}

impl Device {
    pub(crate) fn preference(self) -> DevicePreference {
        match self {
            Device::Auto => DevicePreference::Auto,
            Device::Gpu => DevicePreference::Gpu,
            Device::Cpu => DevicePreference::Cpu,
        }
    }

    /// The name `parse` reads back: `auto`, `gpu` or `cpu`.
    pub fn as_str(self) -> &'static str {
        match self {
            Device::Auto => "auto",
            Device::Gpu => "gpu",
            Device::Cpu => "cpu",
        }
    }

    pub fn parse(text: &str) -> Option<Device> {
        Some(match text {
            "auto" => Device::Auto,
            "gpu" => Device::Gpu,
            "cpu" => Device::Cpu,
            _ => return None,
        })
    }
}

/// Which processor runs the networks, as reported to the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceReport {
    /// `"gpu"` or `"cpu"`.
    pub kind: &'static str,
    /// The burn backend: `"wgpu"` or `"flex"`.
    pub backend: String,
    /// The adapter name (`"cpu"` for the CPU backend).
    pub adapter: String,
    pub driver: String,
}

impl From<RuntimeInfo> for DeviceReport {
    fn from(info: RuntimeInfo) -> DeviceReport {
        DeviceReport {
            kind: match info.kind {
                kindred_models::ComputeKind::Gpu => "gpu",
                kindred_models::ComputeKind::Cpu => "cpu",
            },
            backend: info.backend,
            adapter: info.adapter,
            driver: info.driver,
        }
    }
}

/// The loaded networks on their device.
pub struct FaceEngine {
    runtime: Runtime,
    detector: Detector,
    embedder: Embedder,
    pub options: DetectOptions,
    /// For `auto` with a GPU at hand: what was measured, and so chosen.
    auto: Option<AutoChoice>,
}

impl std::fmt::Debug for FaceEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FaceEngine").field("device", &self.runtime.info()).finish()
    }
}

/// The folders searched for the weight files, in order.
pub fn model_search_path() -> Vec<PathBuf> {
    let mut dirs = Vec::new();
    if let Some(dir) = std::env::var_os("KINDRED_MODELS_DIR") {
        dirs.push(PathBuf::from(dir));
    }
    if let Ok(exe) = std::env::current_exe()
        && let Some(bin) = exe.parent()
    {
        dirs.push(bin.join("models"));
        dirs.push(bin.join("../share/kindred/models"));
        dirs.push(bin.join("../lib/kindred/models"));
    }
    // A build from the repository finds the weights that scripts/fetch-models placed there.
    dirs.push(Path::new(env!("CARGO_MANIFEST_DIR")).join("../models/weights"));
    dirs
}

/// Whether `dir` holds both weight files.
pub fn holds_models(dir: &Path) -> bool {
    dir.join(weights::YUNET_FILE).is_file() && dir.join(weights::SFACE_FILE).is_file()
}

/// The first folder of [`model_search_path`] that holds both weight files.
pub fn locate_models() -> Result<PathBuf> {
    let dirs = model_search_path();
    dirs.iter().find(|d| holds_models(d)).cloned().ok_or_else(|| {
        let looked: Vec<String> = dirs.iter().map(|d| d.display().to_string()).collect();
        Error::new(
            ErrorKind::Model,
            format!(
                "the face models are not installed (looked in {}); run scripts/fetch-models, \
                     or set KINDRED_MODELS_DIR to the folder holding {} and {}",
                looked.join(", "),
                weights::YUNET_FILE,
                weights::SFACE_FILE
            ),
        )
    })
}

fn model_error(what: &str, e: kindred_models::ModelError) -> Error {
    Error::with_source(ErrorKind::Model, format!("{what}: {e}"), e)
}

impl FaceEngine {
    /// Loads both networks from `models_dir` (checking their sha256) onto `device`. `Auto`
    /// with a hardware GPU measures it against the CPU (see [`load_auto`](Self::load_auto)).
    pub fn load(models_dir: &Path, device: Device) -> Result<FaceEngine> {
        match device {
            Device::Auto => FaceEngine::load_auto(models_dir, None),
            _ => FaceEngine::load_on(
                models_dir,
                Runtime::new(device.preference())
                    .map_err(|e| model_error("cannot open the compute device", e))?,
            ),
        }
    }

    /// Loads both networks for `auto`: on the CPU without a hardware GPU; else on the faster
    /// of the GPU and the CPU, as `remembered` says when it was measured on this adapter, or
    /// as a new measurement says (see [`auto_choice`](Self::auto_choice)).
    pub fn load_auto(models_dir: &Path, remembered: Option<&AutoChoice>) -> Result<FaceEngine> {
        device::load_auto(models_dir, Runtime::hardware_gpu(), remembered)
    }

    /// What `auto` measured and chose by, where it had a GPU to consider.
    pub fn auto_choice(&self) -> Option<&AutoChoice> {
        self.auto.as_ref()
    }

    fn load_on(models_dir: &Path, runtime: Runtime) -> Result<FaceEngine> {
        let yunet = weights::verify(models_dir.join(weights::YUNET_FILE))
            .map_err(|e| model_error("cannot use the face detector weights", e))?;
        let sface = weights::verify(models_dir.join(weights::SFACE_FILE))
            .map_err(|e| model_error("cannot use the face embedder weights", e))?;
        let detector = Detector::from_onnx(&yunet, &runtime)
            .map_err(|e| model_error("cannot load the face detector", e))?;
        let embedder = Embedder::from_onnx(&sface, &runtime)
            .map_err(|e| model_error("cannot load the face embedder", e))?;
        Ok(FaceEngine { runtime, detector, embedder, options: DetectOptions::default(), auto: None })
    }

    pub fn device(&self) -> DeviceReport {
        self.runtime.info().into()
    }

    /// The faces of image files (not necessarily in a library), through the face job's own
    /// pipeline: decode, orient, detect, align, embed. One entry per file: its faces, or why
    /// it could not be read.
    pub fn analyze_files(&self, files: &[PathBuf]) -> Vec<std::result::Result<Vec<FoundFace>, String>> {
        job::analyze_files(self, files, &job::Clock::default())
    }

    /// [`analyze_files`](Self::analyze_files), and the time each stage took.
    pub fn analyze_files_timed(
        &self,
        files: &[PathBuf],
    ) -> (Vec<std::result::Result<Vec<FoundFace>, String>>, StageTimes) {
        let clock = job::Clock::default();
        let results = job::analyze_files(self, files, &clock);
        (results, clock.times())
    }

    /// The aligned 112×112 crops of the faces in image files, at most `limit` (for measuring
    /// the embedder alone). Unreadable files are passed over.
    pub fn aligned_crops(&self, files: &[PathBuf], limit: usize) -> Vec<RgbImage> {
        let mut crops = Vec::new();
        for file in files {
            if crops.len() >= limit {
                break;
            }
            let Ok((_, image)) = job::read_photo(file, None) else { continue };
            for d in self.detect(&image) {
                crops.push(align::align_face(&image, &d.landmarks));
            }
        }
        crops.truncate(limit);
        crops
    }

    /// Faces (boxes and landmarks, no embeddings) in an oriented photo.
    pub fn detect(&self, photo: &RgbImage) -> Vec<kindred_models::Detection> {
        self.find_faces(&mut frame::Frames::full(photo))
    }

    /// Faces (boxes and landmarks, no embeddings) in an image file, in its full-size pixels
    /// as shown, found as the face job finds them: on the file decoded at the scale the
    /// detector needs (`scaled`), or at full size.
    pub fn detect_file(&self, path: &Path, scaled: bool) -> Result<Vec<kindred_models::Detection>> {
        let min_side = scaled.then_some(self.options.first_pass_side);
        let (_, mut frames) = job::read_scaled(path, None, min_side)
            .map_err(|(_, message)| Error::new(ErrorKind::Io, format!("{}: {message}", path.display())))?;
        Ok(self.find_faces(&mut frames))
    }

    fn find_faces(&self, photo: &mut frame::Frames<'_>) -> Vec<kindred_models::Detection> {
        detect::find_faces(&self.detector, photo, &self.options)
    }

    /// Embeddings of aligned 112×112 crops, batched.
    pub fn embed_crops(&self, crops: &[RgbImage]) -> Vec<Vec<f32>> {
        if crops.is_empty() {
            return Vec::new();
        }
        self.embedder.embed(crops).into_iter().map(|e| e.to_vec()).collect()
    }

    /// Embeddings of aligned crops with their norms before normalising (a face-quality
    /// signal), batched.
    pub fn embed_crops_with_norms(&self, crops: &[RgbImage]) -> Vec<(Vec<f32>, f32)> {
        if crops.is_empty() {
            return Vec::new();
        }
        self.embedder.embed_with_norms(crops).into_iter().map(|e| (e.vector.to_vec(), e.norm)).collect()
    }
}

/// The threads the face pipeline runs on (`RAYON_NUM_THREADS`, else one per core).
pub fn worker_threads() -> usize {
    rayon::current_num_threads()
}

/// A photo decoded as the face job reads it (EXIF orientation applied).
pub fn read_oriented(path: &Path) -> Result<RgbImage> {
    job::read_photo(path, None)
        .map(|(_, image)| image)
        .map_err(|(_, message)| Error::new(ErrorKind::Io, format!("{}: {message}", path.display())))
}

/// Cosine similarity of two L2-normalised embeddings.
pub fn cosine(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// Same person at cosine similarity ≥ this. Chosen on the CelebA-wild pair list, where the
/// best threshold of either half was 0.301 and it scored 98.75% and 98.54% on the other half;
/// OpenCV's 0.363 suits passport-like test photos better than albums.
pub const SAME_PERSON_COSINE: f32 = 0.30;
