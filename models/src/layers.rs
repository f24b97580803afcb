//! Building burn layers from weights already in memory.
//!
//! The layers are constructed directly rather than through their `Config::init`, which
//! would first fill every parameter with random values only for us to overwrite them.

use burn::module::Param;
use burn::module::RunningState;
use burn::nn::conv::Conv2d;
use burn::nn::{BatchNorm, Linear, PRelu, PaddingConfig2d};
use burn::tensor::{Device, Tensor, TensorData};

use crate::cpu;

/// A 1-D parameter.
pub(crate) fn param1(data: Vec<f32>, device: &Device) -> Param<Tensor<1>> {
    let len = data.len();
    Param::from_data(TensorData::new(data, [len]), device)
}

/// Geometry of a square convolution.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ConvSpec {
    pub(crate) c_in: usize,
    pub(crate) c_out: usize,
    pub(crate) kernel: usize,
    pub(crate) stride: usize,
    pub(crate) groups: usize,
}

impl ConvSpec {
    /// A `k×k` convolution, stride 1, padding `k / 2`.
    pub(crate) fn new(c_in: usize, c_out: usize, kernel: usize) -> Self {
        ConvSpec { c_in, c_out, kernel, stride: 1, groups: 1 }
    }

    /// The depthwise 3×3 convolution over `c` channels.
    pub(crate) fn depthwise(c: usize) -> Self {
        ConvSpec { groups: c, ..ConvSpec::new(c, c, 3) }
    }

    pub(crate) fn stride(self, stride: usize) -> Self {
        ConvSpec { stride, ..self }
    }

    /// OIHW weight shape.
    pub(crate) fn weight_shape(&self) -> [usize; 4] {
        [self.c_out, self.c_in / self.groups, self.kernel, self.kernel]
    }

    /// Builds the layer. Padding is symmetric `kernel / 2`, as in every conv of both
    /// networks (explicit `pads` in the ONNX files).
    pub(crate) fn build(&self, weight: Vec<f32>, bias: Option<Vec<f32>>, device: &Device) -> Conv2d {
        let pad = self.kernel / 2;
        Conv2d {
            weight: Param::from_data(TensorData::new(weight, self.weight_shape()), device),
            bias: bias.map(|b| param1(b, device)),
            stride: [self.stride, self.stride],
            kernel_size: [self.kernel, self.kernel],
            dilation: [1, 1],
            groups: self.groups,
            padding: PaddingConfig2d::Explicit(pad, pad, pad, pad),
        }
    }
}

/// BatchNorm statistics and affine parameters, as stored in ONNX.
#[derive(Debug, Clone)]
pub(crate) struct BnWeights {
    pub(crate) gamma: Vec<f32>,
    pub(crate) beta: Vec<f32>,
    pub(crate) mean: Vec<f32>,
    pub(crate) var: Vec<f32>,
    pub(crate) epsilon: f64,
}

impl BnWeights {
    pub(crate) fn build(self, device: &Device) -> BatchNorm {
        BatchNorm {
            gamma: param1(self.gamma, device),
            beta: param1(self.beta, device),
            // As `BatchNormConfig::init` sets it: batch statistics are used only on an
            // autodiff device, so inference (and `valid()`) uses the running statistics.
            training: Param::from_bool(true),
            running_mean: RunningState::new(Tensor::from_data(
                TensorData::new(self.mean.clone(), [self.mean.len()]),
                device,
            )),
            running_var: RunningState::new(Tensor::from_data(
                TensorData::new(self.var.clone(), [self.var.len()]),
                device,
            )),
            // The file's MXNet momentum 0.9 weights the old running value; burn's momentum
            // weights the new batch value: 1 - 0.9. Only used when training.
            momentum: 0.1,
            epsilon: self.epsilon,
        }
    }
}

/// Per-channel PReLU.
pub(crate) fn prelu(alpha: Vec<f32>, device: &Device) -> PRelu {
    PRelu { alpha: param1(alpha, device), alpha_value: 0.25 }
}

/// A linear layer from a weight stored `[in, out]` (burn's layout).
pub(crate) fn linear(weight: Vec<f32>, d_in: usize, d_out: usize, bias: Vec<f32>, device: &Device) -> Linear {
    Linear {
        weight: Param::from_data(TensorData::new(weight, [d_in, d_out]), device),
        bias: Some(param1(bias, device)),
    }
}

/// A parameter's values, copied to the host.
pub(crate) fn host<const D: usize>(p: &Param<Tensor<D>>) -> Vec<f32> {
    p.val().into_data().try_to_vec::<f32>().expect("weights are f32")
}

/// A convolution's bias, or zeros.
fn bias_or_zeros(conv: &Conv2d) -> Vec<f32> {
    let [c_out, ..] = conv.weight.dims();
    conv.bias.as_ref().map_or_else(|| vec![0.0; c_out], host)
}

/// A 1×1 convolution of burn's as a CPU kernel.
pub(crate) fn cpu_pointwise(conv: &Conv2d, act: cpu::Activation) -> cpu::Pointwise {
    let [c_out, c_in, kh, kw] = conv.weight.dims();
    assert_eq!((kh, kw, conv.groups), (1, 1, 1), "a pointwise convolution");
    cpu::Pointwise::new(&host(&conv.weight), c_out, c_in, &bias_or_zeros(conv), act)
}

/// A depthwise 3×3 convolution of burn's as a CPU kernel.
pub(crate) fn cpu_depthwise(conv: &Conv2d, act: cpu::Activation) -> cpu::Depthwise {
    let [c_out, _, kh, kw] = conv.weight.dims();
    assert_eq!((kh, kw, conv.groups), (3, 3, c_out), "a depthwise 3×3 convolution");
    cpu::Depthwise::new(&host(&conv.weight), &bias_or_zeros(conv), act, conv.stride[0])
}
