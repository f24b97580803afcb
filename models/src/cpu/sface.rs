//! SFace's forward pass (BatchNorms folded) on the CPU kernels.

use rayon::prelude::*;

use super::kernels::LANES;
use super::ops::{Depthwise, ImageConv, Linear, Pointwise};

/// One of conv_2 … conv_14's layers.
#[derive(Debug, Clone)]
pub(crate) enum Layer {
    Depthwise(Depthwise),
    Pointwise(Pointwise),
}

/// SFace with its BatchNorms folded and its weights in the kernels' layout.
#[derive(Debug, Clone)]
pub(crate) struct SFaceCpu {
    conv1: ImageConv,
    body: Vec<Layer>,
    /// `pre_fc1` with `bn1` and `fc1` folded in, its inputs in the order the body's last map is
    /// stored (channel blocks of eight) rather than ONNX's channel-major flatten.
    fc: Linear,
}

/// Side of the input crop and of the body's last map.
const INPUT: usize = 112;
const LAST: usize = 7;

impl SFaceCpu {
    /// `fc_in_out` is the folded linear layer as burn stores it, `[c·49 + y·7 + x][output]`.
    pub(crate) fn new(conv1: ImageConv, body: Vec<Layer>, fc_in_out: &[f32], fc_bias: &[f32]) -> SFaceCpu {
        let outputs = fc_bias.len();
        let inputs = fc_in_out.len() / outputs;
        let channels = inputs / (LAST * LAST);
        // Input q of the blocked layout is channel b·8 + l at position p: q = (b·49 + p)·8 + l.
        let mut w = vec![0.0f32; outputs * inputs];
        for c in 0..channels {
            let (b, l) = (c / LANES, c % LANES);
            for p in 0..LAST * LAST {
                let q = (b * LAST * LAST + p) * LANES + l;
                let src = &fc_in_out[(c * LAST * LAST + p) * outputs..][..outputs];
                for (o, &v) in src.iter().enumerate() {
                    w[o * inputs + q] = v;
                }
            }
        }
        SFaceCpu { conv1, body, fc: Linear::new(&w, outputs, inputs, fc_bias) }
    }

    /// The body's output for one face given as `[114][114][3]` (the normalised crop with a
    /// one-pixel zero border), flattened in the linear layer's input order.
    fn features(&self, input: &[f32], parallel: bool) -> Vec<f32> {
        let mut x = self.conv1.run(input, INPUT, INPUT, 1, parallel);
        for (i, layer) in self.body.iter().enumerate() {
            // A map that a depthwise convolution reads next gets the border it needs.
            let pad = usize::from(matches!(self.body.get(i + 1), Some(Layer::Depthwise(_))));
            x = match layer {
                Layer::Depthwise(d) => d.run(&x, pad, parallel),
                Layer::Pointwise(p) => p.run(&x, pad, parallel),
            };
        }
        debug_assert_eq!((x.h, x.w, x.pad), (LAST, LAST, 0));
        x.data.as_flattened().to_vec()
    }

    /// The un-normalised 128-D outputs of several faces, each `[114][114][3]` as in
    /// [`features`](Self::features).
    pub(crate) fn forward(&self, faces: &[Vec<f32>]) -> Vec<f32> {
        let threads = rayon::current_num_threads();
        // Faces side by side when there are enough to go round, else each layer split up.
        let features: Vec<Vec<f32>> = if faces.len() >= threads && threads > 1 {
            faces.par_iter().map(|f| self.features(f, false)).collect()
        } else {
            faces.iter().map(|f| self.features(f, true)).collect()
        };
        let k = self.fc.inputs();
        let mut rows = Vec::with_capacity(faces.len() * k);
        for f in features {
            rows.extend_from_slice(&f);
        }
        self.fc.run(&rows, faces.len(), true)
    }
}

/// The crop as SFace reads it: R, G, B scaled by `normalise`, in a one-pixel zero border.
pub(crate) fn rgb_bordered(face: &image::RgbImage, normalise: impl Fn(u8) -> f32) -> Vec<f32> {
    let stride = INPUT + 2;
    let mut data = vec![0.0f32; stride * stride * 3];
    for (y, row) in face.as_raw().chunks_exact(INPUT * 3).enumerate() {
        for (d, &s) in data[((y + 1) * stride + 1) * 3..][..INPUT * 3].iter_mut().zip(row) {
            *d = normalise(s);
        }
    }
    data
}
