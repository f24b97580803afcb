use kindred_models::{ComputeKind, DevicePreference, ModelError, Runtime};

use crate::support::{self, cosine};

#[test]
fn cpu_runtime_is_flex() {
    let info = Runtime::new(DevicePreference::Cpu).unwrap().info();
    assert_eq!(info.kind, ComputeKind::Cpu);
    assert_eq!(info.backend, "flex");
    assert_eq!(info.adapter, "cpu");
}

#[test]
fn auto_never_picks_a_software_adapter() {
    let info = Runtime::new(DevicePreference::Auto).unwrap().info();
    match info.backend.as_str() {
        "wgpu" => assert_eq!(info.kind, ComputeKind::Gpu, "{info:?}"),
        "flex" => assert_eq!(info.kind, ComputeKind::Cpu, "{info:?}"),
        other => panic!("unexpected backend {other}"),
    }
}

#[test]
fn gpu_preference_opens_wgpu_or_says_why_not() {
    match Runtime::new(DevicePreference::Gpu) {
        Ok(rt) => {
            let info = rt.info();
            assert_eq!(info.backend, "wgpu");
            assert!(!info.adapter.is_empty(), "{info:?}");
            // A second runtime reuses the device burn has already initialised.
            assert_eq!(Runtime::new(DevicePreference::Gpu).unwrap().info(), info);
        }
        Err(e @ ModelError::NoGpuAdapter { .. }) => {
            assert!(e.to_string().starts_with("no GPU adapter could be opened"), "{e}");
        }
        Err(other) => panic!("unexpected error {other}"),
    }
}

/// The wgpu backend computes what flex computes. Opt-in: on a software adapter this takes
/// a while, and CI may have no adapter at all.
#[test]
fn wgpu_agrees_with_cpu() {
    if !support::gpu_tests_enabled() {
        eprintln!("wgpu_agrees_with_cpu: set KINDRED_GPU_TESTS=1 to run");
        return;
    }
    let gpu = Runtime::new(DevicePreference::Gpu).expect("KINDRED_GPU_TESTS=1 needs a wgpu adapter");
    eprintln!("wgpu adapter: {:?}", gpu.info());
    let Some((det_gpu, emb_gpu)) = support::networks("wgpu_agrees_with_cpu", &gpu) else {
        return;
    };
    let (det_cpu, emb_cpu) = support::networks("wgpu_agrees_with_cpu", &Runtime::cpu()).unwrap();
    let photo =
        image::open(support::repo_root().join("assets/photos/obama-official-2012.jpg")).unwrap().to_rgb8();
    let small = image::imageops::resize(&photo, 256, 320, image::imageops::FilterType::Triangle);
    let a = det_cpu.detect(&small, 0.5, 0.3);
    let b = det_gpu.detect(&small, 0.5, 0.3);
    assert_eq!(a.len(), b.len(), "cpu {a:?}\ngpu {b:?}");
    for (x, y) in a.iter().zip(&b) {
        assert!((x.score - y.score).abs() < 1e-3, "{x:?} vs {y:?}");
        assert!((x.x - y.x).abs() < 0.1 && (x.y - y.y).abs() < 0.1, "{x:?} vs {y:?}");
    }
    let crops: Vec<_> = a.iter().map(|d| kindred_models::align::align_face(&small, &d.landmarks)).collect();
    for (x, y) in emb_cpu.embed(&crops).iter().zip(emb_gpu.embed(&crops)) {
        let c = cosine(x, &y);
        assert!(c > 0.9999, "cosine {c}");
    }
}
