//! The YuNet face detector.

mod batcher;
mod decode;
mod net;
#[cfg(test)]
mod tests;

use burn::module::Module;
use burn::tensor::{Device, Tensor, TensorData};
use image::RgbImage;
use rayon::prelude::*;

use crate::cpu::YuNetCpu;
use crate::onnx::Constants;
use crate::{ComputeKind, ModelError, Runtime};
use batcher::Batcher;
use decode::Level;
use net::{HEAD_CHANNELS, YuNet};

/// One detected face, in pixels of the image given to [`Detector::detect`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Detection {
    /// Left edge of the box.
    pub x: f32,
    /// Top edge of the box.
    pub y: f32,
    /// Box width.
    pub w: f32,
    /// Box height.
    pub h: f32,
    /// Confidence in [0, 1]: `√(cls · obj)`.
    pub score: f32,
    /// Left eye, right eye, nose tip, left mouth corner, right mouth corner, as seen in the
    /// image (so the "left eye" is the person's right eye), each `[x, y]`.
    pub landmarks: [[f32; 2]; 5],
}

/// YuNet: finds faces of roughly 10 to 300 pixels and five landmarks on each.
///
/// Scale a photo so that its long side is about 640 pixels before detecting (never
/// upscale); see the project notes for why.
#[derive(Debug)]
pub struct Detector {
    net: Net,
}

/// The network on its device.
#[derive(Debug)]
#[expect(clippy::large_enum_variant, reason = "one per detector, never moved after loading")]
enum Net {
    /// burn's module (on a GPU, or on the CPU where the CPU kernels are turned off). On a GPU,
    /// single detections of several threads are batched.
    Burn { net: YuNet, device: Device, batcher: Option<Batcher> },
    /// The CPU kernels.
    Cpu(YuNetCpu),
}

/// Rounds up to the multiple of 32 that YuNet's five stride-2 stages need.
fn pad32(v: usize) -> usize {
    v.div_ceil(32) * 32
}

impl Detector {
    /// Loads YuNet from the bytes of `face_detection_yunet_2023mar_int8bq.onnx`.
    ///
    /// # Errors
    ///
    /// Malformed ONNX, a tensor missing, left over or of the wrong shape, or a graph whose
    /// fixed parts (upsampling) differ from YuNet's.
    pub fn from_onnx(bytes: &[u8], rt: &Runtime) -> Result<Detector, ModelError> {
        let mut constants = Constants::from_onnx(bytes)?;
        let net = YuNet::load(&mut constants, &rt.device)?;
        constants.finish()?;
        let net = if rt.cpu_kernels() {
            Net::Cpu(net.to_cpu())
        } else {
            let batcher = (rt.info().kind == ComputeKind::Gpu).then(Batcher::default);
            Net::Burn { net: net.valid(), device: rt.device.clone(), batcher }
        };
        Ok(Detector { net })
    }

    /// Faces in `image` with a score of at least `score_threshold` (OpenCV uses 0.9; 0.6 to
    /// 0.8 suits photo albums), after non-maximum suppression at IoU `nms_iou` (0.3 is
    /// usual). Best first.
    ///
    /// On a GPU, calls made at the same time from several threads on images of one padded
    /// size run as one batch, with the same results.
    pub fn detect(&self, image: &RgbImage, score_threshold: f32, nms_iou: f32) -> Vec<Detection> {
        if let Net::Burn { net, device, batcher: Some(batcher) } = &self.net
            && image.width() > 0
            && image.height() > 0
        {
            let (pw, ph) = (pad32(image.width() as usize), pad32(image.height() as usize));
            let levels = Level::for_input(pw, ph);
            let input = bgr_phases(&[image], pw, ph).concat();
            let out = batcher.run((pw, ph), input, |inputs| {
                let n = inputs.len();
                let plane = 3 * (pw / 2) * (ph / 2);
                let phases: [Vec<f32>; 4] = std::array::from_fn(|p| {
                    inputs.iter().flat_map(|i| i[p * plane..(p + 1) * plane].iter().copied()).collect()
                });
                let out = burn_forward(net, device, phases, n, pw, ph);
                out.chunks_exact(out.len() / n).map(<[f32]>::to_vec).collect()
            });
            return decode::nms(decode::decode(&out, &levels, score_threshold), nms_iou);
        }
        self.detect_batch(&[image], score_threshold, nms_iou).pop().unwrap_or_default()
    }

    /// [`detect`](Detector::detect) for several images in one forward pass.
    ///
    /// The images are zero-padded at the bottom and right to a common size, the smallest
    /// multiple of 32 that holds each. An image smaller than the batch's largest therefore
    /// sees more black border than it would alone, which can shift scores near its right
    /// and bottom edges slightly; batch images of one size for identical results.
    pub fn detect_batch(
        &self,
        images: &[&RgbImage],
        score_threshold: f32,
        nms_iou: f32,
    ) -> Vec<Vec<Detection>> {
        let width = images.iter().map(|i| i.width() as usize).max().unwrap_or(0);
        let height = images.iter().map(|i| i.height() as usize).max().unwrap_or(0);
        if width == 0 || height == 0 {
            return vec![Vec::new(); images.len()];
        }
        let (pw, ph) = (pad32(width), pad32(height));
        let levels = Level::for_input(pw, ph);
        let faces = |out: &[f32]| decode::nms(decode::decode(out, &levels, score_threshold), nms_iou);
        match &self.net {
            Net::Cpu(net) => {
                let threads = rayon::current_num_threads();
                // Images side by side when there are enough to go round, else each layer
                // split between the threads.
                if images.len() >= threads && threads > 1 {
                    images.par_iter().map(|image| faces(&net.forward(image, pw, ph, false))).collect()
                } else {
                    images.iter().map(|image| faces(&net.forward(image, pw, ph, true))).collect()
                }
            }
            Net::Burn { net, device, .. } => {
                let out = burn_forward(net, device, bgr_phases(images, pw, ph), images.len(), pw, ph);
                let per_image = HEAD_CHANNELS * levels.iter().map(Level::cells).sum::<usize>();
                out.chunks_exact(per_image).map(faces).collect()
            }
        }
    }
}

/// The head outputs of `n` images (see [`bgr_phases`]) through burn's module: per image,
/// `HEAD_CHANNELS × cells`.
fn burn_forward(
    net: &YuNet,
    device: &Device,
    phases: [Vec<f32>; 4],
    n: usize,
    pw: usize,
    ph: usize,
) -> Vec<f32> {
    let phases =
        phases.map(|data| Tensor::<4>::from_data(TensorData::new(data, [n, 3, ph / 2, pw / 2]), device));
    net.forward(phases).into_data().try_into_vec::<f32>().expect("YuNet output is f32")
}

/// The network input: the four polyphase components `(py, px)` = (0, 0), (0, 1), (1, 0),
/// (1, 1) of the images (see the network's stem), each per image B, G and R planes of
/// `ph/2 × pw/2` holding pixel `(2a + py, 2b + px)`, 0-255, zero beyond the image (OpenCV's
/// `copyMakeBorder` padding at the bottom and right).
fn bgr_phases(images: &[&RgbImage], pw: usize, ph: usize) -> [Vec<f32>; 4] {
    let (hw, hh) = (pw / 2, ph / 2);
    let plane = hw * hh;
    let mut phases: [Vec<f32>; 4] = std::array::from_fn(|_| vec![0.0f32; images.len() * 3 * plane]);
    for (n, img) in images.iter().enumerate() {
        let w = img.width() as usize;
        if w == 0 {
            continue;
        }
        for (y, row) in img.as_raw().chunks_exact(w * 3).enumerate() {
            let (a, py) = (y / 2, y % 2);
            for (x, px_rgb) in row.chunks_exact(3).enumerate() {
                let (b, px) = (x / 2, x % 2);
                let dst = &mut phases[py * 2 + px];
                let at = n * 3 * plane + a * hw + b;
                dst[at] = f32::from(px_rgb[2]);
                dst[at + plane] = f32::from(px_rgb[1]);
                dst[at + 2 * plane] = f32::from(px_rgb[0]);
            }
        }
    }
    phases
}
