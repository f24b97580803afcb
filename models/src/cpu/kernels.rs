//! The layers both networks are made of, on activations in channel blocks of eight.
//!
//! Every kernel here is sequential and `#[inline(always)]`: the callers in `layers` split the
//! work into bands of output rows for rayon and run each band through
//! [`dispatch!`](super::simd::dispatch), so that the whole band is compiled for the vector
//! instructions chosen at run time.

use super::simd::madd;

/// Channels per block: one AVX2 register of f32.
pub(crate) const LANES: usize = 8;
/// One pixel of one channel block.
pub(crate) type Px = [f32; LANES];

/// Pixels per tile of the matrix-product kernel.
pub(crate) const MR: usize = 6;
/// Output channels per tile of the matrix-product kernel: two blocks.
pub(crate) const NR: usize = 2 * LANES;
/// Inputs per pass of the linear layer's product: one panel of weights, `KC × NR`, stays in
/// the first-level cache while every tile of faces goes through it.
pub(crate) const KC: usize = 512;

/// The activations of one image: `blocks` channel blocks of eight, each an `h × w` plane of
/// pixels surrounded by `pad` rows and columns of zeros (1 where a 3×3 convolution reads the
/// map next, which then needs no bounds tests at the edges; else 0).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Planes {
    pub(crate) blocks: usize,
    pub(crate) h: usize,
    pub(crate) w: usize,
    pub(crate) pad: usize,
    /// `[blocks][h + 2·pad][w + 2·pad]` pixels.
    pub(crate) data: Vec<Px>,
}

impl Planes {
    pub(crate) fn zeros(channels: usize, h: usize, w: usize, pad: usize) -> Planes {
        assert_eq!(channels % LANES, 0, "channels come in blocks of {LANES}");
        let blocks = channels / LANES;
        Planes { blocks, h, w, pad, data: vec![[0.0; LANES]; blocks * (h + 2 * pad) * (w + 2 * pad)] }
    }

    pub(crate) fn channels(&self) -> usize {
        self.blocks * LANES
    }

    /// Width of a stored row, borders included.
    pub(crate) fn stride(&self) -> usize {
        self.w + 2 * self.pad
    }

    pub(crate) fn plane_len(&self) -> usize {
        (self.h + 2 * self.pad) * self.stride()
    }

    /// Block `b`'s plane, borders included.
    pub(crate) fn plane(&self, b: usize) -> &[Px] {
        &self.data[b * self.plane_len()..(b + 1) * self.plane_len()]
    }

    /// Index in a plane of pixel (y, x).
    #[inline(always)]
    pub(crate) fn at(&self, y: usize, x: usize) -> usize {
        (y + self.pad) * self.stride() + x + self.pad
    }

    /// From channel-major `[c][h][w]` values.
    #[cfg(test)]
    pub(crate) fn from_chw(values: &[f32], channels: usize, h: usize, w: usize, pad: usize) -> Planes {
        let mut p = Planes::zeros(channels, h, w, pad);
        let plane_len = p.plane_len();
        for (c, plane) in values.chunks_exact(h * w).enumerate() {
            for (y, row) in plane.chunks_exact(w).enumerate() {
                for (x, &v) in row.iter().enumerate() {
                    let at = p.at(y, x);
                    p.data[(c / LANES) * plane_len + at][c % LANES] = v;
                }
            }
        }
        p
    }

    /// Channel-major `[c][h][w]` values.
    pub(crate) fn to_chw(&self) -> Vec<f32> {
        let mut out = Vec::with_capacity(self.channels() * self.h * self.w);
        for c in 0..self.channels() {
            let plane = self.plane(c / LANES);
            for y in 0..self.h {
                for x in 0..self.w {
                    out.push(plane[self.at(y, x)][c % LANES]);
                }
            }
        }
        out
    }
}

/// What follows a layer, per channel: `x < 0 ? x · slope : x` (PReLU; 0 for ReLU), or
/// nothing.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Activation {
    Linear,
    Slopes(Vec<Px>),
}

impl Activation {
    pub(crate) fn relu(channels: usize) -> Activation {
        Activation::Slopes(vec![[0.0; LANES]; channels / LANES])
    }

    pub(crate) fn prelu(alpha: &[f32]) -> Activation {
        Activation::Slopes(blocks_of(alpha))
    }

    #[inline(always)]
    pub(crate) fn block(&self, b: usize) -> Option<&Px> {
        match self {
            Activation::Linear => None,
            Activation::Slopes(s) => Some(&s[b]),
        }
    }
}

/// Per-channel values grouped by block.
pub(crate) fn blocks_of(values: &[f32]) -> Vec<Px> {
    assert_eq!(values.len() % LANES, 0, "channels come in blocks of {LANES}");
    values.chunks_exact(LANES).map(|c| c.try_into().expect("chunks of LANES")).collect()
}

/// `max(v, 0) + slope · min(v, 0)`: the activation without a branch per lane (which the
/// compiler would not vectorise, and which mispredicts on every other value).
#[inline(always)]
fn activate(v: &mut Px, slope: Option<&Px>) {
    if let Some(s) = slope {
        for l in 0..LANES {
            v[l] = v[l].max(0.0) + s[l] * v[l].min(0.0);
        }
    }
}

/// Weights of a matrix product `out[p][o] = Σ_i in[p][i] · w[o][i]`, in panels of [`NR`]
/// outputs, each `[inputs][NR]`: the microkernel reads one panel row per input.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Packed {
    pub(crate) inputs: usize,
    pub(crate) outputs: usize,
    pub(crate) panels: Vec<[f32; NR]>,
}

impl Packed {
    /// From weights stored `[outputs][inputs]` (ONNX's OIHW of a 1×1 convolution).
    pub(crate) fn from_out_in(w: &[f32], outputs: usize, inputs: usize) -> Packed {
        assert_eq!(w.len(), outputs * inputs);
        assert_eq!(outputs % NR, 0, "outputs come in panels of {NR}");
        let mut panels = vec![[0.0; NR]; outputs / NR * inputs];
        for (o, row) in w.chunks_exact(inputs).enumerate() {
            for (i, &v) in row.iter().enumerate() {
                panels[(o / NR) * inputs + i][o % NR] = v;
            }
        }
        Packed { inputs, outputs, panels }
    }

    pub(crate) fn panel(&self, p: usize) -> &[[f32; NR]] {
        &self.panels[p * self.inputs..(p + 1) * self.inputs]
    }
}

/// `acc[r][j] += Σ_k a[k][r] · b[k][j]`: one tile of [`MR`] rows by [`NR`] outputs. The
/// accumulators (12 AVX2 registers) stay in registers for the whole loop.
#[inline(always)]
pub(crate) fn microkernel<const FMA: bool>(a: &[[f32; MR]], b: &[[f32; NR]], acc: &mut [[f32; NR]; MR]) {
    let mut c = *acc;
    for (ar, br) in a.iter().zip(b) {
        for r in 0..MR {
            let x = ar[r];
            for j in 0..NR {
                c[r][j] = madd::<FMA>(x, br[j], c[r][j]);
            }
        }
    }
    *acc = c;
}

/// `acc[r][j] += Σ_c input(pixel r, channel c) · b[c][j]`: the microkernel reading a tile's
/// pixels straight from their channel blocks (`input` is a whole map, `at[r]` each pixel's place
/// in a plane), which saves copying them into a matrix first.
#[inline(always)]
fn microkernel_pixels<const FMA: bool>(
    input: &[Px],
    plane_len: usize,
    at: &[usize; MR],
    b: &[[f32; NR]],
    acc: &mut [[f32; NR]; MR],
) {
    let mut c = *acc;
    for (block, rows) in b.chunks_exact(LANES).enumerate() {
        let plane = &input[block * plane_len..(block + 1) * plane_len];
        let px: [&Px; MR] = std::array::from_fn(|r| &plane[at[r]]);
        for (l, br) in rows.iter().enumerate() {
            for r in 0..MR {
                let x = px[r][l];
                for j in 0..NR {
                    c[r][j] = madd::<FMA>(x, br[j], c[r][j]);
                }
            }
        }
    }
    *acc = c;
}

/// Output rows `y0 .. y1` of an image: for each channel block, its rows `y0 .. y1` (borders
/// included, `stride` pixels each) of the output planes.
pub(crate) struct Band<'a> {
    pub(crate) y0: usize,
    pub(crate) y1: usize,
    pub(crate) blocks: Vec<&'a mut [Px]>,
}

/// Where output pixel (y, x) of a band sits in each of its block slices.
#[derive(Debug, Clone, Copy)]
pub(crate) struct OutGeometry {
    pub(crate) w: usize,
    pub(crate) stride: usize,
    pub(crate) pad: usize,
}

impl OutGeometry {
    pub(crate) fn of(p: &Planes) -> OutGeometry {
        OutGeometry { w: p.w, stride: p.stride(), pad: p.pad }
    }

    #[inline(always)]
    fn at(&self, y0: usize, y: usize, x: usize) -> usize {
        (y - y0) * self.stride + x + self.pad
    }
}

/// 1×1 convolution (a matrix product over the pixels) with bias and activation, for the
/// output rows of `band`.
#[inline(always)]
pub(crate) fn pointwise<const FMA: bool>(
    input: &Planes,
    w: &Packed,
    bias: &[Px],
    act: &Activation,
    geo: OutGeometry,
    band: &mut Band<'_>,
) {
    // Pixels taken at a time: a few tiles, so that each panel of weights is read from the
    // cache once for all of them.
    const TILES: usize = 8;
    debug_assert_eq!(w.inputs, input.channels());
    let (width, plane_len) = (input.w, input.plane_len());
    let count = (band.y1 - band.y0) * width;
    // Where each pixel of the chunk is, in the input planes and in the band's slices.
    let mut src = [[0usize; MR]; TILES];
    let mut dst = [[0usize; MR]; TILES];
    let mut start = 0;
    while start < count {
        let n = (count - start).min(TILES * MR);
        let tiles = n.div_ceil(MR);
        let (mut y, mut x) = (band.y0 + start / width, start % width);
        for i in 0..tiles * MR {
            // A partial tile repeats its last pixel (computed, not stored).
            if i < n {
                src[i / MR][i % MR] = input.at(y, x);
                dst[i / MR][i % MR] = geo.at(band.y0, y, x);
                x += 1;
                if x == width {
                    (y, x) = (y + 1, 0);
                }
            } else {
                src[i / MR][i % MR] = src[(n - 1) / MR][(n - 1) % MR];
            }
        }
        for p in 0..w.outputs / NR {
            let panel = w.panel(p);
            let (b0, b1) = (2 * p, 2 * p + 1);
            let mut init = [0.0; NR];
            init[..LANES].copy_from_slice(&bias[b0]);
            init[LANES..].copy_from_slice(&bias[b1]);
            for t in 0..tiles {
                let mut acc = [init; MR];
                microkernel_pixels::<FMA>(&input.data, plane_len, &src[t], panel, &mut acc);
                let rows = (n - t * MR).min(MR);
                for (r, v) in acc.iter().enumerate().take(rows) {
                    let at = dst[t][r];
                    let mut lo: Px = v[..LANES].try_into().expect("NR = 2 blocks");
                    let mut hi: Px = v[LANES..].try_into().expect("NR = 2 blocks");
                    activate(&mut lo, act.block(b0));
                    activate(&mut hi, act.block(b1));
                    band.blocks[b0][at] = lo;
                    band.blocks[b1][at] = hi;
                }
            }
        }
        start += n;
    }
}

/// Depthwise 3×3 convolution, stride 1 or 2, padding 1, with bias and activation, for the
/// output rows of `band`. `input` must have a one-pixel border.
#[inline(always)]
pub(crate) fn depthwise<const FMA: bool>(
    input: &Planes,
    stride: usize,
    w: &[[Px; 9]],
    bias: &[Px],
    act: &Activation,
    geo: OutGeometry,
    band: &mut Band<'_>,
) {
    match stride {
        1 => depthwise_strided::<FMA, 1>(input, w, bias, act, geo, band),
        2 => depthwise_strided::<FMA, 2>(input, w, bias, act, geo, band),
        _ => unreachable!("both networks use strides 1 and 2"),
    }
}

#[inline(always)]
fn depthwise_strided<const FMA: bool, const S: usize>(
    input: &Planes,
    w: &[[Px; 9]],
    bias: &[Px],
    act: &Activation,
    geo: OutGeometry,
    band: &mut Band<'_>,
) {
    debug_assert_eq!(input.pad, 1);
    let stride = input.stride();
    for (b, out) in band.blocks.iter_mut().enumerate() {
        let plane = input.plane(b);
        let (wb, bb, slope) = (w[b], &bias[b], act.block(b));
        for y in band.y0..band.y1 {
            // Output row y reads padded input rows S·y, S·y + 1, S·y + 2.
            let row = |ky: usize| &plane[(S * y + ky) * stride..(S * y + ky + 1) * stride];
            let rows = [row(0), row(1), row(2)];
            let start = geo.at(band.y0, y, 0);
            let out = &mut out[start..start + geo.w];
            // Two output pixels at a time: they share the loaded weights and, at stride 1, two
            // of their three columns.
            let mut pairs = out.chunks_exact_mut(2);
            for (i, o) in pairs.by_ref().enumerate() {
                let x = 2 * i;
                let (mut a0, mut a1) = (*bb, *bb);
                for (ky, r) in rows.iter().enumerate() {
                    let win = &r[S * x..S * x + S + 3];
                    for kx in 0..3 {
                        let (p0, p1, wt) = (&win[kx], &win[S + kx], &wb[ky * 3 + kx]);
                        for l in 0..LANES {
                            a0[l] = madd::<FMA>(p0[l], wt[l], a0[l]);
                            a1[l] = madd::<FMA>(p1[l], wt[l], a1[l]);
                        }
                    }
                }
                activate(&mut a0, slope);
                activate(&mut a1, slope);
                o[0] = a0;
                o[1] = a1;
            }
            if let [o] = pairs.into_remainder() {
                let x = geo.w - 1;
                let mut acc = *bb;
                for (ky, r) in rows.iter().enumerate() {
                    let win: &[Px; 3] = r[S * x..S * x + 3].try_into().expect("three pixels");
                    for (kx, px) in win.iter().enumerate() {
                        let wt = &wb[ky * 3 + kx];
                        for l in 0..LANES {
                            acc[l] = madd::<FMA>(px[l], wt[l], acc[l]);
                        }
                    }
                }
                activate(&mut acc, slope);
                *o = acc;
            }
        }
    }
}

/// A 3×3 convolution, padding 1, of a three-channel image, with bias and activation: the first
/// layer of both networks.
///
/// `input` is the image with a one-pixel border, `[h + 2][w + 2][3]` interleaved; `w` holds,
/// per panel of [`NR`] outputs, the 27 taps in (ky, kx, channel) order. The 27 inputs of each
/// pixel are gathered for a tile of [`MR`] pixels, which then goes through the matrix-product
/// microkernel like a 1×1 convolution with 27 input channels.
#[inline(always)]
#[expect(clippy::too_many_arguments, reason = "one layer's geometry, weights and output")]
pub(crate) fn conv3x3_image<const FMA: bool>(
    input: &[f32],
    in_stride: usize,
    stride: usize,
    w: &[[[f32; NR]; 27]],
    bias: &[Px],
    act: &Activation,
    geo: OutGeometry,
    band: &mut Band<'_>,
) {
    let row_len = in_stride * 3;
    let mut taps = [[0.0f32; MR]; 27];
    for y in band.y0..band.y1 {
        let rows: [&[f32]; 3] =
            std::array::from_fn(|ky| &input[(stride * y + ky) * row_len..(stride * y + ky + 1) * row_len]);
        let mut x0 = 0;
        while x0 < geo.w {
            let n = (geo.w - x0).min(MR);
            #[expect(clippy::needless_range_loop, reason = "r indexes the inner arrays of taps")]
            for r in 0..MR {
                // A partial tile repeats its last pixel.
                let x = stride * (x0 + r.min(n - 1));
                for (ky, row) in rows.iter().enumerate() {
                    let patch: &[f32; 9] = row[x * 3..x * 3 + 9].try_into().expect("three pixels");
                    for (i, &v) in patch.iter().enumerate() {
                        taps[ky * 9 + i][r] = v;
                    }
                }
            }
            for (p, panel) in w.iter().enumerate() {
                let (b0, b1) = (2 * p, 2 * p + 1);
                let mut init = [0.0; NR];
                init[..LANES].copy_from_slice(&bias[b0]);
                init[LANES..].copy_from_slice(&bias[b1]);
                let mut acc = [init; MR];
                microkernel::<FMA>(&taps, panel, &mut acc);
                for (r, v) in acc.iter().enumerate().take(n) {
                    let at = geo.at(band.y0, y, x0 + r);
                    let mut lo: Px = v[..LANES].try_into().expect("NR = 2 blocks");
                    let mut hi: Px = v[LANES..].try_into().expect("NR = 2 blocks");
                    activate(&mut lo, act.block(b0));
                    activate(&mut hi, act.block(b1));
                    band.blocks[b0][at] = lo;
                    band.blocks[b1][at] = hi;
                }
            }
            x0 += n;
        }
    }
}

/// 2×2 max pooling, stride 2, for the output rows of `band`.
#[inline(always)]
pub(crate) fn max_pool2<const FMA: bool>(input: &Planes, geo: OutGeometry, band: &mut Band<'_>) {
    for (b, out) in band.blocks.iter_mut().enumerate() {
        let plane = input.plane(b);
        for y in band.y0..band.y1 {
            let r0 = &plane[input.at(2 * y, 0)..][..2 * geo.w];
            let r1 = &plane[input.at(2 * y + 1, 0)..][..2 * geo.w];
            let start = geo.at(band.y0, y, 0);
            for ((o, a), c) in
                out[start..start + geo.w].iter_mut().zip(r0.chunks_exact(2)).zip(r1.chunks_exact(2))
            {
                for l in 0..LANES {
                    o[l] = a[0][l].max(a[1][l]).max(c[0][l].max(c[1][l]));
                }
            }
        }
    }
}

/// `a + upsample2(b)` (nearest neighbour: pixel (y, x) of the upsampled map is b's
/// (y/2, x/2)), for the output rows of `band`.
#[inline(always)]
pub(crate) fn upsample2_add<const FMA: bool>(a: &Planes, b: &Planes, geo: OutGeometry, band: &mut Band<'_>) {
    for (blk, out) in band.blocks.iter_mut().enumerate() {
        let (pa, pb) = (a.plane(blk), b.plane(blk));
        for y in band.y0..band.y1 {
            let ra = &pa[a.at(y, 0)..][..geo.w];
            let rb = &pb[b.at(y / 2, 0)..][..geo.w.div_ceil(2)];
            let start = geo.at(band.y0, y, 0);
            for (x, (o, va)) in out[start..start + geo.w].iter_mut().zip(ra).enumerate() {
                let vb = &rb[x / 2];
                for l in 0..LANES {
                    o[l] = va[l] + vb[l];
                }
            }
        }
    }
}

/// A linear layer over a few rows (faces): `out[m][o] = bias[o] + Σ_i a[m][i] · w[o][i]`
/// for the panels `panels` of `w`, written to `out` (`rows × panels.len()·NR`, row-major).
///
/// The inputs are taken [`KC`] at a time: that slice of each weight panel is read from
/// memory once and used for every row.
#[inline(always)]
pub(crate) fn linear<const FMA: bool>(
    a: &[f32],
    rows: usize,
    w: &Packed,
    bias: &[f32],
    panels: std::ops::Range<usize>,
    out: &mut [f32],
) {
    let k = w.inputs;
    let width = panels.len() * NR;
    let tiles = rows.div_ceil(MR);
    let mut packed = vec![[0.0f32; MR]; tiles * KC];
    for o in out.chunks_exact_mut(width) {
        o.copy_from_slice(&bias[panels.start * NR..panels.end * NR]);
    }
    let mut k0 = 0;
    while k0 < k {
        let kc = (k - k0).min(KC);
        for t in 0..tiles {
            for (i, d) in packed[t * KC..t * KC + kc].iter_mut().enumerate() {
                for (r, v) in d.iter_mut().enumerate() {
                    let m = t * MR + r;
                    *v = if m < rows { a[m * k + k0 + i] } else { 0.0 };
                }
            }
        }
        for (pi, p) in panels.clone().enumerate() {
            let panel = &w.panel(p)[k0..k0 + kc];
            for t in 0..tiles {
                let mut acc = [[0.0; NR]; MR];
                let valid = (rows - t * MR).min(MR);
                for (r, a) in acc.iter_mut().enumerate().take(valid) {
                    let m = t * MR + r;
                    a.copy_from_slice(&out[m * width + pi * NR..][..NR]);
                }
                microkernel::<FMA>(&packed[t * KC..t * KC + kc], panel, &mut acc);
                for (r, a) in acc.iter().enumerate().take(valid) {
                    let m = t * MR + r;
                    out[m * width + pi * NR..][..NR].copy_from_slice(a);
                }
            }
        }
        k0 += kc;
    }
}
