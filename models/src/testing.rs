//! Test support: random-weight ONNX files laid out like the pinned ones, and plain-loop
//! reference implementations of both networks written straight from the graph dumps, to
//! check the burn modules' wiring without the real weights.

use std::collections::HashMap;

use crate::onnx::write::{AttrW, DataW, Lcg, OnnxWriter};

/// Builds an ONNX file and remembers every weight's true (dequantised) values.
pub(crate) struct Builder {
    pub(crate) w: OnnxWriter,
    pub(crate) rng: Lcg,
    pub(crate) weights: HashMap<String, Vec<f32>>,
}

impl Builder {
    pub(crate) fn new(seed: u64) -> Self {
        Builder { w: OnnxWriter::new(), rng: Lcg::new(seed), weights: HashMap::new() }
    }

    /// A block-int8 weight of magnitude about `amp`.
    pub(crate) fn quantized(&mut self, name: &str, dims: &[usize], block: usize, amp: f32) {
        let values = self.w.quantized(name, dims, block, amp, &mut self.rng);
        self.weights.insert(name.to_string(), values);
    }

    /// A plain f32 tensor in raw_data, uniform in ±`amp` around `centre`.
    pub(crate) fn raw(&mut self, name: &str, dims: &[usize], centre: f32, amp: f32) {
        let n = dims.iter().product();
        let v: Vec<f32> = self.rng.vec(n, amp).into_iter().map(|x| x + centre).collect();
        self.w.tensor(name, dims, DataW::F32Raw(v.clone()));
        self.weights.insert(name.to_string(), v);
    }

    /// A plain f32 tensor in packed float_data.
    pub(crate) fn packed(&mut self, name: &str, dims: &[usize], centre: f32, amp: f32) {
        let n = dims.iter().product();
        let v: Vec<f32> = self.rng.vec(n, amp).into_iter().map(|x| x + centre).collect();
        self.w.tensor(name, dims, DataW::F32Packed(v.clone()));
        self.weights.insert(name.to_string(), v);
    }

    pub(crate) fn get(&self, name: &str) -> &[f32] {
        &self.weights[name]
    }
}

/// YuNet's DP blocks in graph order: name prefix, channels in, channels out.
pub(crate) const YUNET_DP: [(&str, usize, usize); 14] = [
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
    ("neck.lateral_convs.2", 64, 64),
    ("neck.lateral_convs.1", 64, 64),
    ("neck.lateral_convs.0", 64, 64),
];

const HEAD_BRANCHES: [(&str, usize); 4] = [("cls", 1), ("obj", 1), ("bbox", 4), ("kps", 10)];

/// A YuNet file with random weights, encoded as the pinned file encodes each tensor.
pub(crate) fn yunet(seed: u64) -> Builder {
    let mut b = Builder::new(seed);
    b.quantized("420", &[16, 3, 3, 3], 27, 1.5 / 27f32.sqrt() / 40.0);
    b.raw("421", &[16], 0.0, 0.1);
    for (k, (prefix, c_in, c_out)) in YUNET_DP.iter().enumerate() {
        let k = k + 1;
        b.quantized(
            &format!("{prefix}.conv1.weight"),
            &[*c_out, *c_in, 1, 1],
            (*c_in).min(64),
            1.5 / (*c_in as f32).sqrt(),
        );
        let (dw_w, dw_b) = ((420 + 3 * k).to_string(), (421 + 3 * k).to_string());
        b.quantized(&dw_w, &[*c_out, 1, 3, 3], 9, 0.5);
        // The file quantises the 64-channel biases (one whole-tensor scale), keeps the
        // others as f32.
        if *c_out == 64 {
            b.quantized(&format!("{prefix}.conv1.bias"), &[64], 64, 0.1);
            b.quantized(&dw_b, &[64], 64, 0.1);
        } else {
            b.raw(&format!("{prefix}.conv1.bias"), &[*c_out], 0.0, 0.1);
            b.raw(&dw_b, &[*c_out], 0.0, 0.1);
        }
    }
    for level in 0..3 {
        for (branch, ch) in HEAD_BRANCHES {
            let p = format!("bbox_head.multi_level_{branch}.{level}");
            b.quantized(&format!("{p}.conv1.weight"), &[ch, 64, 1, 1], 64, 0.2);
            b.raw(&format!("{p}.conv1.bias"), &[ch], 0.0, 0.1);
            if branch == "kps" {
                b.quantized(&format!("{p}.conv2.weight"), &[ch, 1, 3, 3], 9, 0.3);
            } else {
                b.raw(&format!("{p}.conv2.weight"), &[ch, 1, 3, 3], 0.0, 0.3);
            }
            b.raw(&format!("{p}.conv2.bias"), &[ch], 0.0, 0.1);
        }
    }
    // The graph's own constants: an empty Resize roi, the two ×2 scales, the output
    // reshape targets.
    b.w.tensor("240", &[0], DataW::F32Raw(vec![]));
    for (scales, input, output) in [("464", "236", "241"), ("465", "246", "251")] {
        b.w.tensor(scales, &[4], DataW::F32Raw(vec![1.0, 1.0, 2.0, 2.0]));
        b.w.node(
            "Resize",
            &format!("Resize_{output}"),
            &[input, "240", scales],
            &[output],
            &[("mode", AttrW::Str("nearest")), ("coordinate_transformation_mode", AttrW::Str("asymmetric"))],
        );
    }
    b.w.tensor("290", &[3], DataW::I64(vec![1, -1, 1]));
    b.w.node("Reshape", "Reshape_84", &["281", "290"], &["291"], &[]);
    b
}

/// SFace's depthwise stride, channels in and out of conv_2 … conv_14.
pub(crate) const SFACE_BLOCKS: [(usize, usize, usize); 13] = [
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

fn sface_layer(b: &mut Builder, name: &str, dims: [usize; 4], block: usize) {
    let fan_in = dims[1] * dims[2] * dims[3];
    b.quantized(&format!("{name}_conv2d_weight"), &dims, block, 1.7 / (fan_in as f32).sqrt());
    let bn = name.to_string() + "_batchnorm";
    sface_bn(b, &bn, dims[0], 1e-3);
    b.packed(&format!("{name}_relu_gamma"), &[dims[0], 1, 1], 0.25, 0.1);
}

fn sface_bn(b: &mut Builder, prefix: &str, ch: usize, eps: f32) {
    b.packed(&format!("{prefix}_gamma"), &[ch], 1.0, 0.2);
    b.packed(&format!("{prefix}_beta"), &[ch], 0.0, 0.1);
    b.packed(&format!("{prefix}_moving_mean"), &[ch], 0.0, 0.1);
    b.packed(&format!("{prefix}_moving_var"), &[ch], 1.0, 0.3);
    b.w.node(
        "BatchNormalization",
        prefix,
        &[
            "x",
            &format!("{prefix}_gamma"),
            &format!("{prefix}_beta"),
            &format!("{prefix}_moving_mean"),
            &format!("{prefix}_moving_var"),
        ],
        &[prefix],
        &[("epsilon", AttrW::Float(eps))],
    );
}

/// An SFace file with random weights, encoded as the pinned file encodes each tensor, with
/// BatchNormalization nodes carrying the file's epsilons (1e-3 in the body, 2e-5 for bn1
/// and fc1).
pub(crate) fn sface(seed: u64) -> Builder {
    let mut b = Builder::new(seed);
    b.w.tensor("scalar_op1", &[1], DataW::F32Raw(vec![127.5]));
    b.w.tensor("scalar_op2", &[1], DataW::F32Raw(vec![0.0078125]));
    b.w.node("Sub", "_minusscalar0", &["data", "scalar_op1"], &["s"], &[]);
    b.w.node("Mul", "_mulscalar0", &["s", "scalar_op2"], &["m"], &[]);
    sface_layer(&mut b, "conv_1", [32, 3, 3, 3], 27);
    for (i, (_, c_in, c_out)) in SFACE_BLOCKS.iter().enumerate() {
        let n = i + 2;
        sface_layer(&mut b, &format!("conv_{n}_dw"), [*c_in, 1, 3, 3], 9);
        sface_layer(&mut b, &format!("conv_{n}"), [*c_out, *c_in, 1, 1], 64.min(*c_in));
    }
    sface_bn(&mut b, "bn1", 1024, 2e-5);
    b.quantized("pre_fc1_weight", &[128, 50176], 64, 3.0 / 50176f32.sqrt());
    b.quantized("pre_fc1_bias", &[128], 64, 0.1);
    sface_bn(&mut b, "fc1", 128, 2e-5);
    b.w.constant("_v_265", &[], DataW::F32Raw(vec![0.4]));
    b.w.node("Dropout", "dropout5", &["bn1", "_v_265"], &["dropout5"], &[]);
    b
}

/// An activation map in CHW order.
#[derive(Debug, Clone)]
pub(crate) struct Act {
    pub(crate) c: usize,
    pub(crate) h: usize,
    pub(crate) w: usize,
    pub(crate) data: Vec<f32>,
}

impl Act {
    pub(crate) fn at(&self, c: usize, y: usize, x: usize) -> f32 {
        self.data[(c * self.h + y) * self.w + x]
    }

    /// Square k×k convolution, symmetric padding k/2, weight OIHW.
    pub(crate) fn conv(
        &self,
        weight: &[f32],
        bias: Option<&[f32]>,
        c_out: usize,
        k: usize,
        stride: usize,
        groups: usize,
    ) -> Act {
        let pad = k / 2;
        let h = (self.h + 2 * pad - k) / stride + 1;
        let w = (self.w + 2 * pad - k) / stride + 1;
        let (cin_g, cout_g) = (self.c / groups, c_out / groups);
        let mut data = vec![0.0f32; c_out * h * w];
        for o in 0..c_out {
            let g = o / cout_g;
            for y in 0..h {
                for x in 0..w {
                    let mut acc = bias.map_or(0.0, |b| b[o]);
                    for ci in 0..cin_g {
                        let c = g * cin_g + ci;
                        for ky in 0..k {
                            let iy = (y * stride + ky) as isize - pad as isize;
                            if iy < 0 || iy >= self.h as isize {
                                continue;
                            }
                            for kx in 0..k {
                                let ix = (x * stride + kx) as isize - pad as isize;
                                if ix < 0 || ix >= self.w as isize {
                                    continue;
                                }
                                acc += weight[((o * cin_g + ci) * k + ky) * k + kx]
                                    * self.at(c, iy as usize, ix as usize);
                            }
                        }
                    }
                    data[(o * h + y) * w + x] = acc;
                }
            }
        }
        Act { c: c_out, h, w, data }
    }

    pub(crate) fn map(mut self, f: impl Fn(usize, f32) -> f32) -> Act {
        let plane = self.h * self.w;
        for (i, v) in self.data.iter_mut().enumerate() {
            *v = f(i / plane, *v);
        }
        self
    }

    pub(crate) fn max_pool2(&self) -> Act {
        let (h, w) = (self.h / 2, self.w / 2);
        let mut data = Vec::with_capacity(self.c * h * w);
        for c in 0..self.c {
            for y in 0..h {
                for x in 0..w {
                    let m = [(0, 0), (0, 1), (1, 0), (1, 1)]
                        .iter()
                        .map(|(dy, dx)| self.at(c, 2 * y + dy, 2 * x + dx))
                        .fold(f32::NEG_INFINITY, f32::max);
                    data.push(m);
                }
            }
        }
        Act { c: self.c, h, w, data }
    }

    pub(crate) fn upsample2_add(&self, skip: &Act) -> Act {
        let mut out = skip.clone();
        for c in 0..skip.c {
            for y in 0..skip.h {
                for x in 0..skip.w {
                    out.data[(c * skip.h + y) * skip.w + x] += self.at(c, y / 2, x / 2);
                }
            }
        }
        out
    }
}

/// YuNet by plain loops from the graph: `[16][L]` head outputs (cls and obj as logits),
/// as [`crate::detector`]'s network returns them.
pub(crate) fn yunet_reference(b: &Builder, input: &Act) -> Vec<Vec<f32>> {
    let relu = |_: usize, v: f32| v.max(0.0);
    let x = input.conv(b.get("420"), Some(b.get("421")), 16, 3, 2, 1).map(relu);
    let dp = |x: &Act, k: usize| -> Act {
        let (prefix, _, c_out) = YUNET_DP[k - 1];
        x.conv(
            b.get(&format!("{prefix}.conv1.weight")),
            Some(b.get(&format!("{prefix}.conv1.bias"))),
            c_out,
            1,
            1,
            1,
        )
        .conv(b.get(&(420 + 3 * k).to_string()), Some(b.get(&(421 + 3 * k).to_string())), c_out, 3, 1, c_out)
        .map(relu)
    };
    let x = dp(&x, 1).max_pool2();
    let x = dp(&dp(&x, 2), 3);
    let x = dp(&dp(&x, 4), 5).max_pool2();
    let c3 = dp(&dp(&x, 6), 7);
    let c4 = dp(&dp(&c3.max_pool2(), 8), 9);
    let c5 = dp(&dp(&c4.max_pool2(), 10), 11);
    let p5 = dp(&c5, 12);
    let p4 = dp(&p5.upsample2_add(&c4), 13);
    let p3 = dp(&p4.upsample2_add(&c3), 14);
    let mut channels = vec![Vec::new(); 16];
    for (level, p) in [p3, p4, p5].iter().enumerate() {
        let mut ch = 0;
        for (branch, n) in HEAD_BRANCHES {
            let pre = format!("bbox_head.multi_level_{branch}.{level}");
            let out = p
                .conv(
                    b.get(&format!("{pre}.conv1.weight")),
                    Some(b.get(&format!("{pre}.conv1.bias"))),
                    n,
                    1,
                    1,
                    1,
                )
                .conv(
                    b.get(&format!("{pre}.conv2.weight")),
                    Some(b.get(&format!("{pre}.conv2.bias"))),
                    n,
                    3,
                    1,
                    n,
                );
            for i in 0..n {
                let plane = out.h * out.w;
                channels[ch + i].extend_from_slice(&out.data[i * plane..(i + 1) * plane]);
            }
            ch += n;
        }
    }
    channels
}

/// SFace by plain loops from the graph, for one 112×112 input already scaled: the
/// 128 outputs of fc1, not normalised.
pub(crate) fn sface_reference(b: &Builder, input: &Act) -> Vec<f32> {
    let bn = |x: Act, prefix: &str, eps: f32| -> Act {
        let g = b.get(&format!("{prefix}_gamma"));
        let be = b.get(&format!("{prefix}_beta"));
        let m = b.get(&format!("{prefix}_moving_mean"));
        let v = b.get(&format!("{prefix}_moving_var"));
        x.map(|c, val| (val - m[c]) / (v[c] + eps).sqrt() * g[c] + be[c])
    };
    let layer = |x: &Act, name: &str, c_out: usize, k: usize, stride: usize, groups: usize| {
        let y = x.conv(b.get(&format!("{name}_conv2d_weight")), None, c_out, k, stride, groups);
        let y = bn(y, &format!("{name}_batchnorm"), 1e-3);
        let a = b.get(&format!("{name}_relu_gamma"));
        y.map(|c, v| if v > 0.0 { v } else { a[c] * v })
    };
    let mut x = layer(input, "conv_1", 32, 3, 1, 1);
    for (i, (stride, c_in, c_out)) in SFACE_BLOCKS.iter().enumerate() {
        let n = i + 2;
        x = layer(&x, &format!("conv_{n}_dw"), *c_in, 3, *stride, *c_in);
        x = layer(&x, &format!("conv_{n}"), *c_out, 1, 1, 1);
    }
    let x = bn(x, "bn1", 2e-5);
    let w = b.get("pre_fc1_weight");
    let bias = b.get("pre_fc1_bias");
    let out: Vec<f32> = (0..128)
        .map(|o| {
            let row = &w[o * 50176..(o + 1) * 50176];
            row.iter().zip(&x.data).map(|(a, b)| a * b).sum::<f32>() + bias[o]
        })
        .collect();
    let fc = Act { c: 128, h: 1, w: 1, data: out };
    bn(fc, "fc1", 2e-5).data
}

/// Cosine of two vectors.
pub(crate) fn cosine(a: &[f32], b: &[f32]) -> f32 {
    let dot: f32 = a.iter().zip(b).map(|(x, y)| x * y).sum();
    let na: f32 = a.iter().map(|x| x * x).sum::<f32>().sqrt();
    let nb: f32 = b.iter().map(|x| x * x).sum::<f32>().sqrt();
    dot / (na * nb)
}
