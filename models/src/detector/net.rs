//! YuNet (2023mar) as a burn module, and its loader.

use burn::module::{Module, Param};
use burn::nn::PaddingConfig2d;
use burn::nn::conv::Conv2d;
use burn::nn::pool::{MaxPool2d, MaxPool2dConfig};
use burn::tensor::activation::relu;
use burn::tensor::module::interpolate;
use burn::tensor::ops::{InterpolateMode, InterpolateOptions};
use burn::tensor::{Device, Tensor, TensorData};

use crate::ModelError;
use crate::cpu::{self, Activation};
use crate::layers::{ConvSpec, cpu_depthwise, cpu_pointwise, host, param1};
use crate::onnx::{Attr, Constants, Data};

/// Channels of the merged head output, in this order: cls, obj, bbox (4), kps (10).
pub(crate) const HEAD_CHANNELS: usize = 16;
/// Strides of the three pyramid levels.
pub(crate) const STRIDES: [usize; 3] = [8, 16, 32];

/// YuNet's "DP" block: pointwise conv, depthwise 3×3 conv, ReLU (BatchNorm already folded
/// into the weights of the file).
#[derive(Module, Debug)]
pub(crate) struct Dp {
    pointwise: Conv2d,
    depthwise: Conv2d,
}

impl Dp {
    fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        relu(self.depthwise.forward(self.pointwise.forward(x)))
    }
}

/// The four heads of one pyramid level, merged.
///
/// In the file each level has separate cls (64→1, then 3×3 1→1), obj (same), bbox
/// (64→4, depthwise 3×3) and kps (64→10, depthwise 3×3) branches. Every second conv acts on
/// each channel alone, so the four branches are exactly one 64→16 pointwise conv followed
/// by one depthwise 3×3 conv over 16 channels: two convolutions per level instead of eight.
#[derive(Module, Debug)]
pub(crate) struct Head {
    pointwise: Conv2d,
    depthwise: Conv2d,
}

impl Head {
    fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        self.depthwise.forward(self.pointwise.forward(x))
    }
}

/// YuNet's first layer, conv 3×3 stride 2 pad 1 (3→16) then ReLU, computed on the four
/// polyphase components of the image.
///
/// Output pixel (i, j) of a stride-2 conv reads input rows 2i−1, 2i, 2i+1 (and likewise
/// columns). Split the image into phases `P[py][px](a, b) = x(2a + py, 2b + px)`: row 2i is
/// phase 0 row i, rows 2i∓1 are phase 1 rows i−1 and i. So the conv equals the sum of four
/// stride-1 convs, one per phase, with kernels of 1×1, 1×2, 2×1 and 2×2 taps (padding one
/// row/column at the top/left where a phase-1 kernel reaches row/column i−1). Same
/// products, each tap used once; burn's CPU backend runs these about four times faster
/// than a strided convolution on a 3-channel input.
#[derive(Module, Debug)]
pub(crate) struct Stem {
    /// Phases in order (py, px) = (0, 0), (0, 1), (1, 0), (1, 1); the first holds the bias.
    phases: Vec<Conv2d>,
}

impl Stem {
    /// Kernel taps (ky or kx of the 3×3 kernel) that fall on phase 0 and phase 1.
    const TAPS: [&'static [usize]; 2] = [&[1], &[0, 2]];

    fn from_3x3(weight: &[f32], bias: Vec<f32>, device: &Device) -> Stem {
        let mut bias = Some(bias);
        let mut phases = Vec::with_capacity(4);
        for py in 0..2 {
            for px in 0..2 {
                let (rows, cols) = (Self::TAPS[py], Self::TAPS[px]);
                let mut w = Vec::with_capacity(16 * 3 * rows.len() * cols.len());
                for oc in 0..16 * 3 {
                    for &ky in rows {
                        for &kx in cols {
                            w.push(weight[oc * 9 + ky * 3 + kx]);
                        }
                    }
                }
                let (kh, kw) = (rows.len(), cols.len());
                phases.push(Conv2d {
                    weight: Param::from_data(TensorData::new(w, [16, 3, kh, kw]), device),
                    bias: bias.take().map(|b| param1(b, device)),
                    stride: [1, 1],
                    kernel_size: [kh, kw],
                    dilation: [1, 1],
                    groups: 1,
                    // A two-tap kernel starts one row (column) before the output position.
                    padding: PaddingConfig2d::Explicit(kh - 1, kw - 1, 0, 0),
                });
            }
        }
        Stem { phases }
    }

    /// The 3×3 kernel `[16][3][3][3]` and bias the phases were made from.
    fn weight_3x3(&self) -> (Vec<f32>, Vec<f32>) {
        let mut weight = vec![0.0f32; 16 * 3 * 9];
        for (i, conv) in self.phases.iter().enumerate() {
            let (rows, cols) = (Self::TAPS[i / 2], Self::TAPS[i % 2]);
            let taps = host(&conv.weight);
            for (oc, tap) in taps.chunks_exact(rows.len() * cols.len()).enumerate() {
                for (iy, &ky) in rows.iter().enumerate() {
                    for (ix, &kx) in cols.iter().enumerate() {
                        weight[oc * 9 + ky * 3 + kx] = tap[iy * cols.len() + ix];
                    }
                }
            }
        }
        let bias = self.phases[0].bias.as_ref().map(host).expect("the first phase holds the bias");
        (weight, bias)
    }

    fn forward(&self, phases: [Tensor<4>; 4]) -> Tensor<4> {
        let sum = phases
            .into_iter()
            .zip(&self.phases)
            .map(|(x, conv)| conv.forward(x))
            .reduce(|a, b| a + b)
            .expect("four phases");
        relu(sum)
    }
}

/// The YuNet network. Input: the four polyphase components (see [`Stem`]) of a BGR 0-255
/// image whose height and width are multiples of 32, each `[N, 3, H/2, W/2]`.
#[derive(Module, Debug)]
pub(crate) struct YuNet {
    stem: Stem,
    /// model0.conv2, model1.conv1, model1.conv2, …, model5.conv2: eleven DP blocks.
    backbone: Vec<Dp>,
    /// neck.lateral_convs 0, 1, 2 (for strides 8, 16, 32).
    lateral: Vec<Dp>,
    /// One merged head per stride 8, 16, 32.
    heads: Vec<Head>,
    pool: MaxPool2d,
}

fn upsample2(x: Tensor<4>) -> Tensor<4> {
    let [_, _, h, w] = x.dims();
    // ONNX Resize nearest, asymmetric, floor at scale 2: output (i, j) reads (i/2, j/2),
    // which is what burn's nearest mode computes.
    interpolate(x, InterpolateOptions::new(InterpolateMode::Nearest).with_output_size([h * 2, w * 2]))
}

impl YuNet {
    /// Raw head outputs of every level, concatenated: `[N, 16, L]` with
    /// `L = Σ (H/s)·(W/s)` over strides 8, 16, 32 in that order, cells row-major. The cls and
    /// obj channels are logits (the sigmoid is applied while decoding).
    pub(crate) fn forward(&self, phases: [Tensor<4>; 4]) -> Tensor<3> {
        let b = &self.backbone;
        let x = self.stem.forward(phases);
        let x = self.max_pool(b[0].forward(x));
        let x = b[2].forward(b[1].forward(x));
        let x = self.max_pool(b[4].forward(b[3].forward(x)));
        let c3 = b[6].forward(b[5].forward(x));
        let c4 = b[8].forward(b[7].forward(self.max_pool(c3.clone())));
        let c5 = b[10].forward(b[9].forward(self.max_pool(c4.clone())));
        let p5 = self.lateral[2].forward(c5);
        let p4 = self.lateral[1].forward(c4 + upsample2(p5.clone()));
        let p3 = self.lateral[0].forward(c3 + upsample2(p4.clone()));
        let levels = [p3, p4, p5]
            .into_iter()
            .zip(&self.heads)
            .map(|(p, head)| {
                let out = head.forward(p);
                let [n, c, h, w] = out.dims();
                out.reshape([n, c, h * w])
            })
            .collect();
        Tensor::cat(levels, 2)
    }

    /// The same network on the CPU kernels.
    pub(crate) fn to_cpu(&self) -> cpu::YuNetCpu {
        let dp = |block: &Dp| cpu::Dp {
            pointwise: cpu_pointwise(&block.pointwise, Activation::Linear),
            depthwise: cpu_depthwise(&block.depthwise, Activation::relu(block.depthwise.weight.dims()[0])),
        };
        let (weight, bias) = self.stem.weight_3x3();
        cpu::YuNetCpu {
            stem: cpu::ImageConv::new(&weight, &bias, Activation::relu(16), 2),
            backbone: self.backbone.iter().map(dp).collect(),
            lateral: self.lateral.iter().map(dp).collect(),
            heads: self
                .heads
                .iter()
                .map(|h| cpu::Dp {
                    pointwise: cpu_pointwise(&h.pointwise, Activation::Linear),
                    depthwise: cpu_depthwise(&h.depthwise, Activation::Linear),
                })
                .collect(),
        }
    }

    /// MaxPool 2×2 stride 2.
    ///
    /// burn's CPU backend (flex 0.22) pools through its generic 3-D pooling with indices:
    /// 8 ms for a 16×240×320 map, more than half of a whole 640×480 detection. On that
    /// backend the tensor already lives in host memory, so pooling it here in plain Rust
    /// (copy out, pool, copy in: about 2 ms) gives exactly the same values. Other backends
    /// keep the module. Remove once flex pools quickly.
    fn max_pool(&self, x: Tensor<4>) -> Tensor<4> {
        if x.device() == Device::flex() { max_pool2_host(x) } else { self.pool.forward(x) }
    }

    /// Builds the network from the file's constants. Tensor names are the ONNX initializer
    /// names (see `model-dumps/yunet_conv_table.txt` in the project notes).
    pub(crate) fn load(c: &mut Constants, device: &Device) -> Result<YuNet, ModelError> {
        // Depthwise convs and the stem were exported under numeric names, three apart:
        // weight 420 + 3k, bias 421 + 3k, for the stem (k = 0) and then each DP block in
        // graph order.
        let numbered = |k: usize| ((420 + 3 * k).to_string(), (421 + 3 * k).to_string());
        let (w, b) = numbered(0);
        let stem = Stem::from_3x3(&c.take(&w, &[16, 3, 3, 3])?, c.take(&b, &[16])?, device);

        let mut dp = |prefix: &str, k: usize, c_in: usize, c_out: usize| -> Result<Dp, ModelError> {
            let pw = ConvSpec::new(c_in, c_out, 1);
            let dw = ConvSpec::depthwise(c_out);
            let (dw_w, dw_b) = numbered(k);
            Ok(Dp {
                pointwise: pw.build(
                    c.take(&format!("{prefix}.conv1.weight"), &pw.weight_shape())?,
                    Some(c.take(&format!("{prefix}.conv1.bias"), &[c_out])?),
                    device,
                ),
                depthwise: dw.build(
                    c.take(&dw_w, &dw.weight_shape())?,
                    Some(c.take(&dw_b, &[c_out])?),
                    device,
                ),
            })
        };
        let backbone_blocks = [
            ("backbone.model0.conv2", 16, 16),
            ("backbone.model1.conv1", 16, 16),
            ("backbone.model1.conv2", 16, 32),
            ("backbone.model2.conv1", 32, 32),
            ("backbone.model2.conv2", 32, 64),
            ("backbone.model3.conv1", 64, 64),
            ("backbone.model3.conv2", 64, 64),
            ("backbone.model4.conv1", 64, 64),
            ("backbone.model4.conv2", 64, 64),
            ("backbone.model5.conv1", 64, 64),
            ("backbone.model5.conv2", 64, 64),
        ];
        let mut k = 1;
        let mut backbone = Vec::new();
        for (prefix, c_in, c_out) in backbone_blocks {
            backbone.push(dp(prefix, k, c_in, c_out)?);
            k += 1;
        }
        // The graph runs the lateral convs from the top level down: 2, 1, 0.
        let mut lateral = Vec::new();
        for level in [2, 1, 0] {
            lateral.push(dp(&format!("neck.lateral_convs.{level}"), k, 64, 64)?);
            k += 1;
        }
        lateral.reverse();

        let mut heads = Vec::new();
        for level in 0..3 {
            let mut pw_w = Vec::new();
            let mut pw_b = Vec::new();
            let mut dw_w = Vec::new();
            let mut dw_b = Vec::new();
            for (branch, ch) in [("cls", 1), ("obj", 1), ("bbox", 4), ("kps", 10)] {
                let prefix = format!("bbox_head.multi_level_{branch}.{level}");
                pw_w.extend(c.take(&format!("{prefix}.conv1.weight"), &[ch, 64, 1, 1])?);
                pw_b.extend(c.take(&format!("{prefix}.conv1.bias"), &[ch])?);
                dw_w.extend(c.take(&format!("{prefix}.conv2.weight"), &[ch, 1, 3, 3])?);
                dw_b.extend(c.take(&format!("{prefix}.conv2.bias"), &[ch])?);
            }
            heads.push(Head {
                pointwise: ConvSpec::new(64, HEAD_CHANNELS, 1).build(pw_w, Some(pw_b), device),
                depthwise: ConvSpec::depthwise(HEAD_CHANNELS).build(dw_w, Some(dw_b), device),
            });
        }

        check_structure(c)?;
        Ok(YuNet {
            stem,
            backbone,
            lateral,
            heads,
            pool: MaxPool2dConfig::new([2, 2]).with_strides([2, 2]).init(),
        })
    }
}

/// The graph's non-weight constants: the two `Resize` nodes must be nearest ×2, as
/// [`upsample2`] hard-codes; the output `Reshape` shapes carry no information we use.
fn check_structure(c: &mut Constants) -> Result<(), ModelError> {
    c.check_inputs("Resize", |node, _, value| {
        let mode_ok = matches!(node.attr("mode"), Some(Attr::Str(m)) if m == "nearest");
        let scales_ok = match &value.data {
            Data::F32(v) if v.is_empty() => true, // the empty `roi`
            Data::F32(v) => v == &[1.0, 1.0, 2.0, 2.0],
            _ => false,
        };
        if mode_ok && scales_ok {
            Ok(())
        } else {
            Err(ModelError::bad_onnx("expected a nearest-neighbour ×2 upsampling", node.location()))
        }
    })?;
    c.check_inputs("Reshape", |_, _, _| Ok(()))?;
    Ok(())
}

/// 2×2 stride-2 max pooling of an NCHW tensor with even height and width, on the host.
pub(crate) fn max_pool2_host(x: Tensor<4>) -> Tensor<4> {
    let [n, c, h, w] = x.dims();
    let device = x.device();
    let data = x.into_data();
    let v = data.as_slice::<f32>().expect("YuNet activations are f32");
    let (h2, w2) = (h / 2, w / 2);
    let mut out = vec![0.0f32; n * c * h2 * w2];
    for (plane, dst) in v.chunks_exact(h * w).zip(out.chunks_exact_mut(h2 * w2)) {
        for (y, row) in dst.chunks_exact_mut(w2).enumerate() {
            let r0 = &plane[2 * y * w..(2 * y + 1) * w];
            let r1 = &plane[(2 * y + 1) * w..(2 * y + 2) * w];
            for (x, o) in row.iter_mut().enumerate() {
                *o = r0[2 * x].max(r0[2 * x + 1]).max(r1[2 * x].max(r1[2 * x + 1]));
            }
        }
    }
    Tensor::from_data(TensorData::new(out, [n, c, h2, w2]), &device)
}
