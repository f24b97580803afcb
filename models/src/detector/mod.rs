//! The YuNet face detector.

mod decode;
mod net;
#[cfg(test)]
mod tests;

use burn::module::Module;
use burn::tensor::{Device, Tensor, TensorData};
use image::RgbImage;

use crate::onnx::Constants;
use crate::{ModelError, Runtime};
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
    net: YuNet,
    device: Device,
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
        Ok(Detector { net: net.valid(), device: rt.device.clone() })
    }

    /// Faces in `image` with a score of at least `score_threshold` (OpenCV uses 0.9; 0.6 to
    /// 0.8 suits photo albums), after non-maximum suppression at IoU `nms_iou` (0.3 is
    /// usual). Best first.
    pub fn detect(&self, image: &RgbImage, score_threshold: f32, nms_iou: f32) -> Vec<Detection> {
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
        let input = Tensor::<4>::from_data(
            TensorData::new(bgr_planes(images, pw, ph), [images.len(), 3, ph, pw]),
            &self.device,
        );
        let out = self.net.forward(input).into_data().try_into_vec::<f32>().expect("YuNet output is f32");
        let per_image = HEAD_CHANNELS * levels.iter().map(Level::cells).sum::<usize>();
        out.chunks_exact(per_image)
            .map(|o| decode::nms(decode::decode(o, &levels, score_threshold), nms_iou))
            .collect()
    }
}

/// The network input: per image, B, G and R planes of `ph × pw`, 0-255, zero-padded at the
/// bottom and right as OpenCV's `copyMakeBorder` does.
fn bgr_planes(images: &[&RgbImage], pw: usize, ph: usize) -> Vec<f32> {
    let plane = pw * ph;
    let mut data = vec![0.0f32; images.len() * 3 * plane];
    for (img, dst) in images.iter().zip(data.chunks_exact_mut(3 * plane)) {
        let w = img.width() as usize;
        if w == 0 {
            continue;
        }
        let (b, rest) = dst.split_at_mut(plane);
        let (g, r) = rest.split_at_mut(plane);
        for (y, row) in img.as_raw().chunks_exact(w * 3).enumerate() {
            let at = y * pw;
            for (x, px) in row.chunks_exact(3).enumerate() {
                r[at + x] = f32::from(px[0]);
                g[at + x] = f32::from(px[1]);
                b[at + x] = f32::from(px[2]);
            }
        }
    }
    data
}
