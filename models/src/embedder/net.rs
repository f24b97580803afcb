//! SFace (2021dec) as burn modules, and its loader.
//!
//! [`SFace`] is the network as the file describes it, with BatchNorm layers that hold the
//! running statistics: the module a fine-tune trains. [`SFaceInference`] is the same function
//! with every BatchNorm folded into the preceding convolution or linear layer, which is what
//! the [`Embedder`](crate::Embedder) runs: fewer passes over the activations per face.

use std::collections::HashMap;

use burn::module::{Module, Param};
use burn::nn::conv::Conv2d;
use burn::nn::{BatchNorm, Linear, PRelu};
use burn::tensor::{Device, Tensor};

use crate::ModelError;
use crate::cpu::{self, Activation};
use crate::layers::{BnWeights, ConvSpec, cpu_depthwise, cpu_pointwise, host, linear, prelu};
use crate::onnx::{Attr, Constants, Data};

/// Side of the input crop.
pub(crate) const INPUT_SIZE: usize = 112;
/// Output width.
pub(crate) const DIM: usize = 128;
/// Channels × positions entering the linear layer: 1024 × 7 × 7.
const FLAT: usize = 1024 * 7 * 7;
/// The graph's input scaling, `(x − MEAN) · SCALE`, checked against the file.
pub(crate) const INPUT_MEAN: f32 = 127.5;
pub(crate) const INPUT_SCALE: f32 = 0.0078125;

/// Convolution (no bias) → BatchNorm → per-channel PReLU.
#[derive(Module, Debug)]
pub(crate) struct ConvBnPrelu {
    conv: Conv2d,
    bn: BatchNorm,
    act: PRelu,
}

impl ConvBnPrelu {
    fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        self.act.forward(self.bn.forward(self.conv.forward(x)))
    }

    /// Folds the BatchNorm into the convolution: `w' = w·s`, `b' = β − μ·s` with
    /// `s = γ / √(σ² + ε)` per output channel.
    fn fuse(&self) -> ConvPrelu {
        let (scale, shift) = bn_affine(&self.bn);
        let [c_out, ..] = self.conv.weight.dims();
        let weight = self.conv.weight.val() * scale.clone().reshape([c_out, 1, 1, 1]);
        let bias = match &self.conv.bias {
            Some(b) => b.val() * scale + shift,
            None => shift,
        };
        let mut conv = self.conv.clone();
        conv.weight = Param::from_tensor(weight);
        conv.bias = Some(Param::from_tensor(bias));
        ConvPrelu { conv, act: self.act.clone() }
    }
}

/// `(s, t)` such that the BatchNorm computes `x·s + t` in inference mode.
fn bn_affine(bn: &BatchNorm) -> (Tensor<1>, Tensor<1>) {
    let scale = bn.gamma.val() / (bn.running_var.value() + bn.epsilon).sqrt();
    let shift = bn.beta.val() - bn.running_mean.value() * scale.clone();
    (scale, shift)
}

/// SFace as trained: input `[N, 3, 112, 112]` already scaled by
/// [`normalise`](SFace::normalise), output `[N, 128]` (not L2-normalised).
#[derive(Module, Debug)]
pub(crate) struct SFace {
    conv1: ConvBnPrelu,
    /// conv_2 … conv_14, each a depthwise then a pointwise layer: 26 layers.
    blocks: Vec<ConvBnPrelu>,
    bn1: BatchNorm,
    /// `pre_fc1`, 50176 → 128.
    fc: Linear,
    /// `fc1`, the BatchNorm1d whose output is the embedding.
    fc_bn: BatchNorm,
}

/// Depthwise stride and channels of conv_2 … conv_14.
const BLOCKS: [(usize, usize, usize); 13] = [
    (1, 32, 64),
    (2, 64, 128),
    (1, 128, 128),
    (2, 128, 256),
    (1, 256, 256),
    (2, 256, 512),
    (1, 512, 512),
    (1, 512, 512),
    (1, 512, 512),
    (1, 512, 512),
    (1, 512, 512),
    (2, 512, 1024),
    (1, 1024, 1024),
];

impl SFace {
    #[cfg_attr(not(test), allow(dead_code, reason = "the fine-tune trains this module"))]
    pub(crate) fn forward(&self, x: Tensor<4>) -> Tensor<2> {
        let mut x = self.conv1.forward(x);
        for block in &self.blocks {
            x = block.forward(x);
        }
        let x = self.bn1.forward(x);
        let [n, ..] = x.dims();
        // Flatten channel-major (c·49 + h·7 + w), as ONNX Flatten does on NCHW.
        let x: Tensor<2> = x.reshape([n, FLAT]);
        self.fc_bn.forward(self.fc.forward(x))
    }

    /// The same function with every BatchNorm folded away, for inference.
    pub(crate) fn fuse(&self) -> SFaceInference {
        // bn1 precedes the flatten: channel c scales inputs c·49 … c·49 + 48 of the
        // linear layer. y = (x⊙a + b)·W + bias = x·(diag(a)·W) + (b·W + bias).
        let (a, b) = bn_affine(&self.bn1);
        let per_input =
            |t: Tensor<1>| -> Tensor<1> { t.reshape([1024, 1]).expand([1024, 49]).reshape([FLAT]) };
        let (a, b) = (per_input(a), per_input(b));
        let w = self.fc.weight.val();
        let bias = self.fc.bias.as_ref().map(|p| p.val());
        let w1 = w.clone() * a.reshape([FLAT, 1]);
        let mut b1 = b.reshape([1, FLAT]).matmul(w).reshape([DIM]);
        if let Some(bias) = bias {
            b1 = b1 + bias;
        }
        // fc1 follows the linear layer: scale its output columns.
        let (s, t) = bn_affine(&self.fc_bn);
        let w2 = w1 * s.clone().reshape([1, DIM]);
        let b2 = b1 * s + t;
        let mut fc = self.fc.clone();
        fc.weight = Param::from_tensor(w2);
        fc.bias = Some(Param::from_tensor(b2));
        let conv1 = self.conv1.fuse();
        SFaceInference {
            conv1: FirstConv::split(conv1),
            blocks: self.blocks.iter().map(ConvBnPrelu::fuse).collect(),
            fc,
        }
    }

    /// Builds the network from the file's constants (names as in
    /// `model-dumps/sface_graph.txt` of the project notes).
    pub(crate) fn load(c: &mut Constants, device: &Device) -> Result<SFace, ModelError> {
        let epsilons = batchnorm_epsilons(c);
        let bn =
            |c: &mut Constants, prefix: &str, ch: usize, default_eps: f64| -> Result<BnWeights, ModelError> {
                Ok(BnWeights {
                    gamma: c.take(&format!("{prefix}_gamma"), &[ch])?,
                    beta: c.take(&format!("{prefix}_beta"), &[ch])?,
                    mean: c.take(&format!("{prefix}_moving_mean"), &[ch])?,
                    var: c.take(&format!("{prefix}_moving_var"), &[ch])?,
                    epsilon: epsilons.get(&format!("{prefix}_gamma")).copied().unwrap_or(default_eps),
                })
            };
        let layer = |c: &mut Constants, name: &str, spec: ConvSpec| -> Result<ConvBnPrelu, ModelError> {
            let ch = spec.c_out;
            let conv =
                spec.build(c.take(&format!("{name}_conv2d_weight"), &spec.weight_shape())?, None, device);
            let bn = bn(c, &format!("{name}_batchnorm"), ch, 1e-3)?.build(device);
            let act = prelu(c.take(&format!("{name}_relu_gamma"), &[ch, 1, 1])?, device);
            Ok(ConvBnPrelu { conv, bn, act })
        };

        let conv1 = layer(c, "conv_1", ConvSpec::new(3, 32, 3))?;
        let mut blocks = Vec::new();
        for (i, (stride, c_in, c_out)) in BLOCKS.into_iter().enumerate() {
            let n = i + 2;
            blocks.push(layer(c, &format!("conv_{n}_dw"), ConvSpec::depthwise(c_in).stride(stride))?);
            blocks.push(layer(c, &format!("conv_{n}"), ConvSpec::new(c_in, c_out, 1))?);
        }
        let bn1 = bn(c, "bn1", 1024, 2e-5)?.build(device);
        // ONNX Gemm with transB stores W as [out, in]; burn's Linear wants [in, out].
        let w = c.take("pre_fc1_weight", &[DIM, FLAT])?;
        let mut w_t = vec![0.0f32; w.len()];
        for (o, row) in w.chunks_exact(FLAT).enumerate() {
            for (i, &v) in row.iter().enumerate() {
                w_t[i * DIM + o] = v;
            }
        }
        let fc = linear(w_t, FLAT, DIM, c.take("pre_fc1_bias", &[DIM])?, device);
        let fc_bn = bn(c, "fc1", DIM, 2e-5)?.build(device);

        check_structure(c)?;
        Ok(SFace { conv1, blocks, bn1, fc, fc_bn })
    }

    /// The graph's own input scaling, done on the host while filling the input tensor:
    /// `(x − 127.5) · 0.0078125`.
    pub(crate) fn normalise(v: u8) -> f32 {
        (f32::from(v) - INPUT_MEAN) * INPUT_SCALE
    }
}

/// Epsilon of every BatchNormalization node, by its gamma tensor's name.
fn batchnorm_epsilons(c: &Constants) -> HashMap<String, f64> {
    c.nodes()
        .iter()
        .filter(|n| n.op_type == "BatchNormalization")
        .filter_map(|n| {
            let eps = match n.attr("epsilon") {
                Some(Attr::Float(e)) => f64::from(*e),
                // ONNX's default.
                _ => 1e-5,
            };
            Some((n.inputs.get(1)?.clone(), eps))
        })
        .collect()
}

/// The input scaling constants must be the ones [`SFace::normalise`] applies.
fn check_structure(c: &mut Constants) -> Result<(), ModelError> {
    for (op, want) in [("Sub", INPUT_MEAN), ("Mul", INPUT_SCALE)] {
        c.check_inputs(op, |node, _, value| match &value.data {
            Data::F32(v) if v.as_slice() == [want] => Ok(()),
            _ => Err(ModelError::bad_onnx(
                format!("expected the input scaling constant {want}"),
                node.location(),
            )),
        })?;
    }
    // Dropout's ratio: inference ignores it.
    c.check_inputs("Dropout", |_, _, _| Ok(()))?;
    Ok(())
}

/// Conv (with the folded BatchNorm as bias) → PReLU.
#[derive(Module, Debug)]
pub(crate) struct ConvPrelu {
    conv: Conv2d,
    act: PRelu,
}

/// conv_1 (3→32, with its folded BatchNorm) as two convolutions of 16 output channels each,
/// whose outputs are concatenated, then its PReLU.
///
/// Same products and sums per output; burn's CPU backend (flex 0.22) runs a convolution
/// with at most 4 input and 16 output channels on a direct path, and anything wider
/// through im2col and a matrix product, which is two to three times slower for this layer.
#[derive(Module, Debug)]
pub(crate) struct FirstConv {
    parts: Vec<Conv2d>,
    act: PRelu,
}

impl FirstConv {
    const PART: usize = 16;

    fn split(layer: ConvPrelu) -> FirstConv {
        let ConvPrelu { conv, act } = layer;
        let [c_out, c_in, kh, kw] = conv.weight.dims();
        let parts = (0..c_out.div_ceil(Self::PART))
            .map(|i| {
                let range = i * Self::PART..((i + 1) * Self::PART).min(c_out);
                Conv2d {
                    weight: Param::from_tensor(conv.weight.val().slice([
                        range.clone(),
                        0..c_in,
                        0..kh,
                        0..kw,
                    ])),
                    bias: conv.bias.as_ref().map(|b| Param::from_tensor(b.val().slice([range]))),
                    ..conv.clone()
                }
            })
            .collect();
        FirstConv { parts, act }
    }

    fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        let outs = self.parts.iter().map(|conv| conv.forward(x.clone())).collect();
        self.act.forward(Tensor::cat(outs, 1))
    }
}

/// [`SFace`] with its BatchNorms folded: input as for [`SFace::forward`], same output.
#[derive(Module, Debug)]
pub(crate) struct SFaceInference {
    conv1: FirstConv,
    blocks: Vec<ConvPrelu>,
    fc: Linear,
}

impl SFaceInference {
    #[cfg_attr(not(test), allow(dead_code, reason = "the embedder runs the two halves itself"))]
    pub(crate) fn forward(&self, x: Tensor<4>) -> Tensor<2> {
        self.head(self.features(x))
    }

    /// The convolutional body: `[N, 3, 112, 112]` to the flattened `[N, 50176]` features.
    pub(crate) fn features(&self, x: Tensor<4>) -> Tensor<2> {
        let mut x = self.conv1.forward(x);
        for block in &self.blocks {
            x = block.act.forward(block.conv.forward(x));
        }
        let [n, ..] = x.dims();
        x.reshape([n, FLAT])
    }

    /// The linear layer: features to the `[N, 128]` output.
    pub(crate) fn head(&self, features: Tensor<2>) -> Tensor<2> {
        self.fc.forward(features)
    }

    /// The same network on the CPU kernels.
    pub(crate) fn to_cpu(&self) -> cpu::SFaceCpu {
        let (mut weight, mut bias) = (Vec::new(), Vec::new());
        for part in &self.conv1.parts {
            weight.extend(host(&part.weight));
            bias.extend(part.bias.as_ref().map(host).expect("folded convolutions have a bias"));
        }
        let conv1 = cpu::ImageConv::new(&weight, &bias, Activation::prelu(&host(&self.conv1.act.alpha)), 1);
        let body = self
            .blocks
            .iter()
            .map(|block| {
                let act = Activation::prelu(&host(&block.act.alpha));
                if block.conv.groups > 1 {
                    cpu::SFaceLayer::Depthwise(cpu_depthwise(&block.conv, act))
                } else {
                    cpu::SFaceLayer::Pointwise(cpu_pointwise(&block.conv, act))
                }
            })
            .collect();
        let fc_bias = self.fc.bias.as_ref().map(host).expect("the folded linear layer has a bias");
        cpu::SFaceCpu::new(conv1, body, &host(&self.fc.weight), &fc_bias)
    }
}
