//! The SFace face embedder.

mod net;
#[cfg(test)]
mod tests;

use std::borrow::Cow;

use burn::module::Module;
use burn::tensor::{Device, Tensor, TensorData};
use image::RgbImage;
use image::imageops::FilterType;

use crate::cpu::{self, SFaceCpu};
use crate::onnx::Constants;
use crate::{ComputeKind, ModelError, Runtime};
use net::{INPUT_SIZE, SFace, SFaceInference};

/// Length of an embedding.
pub const EMBEDDING_DIM: usize = net::DIM;

/// Faces per pass through the convolutional body on the CPU. Measured on 2 cores: 1 to 4
/// faces per pass run at the same speed, 8 and more about 20 % slower (the widest
/// activations, 3 MB per face, no longer stay in cache).
const CPU_BATCH: usize = 4;
/// Faces per pass through the body on a GPU: 112×112 faces are small work for one, and a
/// batch this size keeps a large GPU's cores busy (each pass also reads the linear layer's
/// 25 MB of weights once).
const GPU_BATCH: usize = 128;
/// Faces per pass through the final linear layer. Its 25 MB weight matrix is read from
/// memory once per pass whatever the batch, so on the CPU the body's outputs are gathered
/// for this many faces first: 32 faces cost about 3 times as much as 4 on 2 cores.
const HEAD_BATCH: usize = 32;

/// SFace: maps an aligned face crop to a 128-D unit vector; the cosine of two vectors
/// measures how alike the faces are.
#[derive(Debug)]
pub struct Embedder {
    net: Net,
}

/// The network on its device.
#[derive(Debug)]
enum Net {
    /// burn's module (on a GPU, or on the CPU where the CPU kernels are turned off), with the
    /// faces per pass through its body.
    Burn { net: SFaceInference, device: Device, batch: usize },
    /// The CPU kernels.
    Cpu(SFaceCpu),
}

impl Embedder {
    /// Loads SFace from the bytes of `face_recognition_sface_2021dec_int8bq.onnx`.
    ///
    /// # Errors
    ///
    /// Malformed ONNX, a tensor missing, left over or of the wrong shape, or input scaling
    /// constants other than SFace's.
    pub fn from_onnx(bytes: &[u8], rt: &Runtime) -> Result<Embedder, ModelError> {
        let mut constants = Constants::from_onnx(bytes)?;
        let net = SFace::load(&mut constants, &rt.device)?;
        constants.finish()?;
        let fused = net.fuse();
        let net = if rt.cpu_kernels() {
            Net::Cpu(fused.to_cpu())
        } else {
            let batch = match rt.info().kind {
                ComputeKind::Gpu => GPU_BATCH,
                ComputeKind::Cpu => CPU_BATCH,
            };
            Net::Burn { net: fused.valid(), device: rt.device.clone(), batch }
        };
        Ok(Embedder { net })
    }

    /// Embeds aligned face crops (see [`align::align_face`](crate::align::align_face)):
    /// one L2-normalised vector per face, in order.
    ///
    /// Crops should be 112×112 RGB; other sizes are resized bilinearly first, as OpenCV's
    /// `blobFromImage` would. Pass many crops at once: they go through the final linear layer
    /// up to 32 at a time (its weights are read once per pass), and through the convolutions
    /// side by side on the CPU's cores, or 32 at a time on a GPU.
    pub fn embed(&self, faces: &[RgbImage]) -> Vec<[f32; EMBEDDING_DIM]> {
        self.embed_with_norms(faces).into_iter().map(|e| e.vector).collect()
    }

    /// As [`embed`](Self::embed), with each face's norm before normalising: how strongly the
    /// network responds to the face, which is low for blurred, dark, tiny or turned faces.
    pub fn embed_with_norms(&self, faces: &[RgbImage]) -> Vec<Embedding> {
        let mut out = Vec::with_capacity(faces.len());
        match &self.net {
            Net::Cpu(net) => {
                for group in faces.chunks(HEAD_BATCH) {
                    let inputs: Vec<Vec<f32>> =
                        group.iter().map(|f| cpu::rgb_bordered(&crop_112(f), SFace::normalise)).collect();
                    out.extend(net.forward(&inputs).chunks_exact(EMBEDDING_DIM).map(Embedding::from_raw));
                }
            }
            Net::Burn { net, device, batch } => {
                for group in faces.chunks(HEAD_BATCH.max(*batch)) {
                    let features = group
                        .chunks(*batch)
                        .map(|chunk| {
                            let input = Tensor::<4>::from_data(
                                TensorData::new(rgb_planes(chunk), [chunk.len(), 3, INPUT_SIZE, INPUT_SIZE]),
                                device,
                            );
                            net.features(input)
                        })
                        .collect();
                    let raw = net
                        .head(Tensor::cat(features, 0))
                        .into_data()
                        .try_into_vec::<f32>()
                        .expect("SFace output is f32");
                    out.extend(raw.chunks_exact(EMBEDDING_DIM).map(Embedding::from_raw));
                }
            }
        }
        out
    }
}

/// One face's embedding: the unit vector, and the network output's norm before normalising.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Embedding {
    pub vector: [f32; EMBEDDING_DIM],
    pub norm: f32,
}

impl Embedding {
    fn from_raw(raw: &[f32]) -> Embedding {
        Embedding { vector: l2_normalised(raw), norm: raw.iter().map(|x| x * x).sum::<f32>().sqrt() }
    }
}

fn l2_normalised(v: &[f32]) -> [f32; EMBEDDING_DIM] {
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    let mut out = [0.0; EMBEDDING_DIM];
    for (o, x) in out.iter_mut().zip(v) {
        *o = if norm > 0.0 { x / norm } else { 0.0 };
    }
    out
}

/// The crop at SFace's input size: as given when it is 112×112, else resized bilinearly.
fn crop_112(face: &RgbImage) -> Cow<'_, RgbImage> {
    if face.dimensions() == (INPUT_SIZE as u32, INPUT_SIZE as u32) {
        Cow::Borrowed(face)
    } else {
        Cow::Owned(image::imageops::resize(face, INPUT_SIZE as u32, INPUT_SIZE as u32, FilterType::Triangle))
    }
}

/// The network input: per face, R, G and B planes scaled as the graph's own first two
/// nodes do.
fn rgb_planes(faces: &[RgbImage]) -> Vec<f32> {
    const PLANE: usize = INPUT_SIZE * INPUT_SIZE;
    let mut data = vec![0.0f32; faces.len() * 3 * PLANE];
    for (face, dst) in faces.iter().zip(data.chunks_exact_mut(3 * PLANE)) {
        for (i, px) in crop_112(face).as_raw().chunks_exact(3).enumerate() {
            for (c, &v) in px.iter().enumerate() {
                dst[c * PLANE + i] = SFace::normalise(v);
            }
        }
    }
    data
}
