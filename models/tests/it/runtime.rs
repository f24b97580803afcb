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

/// On wgpu, detections requested from several threads at once are batched and give what each
/// gives alone. Opt-in, as above.
#[test]
fn concurrent_detections_on_wgpu_equal_single_ones() {
    if !support::gpu_tests_enabled() {
        eprintln!("concurrent_detections_on_wgpu_equal_single_ones: set KINDRED_GPU_TESTS=1 to run");
        return;
    }
    let gpu = Runtime::new(DevicePreference::Gpu).expect("KINDRED_GPU_TESTS=1 needs a wgpu adapter");
    let Some((det, _)) = support::networks("concurrent_detections_on_wgpu_equal_single_ones", &gpu) else {
        return;
    };
    let photo = image::open(support::repo_root().join("assets/photos/curie-portrait.jpg")).unwrap().to_rgb8();
    let images: Vec<_> = [(256, 192), (240, 180), (256, 200), (192, 256)]
        .iter()
        .map(|&(w, h)| image::imageops::resize(&photo, w, h, image::imageops::FilterType::Triangle))
        .collect();
    let alone: Vec<_> = images.iter().map(|i| det.detect(i, 0.5, 0.3)).collect();
    let together: Vec<_> = std::thread::scope(|scope| {
        let handles: Vec<_> = images.iter().map(|i| scope.spawn(|| det.detect(i, 0.5, 0.3))).collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for (a, t) in alone.iter().zip(&together) {
        assert_eq!(a.len(), t.len(), "{a:?}\n{t:?}");
        for (x, y) in a.iter().zip(t) {
            assert!((x.score - y.score).abs() < 1e-4 && (x.x - y.x).abs() < 0.05, "{x:?} vs {y:?}");
        }
    }
}
