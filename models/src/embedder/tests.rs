use std::sync::OnceLock;

use image::{Rgb, RgbImage};

use super::*;
use crate::onnx::write::DataW;
use crate::testing::{self, Act, Builder, cosine};

/// One random-weight SFace file for all tests: building it quantises 6.4 M weights.
fn random_sface() -> &'static (Vec<u8>, Builder) {
    static FILE: OnceLock<(Vec<u8>, Builder)> = OnceLock::new();
    FILE.get_or_init(|| {
        let b = testing::sface(11);
        (b.w.finish(), b)
    })
}

fn face(seed: u32) -> RgbImage {
    RgbImage::from_fn(112, 112, |x, y| {
        let v = (x * 13 + y * 7 + seed * 29) ^ (x * y / 5);
        Rgb([(v % 256) as u8, ((v / 2 + 40) % 256) as u8, ((v * 3) % 256) as u8])
    })
}

fn embedder() -> Embedder {
    Embedder::from_onnx(&random_sface().0, &Runtime::cpu()).unwrap()
}

#[test]
fn random_weights_match_a_plain_loop_reference() {
    let (_, b) = random_sface();
    let img = face(1);
    let want = testing::sface_reference(
        b,
        &Act { c: 3, h: 112, w: 112, data: rgb_planes(std::slice::from_ref(&img)) },
    );
    let got = embedder().embed(&[img]);
    let c = cosine(&got[0], &want);
    assert!(c > 0.99999, "cosine {c}");
}

#[test]
fn the_norm_before_normalising_is_the_raw_output_norm() {
    let (_, b) = random_sface();
    let faces = [face(4), face(5)];
    let measured = embedder().embed_with_norms(&faces);
    let plain = embedder().embed(&faces);
    for ((face, got), vector) in faces.iter().zip(&measured).zip(&plain) {
        let want = testing::sface_reference(
            b,
            &Act { c: 3, h: 112, w: 112, data: rgb_planes(std::slice::from_ref(face)) },
        );
        let want_norm = want.iter().map(|x| x * x).sum::<f32>().sqrt();
        assert!((got.norm - want_norm).abs() <= 1e-3 * want_norm, "{} vs {want_norm}", got.norm);
        assert_eq!(&got.vector, vector, "the same unit vector as embed");
    }
}

#[test]
fn folding_batchnorm_keeps_the_function() {
    let rt = Runtime::cpu();
    let mut constants = Constants::from_onnx(&random_sface().0).unwrap();
    let net = SFace::load(&mut constants, &rt.device).unwrap();
    constants.finish().unwrap();
    let input = Tensor::<4>::from_data(
        TensorData::new(rgb_planes(&[face(2), face(3)]), [2, 3, 112, 112]),
        &rt.device,
    );
    let plain = net.forward(input.clone());
    let fused = net.fuse().forward(input);
    assert_eq!(plain.dims(), [2, EMBEDDING_DIM]);
    assert_eq!(fused.dims(), [2, EMBEDDING_DIM]);
    let plain = plain.into_data().try_into_vec::<f32>().unwrap();
    let fused = fused.into_data().try_into_vec::<f32>().unwrap();
    let scale = plain.iter().fold(0f32, |m, v| m.max(v.abs()));
    for (p, f) in plain.iter().zip(&fused) {
        assert!((p - f).abs() <= 1e-4 * scale, "{p} vs {f}");
    }
}

#[test]
fn embeddings_are_unit_vectors_and_independent_of_batching() {
    let e = embedder();
    // Several full batches and a partial one.
    let faces: Vec<RgbImage> = (0..(2 * CPU_BATCH + 1) as u32).map(face).collect();
    let all = e.embed(&faces);
    assert_eq!(all.len(), faces.len());
    for v in &all {
        let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        assert!((norm - 1.0).abs() < 1e-5, "norm {norm}");
    }
    for i in [0, CPU_BATCH - 1, 2 * CPU_BATCH] {
        let alone = e.embed(&faces[i..=i]);
        let c = cosine(&alone[0], &all[i]);
        assert!(c > 0.99999, "face {i}: cosine {c}");
    }
    assert!(e.embed(&[]).is_empty());
}

#[test]
fn other_crop_sizes_are_resized() {
    let e = embedder();
    let big = image::imageops::resize(&face(4), 224, 224, FilterType::Triangle);
    let v = e.embed(&[big]);
    assert_eq!(v.len(), 1);
    let c = cosine(&v[0], &e.embed(&[face(4)])[0]);
    assert!(c > 0.9, "cosine {c}");
}

#[test]
fn wrong_input_scaling_is_rejected() {
    let mut b = testing::sface(12);
    b.w.tensor("scalar_op3", &[1], DataW::F32Raw(vec![1.0]));
    b.w.node("Sub", "second_sub", &["m", "scalar_op3"], &["n"], &[]);
    let err = Embedder::from_onnx(&b.w.finish(), &Runtime::cpu()).unwrap_err();
    assert!(err.to_string().contains("input scaling constant 127.5"), "{err}");
}

#[test]
fn missing_and_misshapen_tensors_are_rejected() {
    let rt = Runtime::cpu();
    let mut b = Builder::new(13);
    b.packed("fc1_gamma", &[64], 1.0, 0.1);
    match Embedder::from_onnx(&b.w.finish(), &rt) {
        Err(ModelError::ShapeMismatch { name, .. }) => assert_eq!(name, "fc1_gamma"),
        other => panic!("expected ShapeMismatch, got {:?}", other.err()),
    }
    let b = Builder::new(14);
    match Embedder::from_onnx(&b.w.finish(), &rt) {
        Err(ModelError::MissingTensors { names }) => {
            // conv_1 and 26 block layers with 6 tensors each, bn1 and fc1 with 4, pre_fc1 2.
            assert_eq!(names.len(), 27 * 6 + 4 + 2 + 4, "{names:?}");
            assert!(names.contains(&"pre_fc1_weight".to_string()));
        }
        other => panic!("expected MissingTensors, got {:?}", other.err()),
    }
}

#[test]
fn embedder_is_send_and_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Embedder>();
}

#[test]
fn cpu_kernels_compute_what_burns_module_computes() {
    let rt = Runtime::cpu();
    let mut constants = Constants::from_onnx(&random_sface().0).unwrap();
    let net = SFace::load(&mut constants, &rt.device).unwrap().fuse();
    let faces = [face(5), face(6), face(7)];
    let input = Tensor::<4>::from_data(TensorData::new(rgb_planes(&faces), [3, 3, 112, 112]), &rt.device);
    let burn = net.forward(input).into_data().try_into_vec::<f32>().unwrap();
    let inputs: Vec<Vec<f32>> = faces.iter().map(|f| cpu::rgb_bordered(f, SFace::normalise)).collect();
    let ours = net.to_cpu().forward(&inputs);
    assert_eq!(ours.len(), burn.len());
    let scale = burn.iter().fold(0f32, |m, v| m.max(v.abs()));
    assert!(scale > 0.1, "degenerate output {scale}");
    for (i, (a, b)) in ours.iter().zip(&burn).enumerate() {
        assert!((a - b).abs() <= 1e-4 * scale, "output {i}: kernels {a}, burn {b}");
    }
}
