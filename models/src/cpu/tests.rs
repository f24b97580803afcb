//! Every CPU kernel against burn's own output (flex) on random tensors of the shapes the two
//! networks use.

use burn::module::Param;
use burn::nn::PRelu;
use burn::nn::conv::Conv2d;
use burn::nn::pool::MaxPool2dConfig;
use burn::tensor::activation::relu;
use burn::tensor::module::interpolate;
use burn::tensor::ops::{InterpolateMode, InterpolateOptions};
use burn::tensor::{Device, Distribution, Tensor, TensorData};

use super::kernels::{self, Activation, OutGeometry, Planes};
use super::ops::{self, ImageConv, Linear};
use crate::layers::{ConvSpec, cpu_depthwise, cpu_pointwise, host, param1};

fn device() -> Device {
    Device::flex()
}

fn random(shape: [usize; 4], seed: u64) -> Tensor<4> {
    burn::tensor::Device::seed(&device(), seed);
    Tensor::<4>::random(shape, Distribution::Uniform(-1.0, 1.0), &device())
}

fn values<const D: usize>(t: Tensor<D>) -> Vec<f32> {
    t.into_data().try_to_vec::<f32>().unwrap()
}

/// A layer of random weights of about unit gain.
fn conv(spec: ConvSpec, seed: u64) -> Conv2d {
    let [o, i, kh, kw] = spec.weight_shape();
    let gain = 1.0 / ((i * kh * kw) as f32).sqrt();
    let w = values(random([o, i, kh, kw], seed)).into_iter().map(|v| v * gain).collect();
    let b = values(random([1, 1, 1, o], seed + 1));
    spec.build(w, Some(b), &device())
}

fn planes(x: &Tensor<4>, pad: usize) -> Planes {
    let [n, c, h, w] = x.dims();
    assert_eq!(n, 1);
    Planes::from_chw(&values(x.clone()), c, h, w, pad)
}

/// `ours` equals burn's `theirs` within float rounding of sums of this length.
fn assert_close(what: &str, ours: &[f32], theirs: &[f32]) {
    assert_eq!(ours.len(), theirs.len(), "{what}: lengths");
    let scale = theirs.iter().fold(0f32, |m, v| m.max(v.abs())).max(1.0);
    for (i, (a, b)) in ours.iter().zip(theirs).enumerate() {
        assert!((a - b).abs() <= 2e-5 * scale, "{what}: value {i}: ours {a}, burn {b}");
    }
}

/// A PReLU with random slopes (also negative ones, as trained PReLUs have).
fn prelu(channels: usize, seed: u64) -> (PRelu, Activation) {
    let alpha = values(random([1, 1, 1, channels], seed));
    (PRelu { alpha: param1(alpha.clone(), &device()), alpha_value: 0.25 }, Activation::prelu(&alpha))
}

/// (channels in, channels out, height, width) of 1×1 convolutions in YuNet at 640×480
/// (shrunk where the shape repeats) and in SFace.
const POINTWISE: [(usize, usize, usize, usize); 8] = [
    (16, 16, 60, 40),
    (16, 32, 40, 30),
    (64, 64, 20, 15),
    (64, 16, 10, 10),
    (32, 64, 28, 28),
    (256, 512, 14, 14),
    (512, 512, 14, 14),
    (1024, 1024, 7, 7),
];

#[test]
fn pointwise_equals_burns_conv2d_with_each_activation() {
    for (k, &(c_in, c_out, h, w)) in POINTWISE.iter().enumerate() {
        let seed = 10 * k as u64;
        let layer = conv(ConvSpec::new(c_in, c_out, 1), seed);
        let x = random([1, c_in, h, w], seed + 2);
        let y = layer.forward(x.clone());
        let (p, act) = prelu(c_out, seed + 3);
        for (name, want, act) in [
            ("linear", y.clone(), Activation::Linear),
            ("relu", relu(y.clone()), Activation::relu(c_out)),
            ("prelu", p.forward(y.clone()), act),
        ] {
            let op = cpu_pointwise(&layer, act);
            for (in_pad, out_pad) in [(0, 0), (1, 1)] {
                for parallel in [false, true] {
                    let got = op.run(&planes(&x, in_pad), out_pad, parallel);
                    assert_eq!((got.h, got.w, got.pad), (h, w, out_pad));
                    assert_close(
                        &format!("1×1 {c_in}→{c_out} {h}×{w} {name} pad {in_pad}/{out_pad}"),
                        &got.to_chw(),
                        &values(want.clone()),
                    );
                    if out_pad == 1 {
                        assert_border_is_zero(&got);
                    }
                }
            }
        }
    }
}

fn assert_border_is_zero(p: &Planes) {
    for b in 0..p.blocks {
        let plane = p.plane(b);
        for y in 0..p.h + 2 * p.pad {
            for x in 0..p.w + 2 * p.pad {
                let inside = (p.pad..p.h + p.pad).contains(&y) && (p.pad..p.w + p.pad).contains(&x);
                if !inside {
                    assert_eq!(plane[y * p.stride() + x], [0.0; 8], "border pixel ({y}, {x})");
                }
            }
        }
    }
}

/// (channels, height, width, stride) of depthwise convolutions in YuNet and SFace.
const DEPTHWISE: [(usize, usize, usize, usize); 8] = [
    (16, 60, 40, 1),
    (64, 20, 15, 1),
    (16, 10, 10, 1),
    (64, 56, 56, 2),
    (128, 28, 28, 1),
    (512, 14, 14, 2),
    (512, 14, 14, 1),
    (1024, 7, 7, 1),
];

#[test]
fn depthwise_equals_burns_grouped_conv2d() {
    for (k, &(c, h, w, s)) in DEPTHWISE.iter().enumerate() {
        let seed = 100 + 10 * k as u64;
        let layer = conv(ConvSpec::depthwise(c).stride(s), seed);
        let x = random([1, c, h, w], seed + 2);
        let y = layer.forward(x.clone());
        let (p, act) = prelu(c, seed + 3);
        for (name, want, act) in [
            ("linear", y.clone(), Activation::Linear),
            ("relu", relu(y.clone()), Activation::relu(c)),
            ("prelu", p.forward(y.clone()), act),
        ] {
            let op = cpu_depthwise(&layer, act);
            for parallel in [false, true] {
                let got = op.run(&planes(&x, 1), 0, parallel);
                let [_, _, oh, ow] = want.dims();
                assert_eq!((got.h, got.w), (oh, ow));
                assert_close(
                    &format!("depthwise {c} {h}×{w} /{s} {name}"),
                    &got.to_chw(),
                    &values(want.clone()),
                );
            }
        }
    }
}

/// The image as the first layers read it: `[h + 2][w + 2][3]` with a zero border.
fn bordered(x: &Tensor<4>) -> Vec<f32> {
    let [_, c, h, w] = x.dims();
    let v = values(x.clone());
    let mut out = vec![0.0; (h + 2) * (w + 2) * 3];
    for ch in 0..c {
        for y in 0..h {
            for xx in 0..w {
                out[((y + 1) * (w + 2) + xx + 1) * 3 + ch] = v[(ch * h + y) * w + xx];
            }
        }
    }
    out
}

#[test]
fn first_layers_equal_burns_conv2d() {
    // YuNet's stem (stride 2, ReLU) on an odd-sized image, SFace's conv_1 (stride 1, PReLU).
    for (c_out, h, w, stride, seed) in [(16, 48, 64, 2, 200), (16, 37, 51, 2, 210), (32, 112, 112, 1, 220)] {
        let layer = conv(ConvSpec::new(3, c_out, 3).stride(stride), seed);
        let x = random([1, 3, h, w], seed + 2).mul_scalar(128.0);
        let y = layer.forward(x.clone());
        let (p, prelu_act) = prelu(c_out, seed + 3);
        let (want, act) =
            if stride == 2 { (relu(y), Activation::relu(c_out)) } else { (p.forward(y), prelu_act) };
        let op = ImageConv::new(&host(&layer.weight), &host(layer.bias.as_ref().unwrap()), act, stride);
        for (pad, parallel) in [(0, false), (1, true)] {
            let got = op.run(&bordered(&x), h, w, pad, parallel);
            let [_, _, oh, ow] = want.dims();
            assert_eq!((got.h, got.w), (oh, ow));
            assert_close(&format!("3×3 3→{c_out} {h}×{w} /{stride}"), &got.to_chw(), &values(want.clone()));
        }
    }
}

#[test]
fn max_pooling_equals_burns() {
    let x = random([1, 32, 24, 40], 300);
    let want = MaxPool2dConfig::new([2, 2]).with_strides([2, 2]).init().forward(x.clone());
    for parallel in [false, true] {
        let got = ops::max_pool2(&planes(&x, 0), 0, parallel);
        assert_eq!(got.to_chw(), values(want.clone()));
    }
}

#[test]
fn upsampling_and_adding_equals_burns() {
    let a = random([1, 64, 20, 30], 310);
    let b = random([1, 64, 10, 15], 311);
    let up =
        interpolate(b.clone(), InterpolateOptions::new(InterpolateMode::Nearest).with_output_size([20, 30]));
    let want = a.clone() + up;
    for parallel in [false, true] {
        let got = ops::upsample2_add(&planes(&a, 0), &planes(&b, 0), 0, parallel);
        assert_eq!(got.to_chw(), values(want.clone()));
    }
}

#[test]
fn linear_equals_burns() {
    // SFace's 50176→128 over 1, 6 and 13 faces (a tile of six and a partial one), and a
    // narrow one over several input blocks.
    for (inputs, outputs, rows, seed) in [(50176, 128, 1, 400), (50176, 128, 13, 410), (1100, 32, 6, 420)] {
        let w = values(random([1, 1, inputs, outputs], seed)).into_iter().map(|v| v / (inputs as f32).sqrt());
        let w: Vec<f32> = w.collect();
        let bias = values(random([1, 1, 1, outputs], seed + 1));
        let layer = burn::nn::Linear {
            weight: Param::from_data(TensorData::new(w.clone(), [inputs, outputs]), &device()),
            bias: Some(param1(bias.clone(), &device())),
        };
        let x = values(random([1, 1, rows, inputs], seed + 2));
        let want =
            layer.forward(Tensor::<2>::from_data(TensorData::new(x.clone(), [rows, inputs]), &device()));
        let mut w_out_in = vec![0.0; w.len()];
        for i in 0..inputs {
            for o in 0..outputs {
                w_out_in[o * inputs + i] = w[i * outputs + o];
            }
        }
        let op = Linear::new(&w_out_in, outputs, inputs, &bias);
        for parallel in [false, true] {
            assert_close(
                &format!("linear {inputs}→{outputs} × {rows}"),
                &op.run(&x, rows, parallel),
                &values(want.clone()),
            );
        }
    }
}

/// The portable copy of the two main kernels (what a CPU without AVX2 and FMA runs) computes
/// what the vectorised one does.
#[test]
fn portable_kernels_equal_the_fused_multiply_add_ones() {
    let x = planes(&random([1, 64, 14, 14], 500), 1);
    let layer = conv(ConvSpec::new(64, 32, 1), 501);
    let w = kernels::Packed::from_out_in(&host(&layer.weight), 32, 64);
    let bias = kernels::blocks_of(&host(layer.bias.as_ref().unwrap()));
    let act = Activation::relu(32);
    let run_pointwise = |fma: bool| {
        let mut out = Planes::zeros(32, 14, 14, 1);
        let geo = OutGeometry::of(&out);
        let mut band = kernels::Band { y0: 0, y1: 14, blocks: out_blocks(&mut out) };
        if fma {
            kernels::pointwise::<true>(&x, &w, &bias, &act, geo, &mut band);
        } else {
            kernels::pointwise::<false>(&x, &w, &bias, &act, geo, &mut band);
        }
        out
    };
    assert_close("pointwise, portable", &run_pointwise(false).to_chw(), &run_pointwise(true).to_chw());

    let dw = conv(ConvSpec::depthwise(64), 502);
    let wd: Vec<[kernels::Px; 9]> = {
        let v = host(&dw.weight);
        (0..8).map(|b| std::array::from_fn(|t| std::array::from_fn(|l| v[(b * 8 + l) * 9 + t]))).collect()
    };
    let bias = kernels::blocks_of(&host(dw.bias.as_ref().unwrap()));
    let run_depthwise = |fma: bool| {
        let mut out = Planes::zeros(64, 7, 7, 0);
        let geo = OutGeometry::of(&out);
        let mut band = kernels::Band { y0: 0, y1: 7, blocks: out_blocks(&mut out) };
        if fma {
            kernels::depthwise::<true>(&x, 2, &wd, &bias, &act_linear(), geo, &mut band);
        } else {
            kernels::depthwise::<false>(&x, 2, &wd, &bias, &act_linear(), geo, &mut band);
        }
        out
    };
    assert_close("depthwise, portable", &run_depthwise(false).to_chw(), &run_depthwise(true).to_chw());
}

fn act_linear() -> Activation {
    Activation::Linear
}

/// The whole of `out` as one band's block slices (interior rows, borders included).
fn out_blocks(out: &mut Planes) -> Vec<&mut [kernels::Px]> {
    let (h, stride, pad, plane_len) = (out.h, out.stride(), out.pad, out.plane_len());
    out.data.chunks_exact_mut(plane_len).map(|p| &mut p[pad * stride..(pad + h) * stride]).collect()
}

/// Time of each kernel against burn's layer at the shapes of a 640×480 detection and of one
/// face, best of several runs (the minimum is the least disturbed by other work on the
/// machine). Prints; asserts nothing. `cargo test --workspace -- --ignored kernel_times --nocapture`.
#[test]
#[ignore = "a measurement"]
fn kernel_times() {
    fn best(mut f: impl FnMut()) -> f64 {
        f();
        (0..7)
            .map(|_| {
                let t = std::time::Instant::now();
                f();
                t.elapsed().as_secs_f64() * 1e3
            })
            .fold(f64::INFINITY, f64::min)
    }
    let report = |what: &str, macs: f64, ours: f64, burn: f64| {
        println!(
            "{what:<34} {:>7.3} ms ({:>5.1} GMAC/s)   burn {:>7.3} ms ({:>5.1} GMAC/s)",
            ours,
            macs / ours / 1e6,
            burn,
            macs / burn / 1e6
        );
    };
    for &(c_in, c_out, h, w) in &[
        (16, 16, 240, 320),
        (16, 32, 120, 160),
        (64, 64, 60, 80),
        (64, 64, 15, 20),
        (32, 64, 112, 112),
        (128, 128, 56, 56),
        (512, 512, 14, 14),
        (1024, 1024, 7, 7),
    ] {
        let layer = conv(ConvSpec::new(c_in, c_out, 1), 1);
        let x = random([1, c_in, h, w], 2);
        let p = planes(&x, 0);
        let op = cpu_pointwise(&layer, Activation::Linear);
        let ours = best(|| drop(op.run(&p, 1, false)));
        let burn = best(|| drop(values(layer.forward(x.clone()))));
        report(&format!("1×1 {c_in}→{c_out} {h}×{w}"), (c_in * c_out * h * w) as f64, ours, burn);
    }
    for &(c, h, w, s) in &[
        (16, 240, 320, 1),
        (64, 60, 80, 1),
        (32, 112, 112, 1),
        (64, 112, 112, 2),
        (512, 14, 14, 1),
        (1024, 7, 7, 1),
    ] {
        let layer = conv(ConvSpec::depthwise(c).stride(s), 1);
        let x = random([1, c, h, w], 2);
        let p = planes(&x, 1);
        let op = cpu_depthwise(&layer, Activation::relu(c));
        let ours = best(|| drop(op.run(&p, 0, false)));
        let burn = best(|| drop(values(relu(layer.forward(x.clone())))));
        report(&format!("depthwise {c} {h}×{w} /{s}"), (9 * c * h * w / s / s) as f64, ours, burn);
    }
    for &(c_out, h, w, s) in &[(16, 480, 640, 2), (32, 112, 112, 1)] {
        let layer = conv(ConvSpec::new(3, c_out, 3).stride(s), 1);
        let x = random([1, 3, h, w], 2);
        let img = bordered(&x);
        let op = ImageConv::new(
            &host(&layer.weight),
            &host(layer.bias.as_ref().unwrap()),
            Activation::relu(c_out),
            s,
        );
        let ours = best(|| drop(op.run(&img, h, w, 0, false)));
        let burn = best(|| drop(values(relu(layer.forward(x.clone())))));
        report(&format!("3×3 3→{c_out} {h}×{w} /{s}"), (27 * c_out * h * w / s / s) as f64, ours, burn);
    }
    let x = random([1, 16, 240, 320], 3);
    let p = planes(&x, 0);
    let pool = MaxPool2dConfig::new([2, 2]).with_strides([2, 2]).init();
    report(
        "max pool 16 240×320",
        0.0,
        best(|| drop(ops::max_pool2(&p, 0, false))),
        best(|| drop(values(pool.forward(x.clone())))),
    );
}
