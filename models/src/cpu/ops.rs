//! Layers with their weights in the kernels' layout, run on every core.
//!
//! Each layer's output rows are split into bands that rayon runs side by side when the
//! caller asks for it (`parallel`) and the layer is big enough to pay for the split; each
//! band runs one kernel compiled for the CPU's vector instructions.

use rayon::prelude::*;

use super::kernels::{
    Activation, Band, LANES, NR, OutGeometry, Packed, Planes, Px, blocks_of, conv3x3_image, depthwise,
    linear, pointwise,
};
use super::kernels::{max_pool2 as max_pool2_kernel, upsample2_add as upsample2_add_kernel};
use super::simd::dispatch;

/// Multiply-adds below which a band is not worth handing to another thread (about 20 µs).
const MIN_BAND_WORK: usize = 400_000;

/// Rows per band for a map of `h` rows costing `work_per_row` multiply-adds each.
fn rows_per_band(h: usize, work_per_row: usize, parallel: bool) -> usize {
    let threads = rayon::current_num_threads();
    if !parallel || threads == 1 {
        return h.max(1);
    }
    let min_rows = MIN_BAND_WORK.div_ceil(work_per_row.max(1));
    // A few bands per thread, so that a thread held up elsewhere does not hold up the layer.
    let even = h.div_ceil(4 * threads);
    min_rows.max(even).clamp(1, h.max(1))
}

/// Splits the output rows of `out` into bands of `rows` rows.
fn bands(out: &mut Planes, rows: usize) -> Vec<Band<'_>> {
    let (h, stride, pad, plane_len) = (out.h, out.stride(), out.pad, out.plane_len());
    let mut bands: Vec<Band<'_>> = (0..h.div_ceil(rows))
        .map(|i| Band { y0: i * rows, y1: ((i + 1) * rows).min(h), blocks: Vec::with_capacity(out.blocks) })
        .collect();
    for plane in out.data.chunks_exact_mut(plane_len) {
        let interior = &mut plane[pad * stride..(pad + h) * stride];
        for (band, slice) in bands.iter_mut().zip(interior.chunks_mut(rows * stride)) {
            band.blocks.push(slice);
        }
    }
    bands
}

/// Runs `f` on the bands of `out`, side by side where that pays.
fn run_bands(out: &mut Planes, work_per_row: usize, parallel: bool, f: impl Fn(&mut Band<'_>) + Sync) {
    let rows = rows_per_band(out.h, work_per_row, parallel);
    let mut bands = bands(out, rows);
    if bands.len() > 1 {
        bands.par_iter_mut().for_each(&f);
    } else {
        bands.iter_mut().for_each(f);
    }
}

/// A 1×1 convolution with bias and activation.
#[derive(Debug, Clone)]
pub(crate) struct Pointwise {
    w: Packed,
    bias: Vec<Px>,
    act: Activation,
}

impl Pointwise {
    /// From weights `[outputs][inputs]` (OIHW, 1×1).
    pub(crate) fn new(w: &[f32], outputs: usize, inputs: usize, bias: &[f32], act: Activation) -> Pointwise {
        Pointwise { w: Packed::from_out_in(w, outputs, inputs), bias: blocks_of(bias), act }
    }

    pub(crate) fn run(&self, x: &Planes, out_pad: usize, parallel: bool) -> Planes {
        assert_eq!(x.channels(), self.w.inputs, "1×1 convolution input channels");
        let mut out = Planes::zeros(self.w.outputs, x.h, x.w, out_pad);
        let geo = OutGeometry::of(&out);
        let (w, bias, act) = (&self.w, &self.bias, &self.act);
        run_bands(&mut out, x.w * w.inputs * w.outputs, parallel, |band| {
            dispatch!(pointwise(x, w, bias, act, geo, band))
        });
        out
    }
}

/// A depthwise 3×3 convolution, padding 1, with bias and activation.
#[derive(Debug, Clone)]
pub(crate) struct Depthwise {
    w: Vec<[Px; 9]>,
    bias: Vec<Px>,
    act: Activation,
    stride: usize,
}

impl Depthwise {
    /// From weights `[channels][1][3][3]`.
    pub(crate) fn new(w: &[f32], bias: &[f32], act: Activation, stride: usize) -> Depthwise {
        assert!(stride == 1 || stride == 2, "stride {stride}");
        let channels = bias.len();
        assert_eq!(w.len(), channels * 9);
        let w = (0..channels / LANES)
            .map(|b| std::array::from_fn(|t| std::array::from_fn(|l| w[(b * LANES + l) * 9 + t])))
            .collect();
        Depthwise { w, bias: blocks_of(bias), act, stride }
    }

    /// `x` must have a one-pixel border.
    pub(crate) fn run(&self, x: &Planes, out_pad: usize, parallel: bool) -> Planes {
        assert_eq!(x.blocks, self.w.len(), "depthwise convolution channels");
        let s = self.stride;
        let mut out = Planes::zeros(x.channels(), (x.h - 1) / s + 1, (x.w - 1) / s + 1, out_pad);
        let geo = OutGeometry::of(&out);
        let (w, bias, act) = (&self.w, &self.bias, &self.act);
        run_bands(&mut out, geo.w * x.channels() * 9, parallel, |band| {
            dispatch!(depthwise(x, s, w, bias, act, geo, band))
        });
        out
    }
}

/// A 3×3 convolution, padding 1, of a three-channel image: the first layer of both networks.
#[derive(Debug, Clone)]
pub(crate) struct ImageConv {
    w: Vec<[[f32; NR]; 27]>,
    bias: Vec<Px>,
    act: Activation,
    stride: usize,
}

impl ImageConv {
    /// From weights `[outputs][3][3][3]`.
    pub(crate) fn new(w: &[f32], bias: &[f32], act: Activation, stride: usize) -> ImageConv {
        let outputs = bias.len();
        assert_eq!(w.len(), outputs * 27);
        assert_eq!(outputs % NR, 0, "outputs come in panels of {NR}");
        let w = (0..outputs / NR)
            .map(|p| {
                std::array::from_fn(|t| {
                    let (ky, kx, ch) = (t / 9, (t / 3) % 3, t % 3);
                    std::array::from_fn(|j| w[(p * NR + j) * 27 + ch * 9 + ky * 3 + kx])
                })
            })
            .collect();
        ImageConv { w, bias: blocks_of(bias), act, stride }
    }

    /// `image` is `[h + 2][w + 2][3]`, a one-pixel zero border around an `h × w` image.
    pub(crate) fn run(&self, image: &[f32], h: usize, w: usize, out_pad: usize, parallel: bool) -> Planes {
        assert_eq!(image.len(), (h + 2) * (w + 2) * 3, "bordered three-channel image");
        let s = self.stride;
        let mut out = Planes::zeros(self.w.len() * NR, (h - 1) / s + 1, (w - 1) / s + 1, out_pad);
        let geo = OutGeometry::of(&out);
        let (wt, bias, act) = (&self.w, &self.bias, &self.act);
        run_bands(&mut out, geo.w * 27 * wt.len() * NR, parallel, |band| {
            dispatch!(conv3x3_image(image, w + 2, s, wt, bias, act, geo, band))
        });
        out
    }
}

/// 2×2 max pooling, stride 2 (`x` of even height and width).
pub(crate) fn max_pool2(x: &Planes, out_pad: usize, parallel: bool) -> Planes {
    let mut out = Planes::zeros(x.channels(), x.h / 2, x.w / 2, out_pad);
    let geo = OutGeometry::of(&out);
    run_bands(&mut out, geo.w * x.channels(), parallel, |band| dispatch!(max_pool2_kernel(x, geo, band)));
    out
}

/// `a + upsample2(b)`, nearest neighbour, where `a` is twice `b`'s size.
pub(crate) fn upsample2_add(a: &Planes, b: &Planes, out_pad: usize, parallel: bool) -> Planes {
    assert_eq!((a.blocks, a.h.div_ceil(2), a.w.div_ceil(2)), (b.blocks, b.h, b.w), "upsampled sizes");
    let mut out = Planes::zeros(a.channels(), a.h, a.w, out_pad);
    let geo = OutGeometry::of(&out);
    run_bands(&mut out, geo.w * a.channels(), parallel, |band| {
        dispatch!(upsample2_add_kernel(a, b, geo, band))
    });
    out
}

/// A linear layer, `y = x·Wᵀ + bias`, over a few rows at a time.
#[derive(Debug, Clone)]
pub(crate) struct Linear {
    w: Packed,
    bias: Vec<f32>,
}

impl Linear {
    /// From weights `[outputs][inputs]`.
    pub(crate) fn new(w: &[f32], outputs: usize, inputs: usize, bias: &[f32]) -> Linear {
        assert_eq!(bias.len(), outputs);
        Linear { w: Packed::from_out_in(w, outputs, inputs), bias: bias.to_vec() }
    }

    pub(crate) fn inputs(&self) -> usize {
        self.w.inputs
    }

    /// `x` holds `rows` rows of [`inputs`](Self::inputs) values; one row of outputs per row.
    ///
    /// The weights are read from memory once per call, whatever the rows, split by output
    /// panels between the threads.
    pub(crate) fn run(&self, x: &[f32], rows: usize, parallel: bool) -> Vec<f32> {
        let (k, n) = (self.w.inputs, self.w.outputs);
        assert_eq!(x.len(), rows * k, "linear layer input");
        let panels = n / NR;
        let threads = if parallel { rayon::current_num_threads() } else { 1 };
        // Worth splitting once each thread has a few panels' worth of weights to stream.
        let groups = threads.min(panels).min((rows * k * n / (4 * MIN_BAND_WORK)).max(1));
        let per = panels.div_ceil(groups);
        let ranges: Vec<_> = (0..panels).step_by(per).map(|p| p..(p + per).min(panels)).collect();
        let (w, bias) = (&self.w, &self.bias);
        let part = |range: &std::ops::Range<usize>| {
            let mut out = vec![0.0; rows * range.len() * NR];
            dispatch!(linear(x, rows, w, bias, range.clone(), &mut out));
            out
        };
        let parts: Vec<Vec<f32>> = if ranges.len() > 1 {
            ranges.par_iter().map(part).collect()
        } else {
            ranges.iter().map(part).collect()
        };
        let mut out = vec![0.0; rows * n];
        for (range, part) in ranges.iter().zip(&parts) {
            let width = range.len() * NR;
            for (m, row) in part.chunks_exact(width).enumerate() {
                out[m * n + range.start * NR..][..width].copy_from_slice(row);
            }
        }
        out
    }
}
