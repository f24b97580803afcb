use image::{Rgb, RgbImage};

use super::decode::{Level, decode, nms};
use super::*;
use crate::onnx::write::{AttrW, DataW};
use crate::testing::{self, Act};

fn det(x: f32, y: f32, w: f32, h: f32, score: f32) -> Detection {
    Detection { x, y, w, h, score, landmarks: [[0.0; 2]; 5] }
}

/// Head outputs for a 64×64 input (levels 8×8, 4×4, 2×2) with every logit very negative.
fn empty_heads() -> (Vec<f32>, [Level; 3], usize) {
    let levels = Level::for_input(64, 64);
    let total = levels.iter().map(Level::cells).sum::<usize>();
    (vec![-20.0; 16 * total], levels, total)
}

fn logit(p: f32) -> f32 {
    (p / (1.0 - p)).ln()
}

#[test]
fn levels_of_an_input() {
    let l = Level::for_input(640, 480);
    assert_eq!(l.map(|l| (l.stride, l.rows, l.cols)), [(8, 60, 80), (16, 30, 40), (32, 15, 20)]);
}

#[test]
fn decodes_one_cell_exactly() {
    let (mut out, levels, total) = empty_heads();
    // Level 0 (stride 8), row 2, column 3.
    let idx = 2 * 8 + 3;
    let set = |out: &mut Vec<f32>, ch: usize, v: f32| out[ch * total + idx] = v;
    set(&mut out, 0, logit(0.81));
    set(&mut out, 1, logit(0.64));
    set(&mut out, 2, 0.5);
    set(&mut out, 3, 0.25);
    set(&mut out, 4, 2f32.ln());
    set(&mut out, 5, 3f32.ln());
    for n in 0..5 {
        set(&mut out, 6 + 2 * n, 0.1 * n as f32);
        set(&mut out, 7 + 2 * n, -0.5);
    }
    let faces = decode(&out, &levels, 0.5);
    assert_eq!(faces.len(), 1);
    let f = faces[0];
    // score = √(0.81 · 0.64) = 0.72
    assert!((f.score - 0.72).abs() < 1e-5, "{f:?}");
    // centre ((3 + 0.5)·8, (2 + 0.25)·8) = (28, 18), size (2·8, 3·8) = (16, 24)
    let close = |a: f32, b: f32| (a - b).abs() < 1e-4;
    assert!(close(f.x, 20.0) && close(f.y, 6.0), "{f:?}");
    assert!(close(f.w, 16.0) && close(f.h, 24.0), "{f:?}");
    for n in 0..5 {
        assert!(close(f.landmarks[n][0], (0.1 * n as f32 + 3.0) * 8.0), "{f:?}");
        assert!(close(f.landmarks[n][1], (2.0 - 0.5) * 8.0), "{f:?}");
    }
}

#[test]
fn cells_of_coarser_levels_use_their_stride_and_offset() {
    let (mut out, levels, total) = empty_heads();
    // Level 2 (stride 32, 2×2 grid) starts after 64 + 16 cells; row 1, column 0.
    let idx = 64 + 16 + 2;
    out[idx] = 10.0;
    out[total + idx] = 10.0;
    for ch in 2..16 {
        out[ch * total + idx] = 0.0;
    }
    let faces = decode(&out, &levels, 0.9);
    assert_eq!(faces.len(), 1);
    let f = faces[0];
    // Centre (0·32, 1·32), size 32×32.
    assert_eq!((f.x, f.y, f.w, f.h), (-16.0, 16.0, 32.0, 32.0));
    assert_eq!(f.landmarks[4], [0.0, 32.0]);
}

#[test]
fn threshold_is_inclusive_and_probabilities_are_clamped() {
    let (mut out, levels, total) = empty_heads();
    out[5] = 0.0; // σ = 0.5
    out[total + 5] = 0.0;
    assert_eq!(decode(&out, &levels, 0.5).len(), 1);
    assert_eq!(decode(&out, &levels, 0.5001).len(), 0);
    // Saturated logits give σ = 1 exactly, and a score of 1, not more.
    out[5] = 100.0;
    out[total + 5] = 100.0;
    assert_eq!(decode(&out, &levels, 0.5)[0].score, 1.0);
    // NaN outputs never become faces (the other cells score about 2e-9).
    out[5] = f32::NAN;
    assert!(decode(&out, &levels, 1e-6).is_empty());
}

#[test]
fn nms_keeps_the_best_of_overlapping_boxes() {
    let faces = vec![
        det(10.0, 10.0, 100.0, 100.0, 0.8),
        det(12.0, 12.0, 100.0, 100.0, 0.9),
        det(300.0, 300.0, 50.0, 50.0, 0.7),
    ];
    let kept = nms(faces, 0.3);
    assert_eq!(kept.len(), 2);
    assert_eq!(kept[0].score, 0.9);
    assert_eq!(kept[1].score, 0.7);
}

#[test]
fn nms_threshold_is_inclusive_on_truncated_boxes() {
    // Integer boxes 0..10 and 5..15 on x, same rows: IoU = 50 / 150 = 1/3.
    let a = det(0.9, 0.0, 10.9, 10.0, 0.9);
    let b = det(5.0, 0.0, 10.0, 10.0, 0.8);
    assert_eq!(nms(vec![a, b], 0.34).len(), 2);
    assert_eq!(nms(vec![a, b], 0.33).len(), 1);
    // Truncation: x 0.9 → 0, w 10.9 → 10, so the first box is 0..10, not 0.9..11.8.
}

#[test]
fn nms_ties_keep_decoding_order() {
    let a = det(0.0, 0.0, 10.0, 10.0, 0.5);
    let b = det(1.0, 1.0, 10.0, 10.0, 0.5);
    let kept = nms(vec![a, b], 0.3);
    assert_eq!(kept, vec![a]);
    let kept = nms(vec![b, a], 0.3);
    assert_eq!(kept, vec![b]);
}

#[test]
fn nms_treats_two_empty_boxes_as_overlapping() {
    // As cv::jaccardDistance does: zero areas count as identical boxes.
    let a = det(0.0, 0.0, 0.5, 0.5, 0.9);
    let b = det(100.0, 100.0, 0.5, 0.5, 0.8);
    assert_eq!(nms(vec![a, b], 0.3).len(), 1);
}

#[test]
fn pads_to_multiples_of_32() {
    assert_eq!(pad32(1), 32);
    assert_eq!(pad32(32), 32);
    assert_eq!(pad32(33), 64);
    assert_eq!(pad32(480), 480);
}

/// The network input as one BGR image per batch entry, for the plain-loop reference:
/// reassembled from the phases, so it also checks their layout.
fn bgr_planes(images: &[&RgbImage], pw: usize, ph: usize) -> Vec<f32> {
    let phases = bgr_phases(images, pw, ph);
    let (hw, hh) = (pw / 2, ph / 2);
    let mut out = vec![0.0; images.len() * 3 * pw * ph];
    for n in 0..images.len() {
        for c in 0..3 {
            for y in 0..ph {
                for x in 0..pw {
                    let p = &phases[(y % 2) * 2 + x % 2];
                    out[((n * 3 + c) * ph + y) * pw + x] = p[((n * 3 + c) * hh + y / 2) * hw + x / 2];
                }
            }
        }
    }
    out
}

#[test]
fn input_phases_are_bgr_and_zero_padded() {
    let a = RgbImage::from_fn(3, 1, |x, _| Rgb([10 + x as u8, 20, 30]));
    let b = RgbImage::from_pixel(1, 2, Rgb([1, 2, 3]));
    let phases = bgr_phases(&[&a, &b], 4, 2);
    // Planes of 2×1; per image B, G, R.
    // Image a, row 0: pixels x = 0, 2 in phase (0, 0), x = 1 in phase (0, 1).
    assert_eq!(&phases[0][..6], &[30.0, 30.0, 20.0, 20.0, 10.0, 12.0]);
    assert_eq!(&phases[1][..6], &[30.0, 0.0, 20.0, 0.0, 11.0, 0.0]);
    // Image b: (0, 0) in phase (0, 0), (0, 1) in phase (1, 0).
    assert_eq!(&phases[0][6..], &[3.0, 0.0, 2.0, 0.0, 1.0, 0.0]);
    assert_eq!(&phases[2][6..], &[3.0, 0.0, 2.0, 0.0, 1.0, 0.0]);
    assert!(phases[3].iter().all(|&v| v == 0.0));
    let full = bgr_planes(&[&a, &b], 4, 2);
    assert_eq!(&full[..8], &[30.0, 30.0, 30.0, 0.0, 0.0, 0.0, 0.0, 0.0]);
}

fn test_image(w: u32, h: u32, seed: u32) -> RgbImage {
    RgbImage::from_fn(w, h, |x, y| {
        let v = (x * 31 + y * 17 + seed * 7) ^ (x * y);
        Rgb([(v % 256) as u8, ((v / 3) % 256) as u8, ((v * 5) % 256) as u8])
    })
}

fn image_act(img: &RgbImage, pw: usize, ph: usize) -> Act {
    Act { c: 3, h: ph, w: pw, data: bgr_planes(&[img], pw, ph) }
}

#[test]
fn random_weights_match_a_plain_loop_reference_in_burn_and_in_the_cpu_kernels() {
    let b = testing::yunet(1);
    let device = Device::flex();
    let mut constants = Constants::from_onnx(&b.w.finish()).unwrap();
    let net = YuNet::load(&mut constants, &device).unwrap();
    constants.finish().unwrap();
    let img = test_image(60, 40, 3);
    let (pw, ph) = (64, 64);
    let input = bgr_phases(&[&img], pw, ph)
        .map(|d| Tensor::<4>::from_data(TensorData::new(d, [1, 3, ph / 2, pw / 2]), &device));
    let out = net.forward(input);
    let total = 64 + 16 + 4;
    assert_eq!(out.dims(), [1, 16, total]);
    let burn = out.into_data().try_into_vec::<f32>().unwrap();
    let kernels = net.to_cpu().forward(&img, pw, ph, true);
    let want = testing::yunet_reference(&b, &image_act(&img, pw, ph));
    let scale = want.iter().flatten().fold(0f32, |m, v| m.max(v.abs()));
    assert!(scale > 0.1, "reference output is degenerate: {scale}");
    for (name, got) in [("burn", &burn), ("cpu kernels", &kernels)] {
        assert_eq!(got.len(), 16 * total, "{name}");
        for (ch, want) in want.iter().enumerate() {
            for (i, w) in want.iter().enumerate() {
                let g = got[ch * total + i];
                assert!(
                    (g - w).abs() <= 1e-4 * scale.max(1.0),
                    "channel {ch} cell {i}: {name} {g}, reference {w}"
                );
            }
        }
    }
}

#[test]
fn batch_gives_one_list_per_image_and_matches_single_images() {
    let b = testing::yunet(2);
    let detector = Detector::from_onnx(&b.w.finish(), &Runtime::cpu()).unwrap();
    let a = test_image(64, 32, 1);
    let c = test_image(64, 32, 2);
    // Random weights put faces anywhere: a threshold of 0 keeps every cell, NMS at IoU 1
    // keeps every box except exact duplicates.
    let batch = detector.detect_batch(&[&a, &c], 0.0, 1.0);
    assert_eq!(batch.len(), 2);
    assert_eq!(batch[0], detector.detect(&a, 0.0, 1.0));
    assert_eq!(batch[1], detector.detect(&c, 0.0, 1.0));
    assert!(!batch[0].is_empty());
    assert!(detector.detect_batch(&[], 0.5, 0.3).is_empty());
    let empty = RgbImage::new(0, 0);
    assert_eq!(detector.detect_batch(&[&empty], 0.5, 0.3), vec![Vec::new()]);
}

#[test]
fn odd_sizes_are_padded() {
    let b = testing::yunet(3);
    let detector = Detector::from_onnx(&b.w.finish(), &Runtime::cpu()).unwrap();
    let faces = detector.detect(&test_image(37, 70, 4), 0.0, 1.0);
    // 64×96 after padding: 8·12 + 4·6 + 2·3 = 126 cells, minus exact duplicates.
    assert!(!faces.is_empty() && faces.len() <= 126, "{}", faces.len());
}

#[test]
fn missing_surplus_and_misshapen_tensors_are_rejected() {
    let rt = Runtime::cpu();
    // Missing: a file with none of YuNet's tensors lists every one of them.
    let mut missing = testing::Builder::new(4);
    missing.w.tensor("x", &[1], DataW::F32Raw(vec![1.0]));
    match Detector::from_onnx(&missing.w.finish(), &rt) {
        Err(ModelError::MissingTensors { names }) => {
            assert!(names.contains(&"420".to_string()), "{names:?}");
            assert!(names.contains(&"bbox_head.multi_level_kps.2.conv2.bias".to_string()), "{names:?}");
            // One stem, 14 DP blocks, 3 levels × 4 branches, 2 tensors each.
            assert_eq!(names.len(), 2 + 14 * 4 + 3 * 4 * 4, "{names:?}");
        }
        other => panic!("expected MissingTensors, got {:?}", other.err()),
    }

    // Surplus: the full file plus one tensor nobody reads.
    let mut surplus = testing::yunet(4);
    surplus.w.tensor("extra.weight", &[2], DataW::F32Raw(vec![1.0, 2.0]));
    match Detector::from_onnx(&surplus.w.finish(), &rt) {
        Err(ModelError::UnusedTensors { names }) => assert_eq!(names, vec!["extra.weight"]),
        other => panic!("expected UnusedTensors, got {:?}", other.err()),
    }

    // Misshapen: the stem bias with 15 channels.
    let mut bad = testing::Builder::new(4);
    bad.raw("421", &[15], 0.0, 1.0);
    bad.quantized("420", &[16, 3, 3, 3], 27, 1.0);
    match Detector::from_onnx(&bad.w.finish(), &rt) {
        Err(ModelError::ShapeMismatch { name, expected, found }) => {
            assert_eq!(name, "421");
            assert_eq!((expected, found), (vec![16], vec![15]));
        }
        other => panic!("expected ShapeMismatch, got {:?}", other.err()),
    }
}

#[test]
fn upsampling_other_than_nearest_x2_is_rejected() {
    let mut b = testing::yunet(5);
    b.w.tensor("466", &[4], DataW::F32Raw(vec![1.0, 1.0, 3.0, 3.0]));
    b.w.node("Resize", "Resize_x3", &["a", "240", "466"], &["b"], &[("mode", AttrW::Str("nearest"))]);
    let err = Detector::from_onnx(&b.w.finish(), &Runtime::cpu()).unwrap_err();
    assert!(err.to_string().contains("nearest-neighbour ×2"), "{err}");
}

#[test]
fn detector_is_send_and_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Detector>();
}

#[test]
fn host_max_pool_equals_burns() {
    use burn::nn::pool::MaxPool2dConfig;
    use burn::tensor::Distribution;
    let device = burn::tensor::Device::flex();
    let x = Tensor::<4>::random([2, 3, 6, 8], Distribution::Uniform(-1.0, 1.0), &device);
    let ours = net::max_pool2_host(x.clone());
    let burns = MaxPool2dConfig::new([2, 2]).with_strides([2, 2]).init().forward(x);
    assert_eq!(ours.dims(), [2, 3, 3, 4]);
    assert_eq!(ours.into_data(), burns.into_data());
}

#[test]
fn the_batcher_gathers_concurrent_requests_and_returns_each_its_own_output() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let batcher = batcher::Batcher::default();
    let passes = AtomicUsize::new(0);
    let largest = AtomicUsize::new(0);
    let threads = 12;
    let barrier = std::sync::Barrier::new(threads);
    std::thread::scope(|scope| {
        for t in 0..threads {
            let (batcher, passes, largest, barrier) = (&batcher, &passes, &largest, &barrier);
            scope.spawn(move || {
                barrier.wait();
                // Two padded sizes: requests of different sizes never share a pass.
                let key = (32 * (1 + t % 2), 32);
                let out = batcher.run(key, vec![t as f32; 3], |inputs| {
                    passes.fetch_add(1, Ordering::SeqCst);
                    largest.fetch_max(inputs.len(), Ordering::SeqCst);
                    assert!(inputs.iter().all(|i| i[0] as usize % 2 == t % 2), "sizes mixed in one pass");
                    inputs.into_iter().map(|i| i.iter().map(|v| v * 10.0).collect()).collect()
                });
                assert_eq!(out, vec![10.0 * t as f32; 3]);
            });
        }
    });
    assert!(passes.load(Ordering::SeqCst) < threads, "no request was batched");
    assert!(largest.load(Ordering::SeqCst) <= batcher::MAX_BATCH + threads);
}
