//! Turning YuNet's head outputs into boxes, as OpenCV's `FaceDetectorYN` post-processing
//! does: per-cell decoding, then greedy non-maximum suppression.

use crate::Detection;

/// One pyramid level: its stride and grid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Level {
    pub(crate) stride: usize,
    pub(crate) rows: usize,
    pub(crate) cols: usize,
}

impl Level {
    /// The levels of a `width × height` input (multiples of 32).
    pub(crate) fn for_input(width: usize, height: usize) -> [Level; 3] {
        super::net::STRIDES.map(|stride| Level { stride, rows: height / stride, cols: width / stride })
    }

    pub(crate) fn cells(&self) -> usize {
        self.rows * self.cols
    }
}

fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + (-x).exp())
}

/// Decodes the cells of one image whose score reaches `score_threshold`.
///
/// `out` holds the image's 16 channels, channel-major, each with one value per cell of
/// every level in order (`levels[0]` cells first, row-major): channel 0 cls logit,
/// 1 obj logit, 2-5 bbox, 6-15 landmarks.
///
/// For cell `(r, c)` of stride `s`: `score = √(clamp(σ(cls))·clamp(σ(obj)))`,
/// centre `((c + b0)·s, (r + b1)·s)`, size `(e^b2·s, e^b3·s)`, landmark n
/// `((k[2n] + c)·s, (k[2n+1] + r)·s)`.
pub(crate) fn decode(out: &[f32], levels: &[Level], score_threshold: f32) -> Vec<Detection> {
    let total: usize = levels.iter().map(Level::cells).sum();
    assert_eq!(out.len(), 16 * total, "head output does not match the levels");
    let channel = |ch: usize, idx: usize| out[ch * total + idx];
    let mut faces = Vec::new();
    let mut offset = 0;
    for level in levels {
        let s = level.stride as f32;
        for r in 0..level.rows {
            for c in 0..level.cols {
                let idx = offset + r * level.cols + c;
                let cls = sigmoid(channel(0, idx)).clamp(0.0, 1.0);
                let obj = sigmoid(channel(1, idx)).clamp(0.0, 1.0);
                let score = (cls * obj).sqrt();
                if score.is_nan() || score < score_threshold {
                    continue;
                }
                let (cf, rf) = (c as f32, r as f32);
                let cx = (cf + channel(2, idx)) * s;
                let cy = (rf + channel(3, idx)) * s;
                // OpenCV calls the C `exp(double)` here and multiplies in double; in f32 the
                // size would differ by up to 3e-5 px.
                let size = |ch: usize| (f64::from(channel(ch, idx)).exp() * f64::from(s)) as f32;
                let (w, h) = (size(4), size(5));
                let mut landmarks = [[0.0; 2]; 5];
                for (n, lm) in landmarks.iter_mut().enumerate() {
                    *lm = [(channel(6 + 2 * n, idx) + cf) * s, (channel(7 + 2 * n, idx) + rf) * s];
                }
                faces.push(Detection { x: cx - w / 2.0, y: cy - h / 2.0, w, h, score, landmarks });
            }
        }
        offset += level.cells();
    }
    faces
}

/// A box truncated to integers, as OpenCV's `Rect2i(int(x), int(y), int(w), int(h))`.
#[derive(Debug, Clone, Copy)]
struct IntRect {
    x: i64,
    y: i64,
    w: i64,
    h: i64,
}

impl IntRect {
    fn of(d: &Detection) -> Self {
        // `as` truncates toward zero, as C++'s int() does.
        IntRect { x: d.x as i64, y: d.y as i64, w: d.w as i64, h: d.h as i64 }
    }

    fn area(&self) -> i64 {
        self.w * self.h
    }

    fn intersection_area(&self, o: &IntRect) -> i64 {
        let w = (self.x + self.w).min(o.x + o.w) - self.x.max(o.x);
        let h = (self.y + self.h).min(o.y + o.h) - self.y.max(o.y);
        if w <= 0 || h <= 0 { 0 } else { w * h }
    }

    /// `1 − cv::jaccardDistance(a, b)`, including its "two empty boxes overlap fully".
    fn overlap(&self, o: &IntRect) -> f32 {
        let (a, b) = (self.area(), o.area());
        let distance = if a + b <= 0 {
            0.0
        } else {
            let ab = self.intersection_area(o) as f64;
            1.0 - ab / ((a + b) as f64 - ab)
        };
        1.0 - distance as f32
    }
}

/// Greedy non-maximum suppression as `cv::dnn::NMSBoxes` does it: highest score first
/// (ties keep decoding order), a box is kept if its IoU with every box kept so far is at
/// most `iou_threshold`. IoU is computed on boxes truncated to whole pixels, as OpenCV's
/// YuNet wrapper passes them. Returns the kept detections, best first.
pub(crate) fn nms(mut faces: Vec<Detection>, iou_threshold: f32) -> Vec<Detection> {
    // A stable sort, as OpenCV's `std::stable_sort`.
    faces.sort_by(|a, b| b.score.total_cmp(&a.score));
    let mut kept: Vec<(IntRect, Detection)> = Vec::new();
    for face in faces {
        let rect = IntRect::of(&face);
        if kept.iter().all(|(k, _)| rect.overlap(k) <= iou_threshold) {
            kept.push((rect, face));
        }
    }
    kept.into_iter().map(|(_, f)| f).collect()
}
