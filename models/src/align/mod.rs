//! Face alignment for the embedder: a 5-point similarity transform onto SFace's 112×112
//! template and a bilinear warp.
//!
//! Both follow OpenCV's `FaceRecognizerSF::alignCrop` (OpenCV 4.10, the reference the golden
//! tests were made with) operation for operation, including the rounding of its fixed-point
//! `warpAffine`, so that crops, and so embeddings, match OpenCV's.

#[cfg(test)]
mod tests;

use image::{Rgb, RgbImage};

/// Side of the aligned crop the embedder takes.
pub const CROP_SIZE: u32 = 112;

/// Where the five landmarks (left eye, right eye, nose tip, left and right mouth corner, as
/// seen in the image) land in the 112×112 crop.
pub const TEMPLATE: [[f32; 2]; 5] =
    [[38.2946, 51.6963], [73.5318, 51.5014], [56.0252, 71.7366], [41.5493, 92.3655], [70.7299, 92.2041]];

/// The template's mean as OpenCV hard-codes it (rounded from the exact 56.02616, 71.90078).
const TEMPLATE_MEAN: [f32; 2] = [56.0262, 71.9008];

/// A 2×3 affine matrix `[[a, b, tx], [c, d, ty]]` mapping `(x, y)` to
/// `(a·x + b·y + tx, c·x + d·y + ty)`.
pub type Affine = [[f64; 3]; 2];

/// The similarity transform (rotation, uniform scale, translation; never a reflection)
/// that maps `src` onto `dst` with the least squared error (Umeyama's method).
pub fn similarity_transform(src: &[[f32; 2]; 5], dst: &[[f32; 2]; 5]) -> Affine {
    let dst_mean = [dst.iter().map(|p| p[0]).sum::<f32>() / 5.0, dst.iter().map(|p| p[1]).sum::<f32>() / 5.0];
    umeyama(src, dst, dst_mean)
}

/// Umeyama's estimate as OpenCV's `getSimilarityTransformMatrix` computes it: means and
/// de-meaned points in f32, products in f32 summed in f64, the rest in f64.
///
/// For two dimensions the SVD step has a closed form. With the cross-covariance
/// `A = dstᵀ·src / n`, `E = (a00 + a11) / 2` and `H = (a10 − a01) / 2`, Umeyama's rotation
/// `U·D·Vᵀ` is the rotation by `atan2(H, E)` and the trace term `Σ dᵢ sᵢ` equals
/// `2·√(E² + H²)`, whatever the sign of `det A` (D flips the smaller singular value exactly
/// when `det A < 0`). Only degenerate (collinear) landmarks, where OpenCV's result depends on
/// its SVD's sign conventions, could differ.
fn umeyama(src: &[[f32; 2]; 5], dst: &[[f32; 2]; 5], dst_mean: [f32; 2]) -> Affine {
    let src_mean = [
        (src[0][0] + src[1][0] + src[2][0] + src[3][0] + src[4][0]) / 5.0,
        (src[0][1] + src[1][1] + src[2][1] + src[3][1] + src[4][1]) / 5.0,
    ];
    let s: Vec<[f32; 2]> = src.iter().map(|p| [p[0] - src_mean[0], p[1] - src_mean[1]]).collect();
    let d: Vec<[f32; 2]> = dst.iter().map(|p| [p[0] - dst_mean[0], p[1] - dst_mean[1]]).collect();
    let cov = |i: usize, j: usize| -> f64 {
        let sum: f64 = (0..5).map(|k| f64::from(d[k][i] * s[k][j])).sum();
        sum / 5.0
    };
    let (a00, a01, a10, a11) = (cov(0, 0), cov(0, 1), cov(1, 0), cov(1, 1));
    let e = (a00 + a11) / 2.0;
    let h = (a10 - a01) / 2.0;
    let q = (e * e + h * h).sqrt();
    let var = |j: usize| -> f64 {
        let sum: f64 = (0..5).map(|k| f64::from(s[k][j] * s[k][j])).sum();
        sum / 5.0
    };
    let total_var = var(0) + var(1);
    let (cos, sin) = if q > 0.0 { (e / q, h / q) } else { (1.0, 0.0) };
    let scale = if total_var > 0.0 { 2.0 * q / total_var } else { 0.0 };
    let (m0, m1) = (f64::from(src_mean[0]), f64::from(src_mean[1]));
    let ts = [cos * m0 - sin * m1, sin * m0 + cos * m1];
    [
        [cos * scale, -sin * scale, f64::from(dst_mean[0]) - scale * ts[0]],
        [sin * scale, cos * scale, f64::from(dst_mean[1]) - scale * ts[1]],
    ]
}

/// The transform [`align_face`] applies: from image pixels to the 112×112 crop.
pub fn alignment_transform(landmarks: &[[f32; 2]; 5]) -> Affine {
    umeyama(landmarks, &TEMPLATE, TEMPLATE_MEAN)
}

/// Cuts the 112×112 crop SFace expects: the similarity transform from `landmarks` (pixels
/// of `image`, in detector order) to [`TEMPLATE`], then a bilinear warp with black borders.
pub fn align_face(image: &RgbImage, landmarks: &[[f32; 2]; 5]) -> RgbImage {
    warp_affine(image, &alignment_transform(landmarks), CROP_SIZE, CROP_SIZE)
}

/// `cv::warpAffine(src, dst, m, (width, height), INTER_LINEAR, BORDER_CONSTANT, 0)`:
/// every output pixel samples the input at `m⁻¹·(x, y)`, pixel centres at integer
/// coordinates, pixels outside the input count as black.
///
/// OpenCV works in fixed point: source coordinates are rounded to 1/32 pixel through a
/// 10-bit intermediate, and the bilinear weights are integers summing to 2¹⁵. This does the
/// same, so its output equals OpenCV's byte for byte.
pub fn warp_affine(image: &RgbImage, m: &Affine, width: u32, height: u32) -> RgbImage {
    const AB_BITS: u32 = 10;
    const AB_SCALE: f64 = (1 << AB_BITS) as f64;
    const INTER_BITS: u32 = 5;
    const TAB: i32 = 1 << INTER_BITS;
    const ROUND_DELTA: i32 = (1 << AB_BITS) / TAB / 2;
    // cv::saturate_cast<int>(double): round half to even, clamp.
    fn round(v: f64) -> i32 {
        v.round_ties_even().clamp(f64::from(i32::MIN), f64::from(i32::MAX)) as i32
    }
    let inv = invert(m);
    let (sw, sh) = (image.width() as i64, image.height() as i64);
    let src = image.as_raw();
    let adelta: Vec<i32> = (0..width).map(|x| round(inv[0][0] * f64::from(x) * AB_SCALE)).collect();
    let bdelta: Vec<i32> = (0..width).map(|x| round(inv[1][0] * f64::from(x) * AB_SCALE)).collect();
    let pixel = |x: i64, y: i64| -> [i32; 3] {
        if x < 0 || y < 0 || x >= sw || y >= sh {
            return [0; 3];
        }
        let i = ((y * sw + x) * 3) as usize;
        [i32::from(src[i]), i32::from(src[i + 1]), i32::from(src[i + 2])]
    };
    let mut out = RgbImage::new(width, height);
    for y in 0..height {
        let x0 = round((inv[0][1] * f64::from(y) + inv[0][2]) * AB_SCALE) + ROUND_DELTA;
        let y0 = round((inv[1][1] * f64::from(y) + inv[1][2]) * AB_SCALE) + ROUND_DELTA;
        for x in 0..width {
            let xs = x0.wrapping_add(adelta[x as usize]) >> (AB_BITS - INTER_BITS);
            let ys = y0.wrapping_add(bdelta[x as usize]) >> (AB_BITS - INTER_BITS);
            // saturate_cast<short> of the integer part, as OpenCV stores it.
            let sx = i64::from((xs >> INTER_BITS).clamp(i16::MIN.into(), i16::MAX.into()));
            let sy = i64::from((ys >> INTER_BITS).clamp(i16::MIN.into(), i16::MAX.into()));
            let (fx, fy) = (xs & (TAB - 1), ys & (TAB - 1));
            // OpenCV's BilinearTab_i entries: (1−y)(1−x)·2¹⁵ etc., exact for 1/32 steps.
            let w = [(TAB - fy) * (TAB - fx) * 32, (TAB - fy) * fx * 32, fy * (TAB - fx) * 32, fy * fx * 32];
            let p = [pixel(sx, sy), pixel(sx + 1, sy), pixel(sx, sy + 1), pixel(sx + 1, sy + 1)];
            let mut rgb = [0u8; 3];
            for (c, v) in rgb.iter_mut().enumerate() {
                let sum = p[0][c] * w[0] + p[1][c] * w[1] + p[2][c] * w[2] + p[3][c] * w[3];
                *v = ((sum + (1 << 14)) >> 15).clamp(0, 255) as u8;
            }
            out.put_pixel(x, y, Rgb(rgb));
        }
    }
    out
}

/// `cv::invertAffineTransform`, including its zero matrix for a singular input.
fn invert(m: &Affine) -> Affine {
    let det = m[0][0] * m[1][1] - m[0][1] * m[1][0];
    let d = if det != 0.0 { 1.0 / det } else { 0.0 };
    let (a11, a22) = (m[1][1] * d, m[0][0] * d);
    let (a12, a21) = (-m[0][1] * d, -m[1][0] * d);
    let b1 = -a11 * m[0][2] - a12 * m[1][2];
    let b2 = -a21 * m[0][2] - a22 * m[1][2];
    [[a11, a12, b1], [a21, a22, b2]]
}
