//! Face networks for Kindred: the YuNet detector and the SFace embedder, written as burn
//! modules and loaded straight from the pinned block-int8 ONNX files.
//!
//! This is the only crate of the workspace that names burn types. Its public API takes
//! images and returns plain data:
//!
//! - [`Runtime`] chooses the device ([`DevicePreference`]: GPU through wgpu, or the CPU).
//! - [`Detector`] finds faces and five landmarks per face ([`Detection`]).
//! - [`align::align_face`] cuts the 112×112 crop the embedder expects.
//! - [`Embedder`] maps crops to L2-normalised 128-D vectors (with their norms before
//!   normalising, a sign of how well the network sees the face).
//! - [`weights`] names the pinned files and checks their hashes.
//!
//! ```no_run
//! use kindred_models::{align, weights, DevicePreference, Detector, Embedder, Runtime};
//!
//! let rt = Runtime::new(DevicePreference::Auto)?;
//! let detector = Detector::from_onnx(&weights::verify("models/weights/face_detection_yunet_2023mar_int8bq.onnx")?, &rt)?;
//! let embedder = Embedder::from_onnx(&weights::verify("models/weights/face_recognition_sface_2021dec_int8bq.onnx")?, &rt)?;
//! let photo = image::open("photo.jpg").unwrap().to_rgb8();
//! let faces = detector.detect(&photo, 0.7, 0.3);
//! let crops: Vec<_> = faces.iter().map(|f| align::align_face(&photo, &f.landmarks)).collect();
//! let vectors = embedder.embed(&crops);
//! # Ok::<(), kindred_models::ModelError>(())
//! ```

pub mod adapter;
pub mod align;
mod cpu;
mod detector;
mod embedder;
mod error;
mod layers;
mod onnx;
mod runtime;
#[cfg(test)]
mod testing;
pub mod weights;

pub use detector::{Detection, Detector};
pub use embedder::{EMBEDDING_DIM, Embedder, Embedding};
pub use error::ModelError;
pub use runtime::{ComputeKind, DevicePreference, Runtime, RuntimeInfo};
