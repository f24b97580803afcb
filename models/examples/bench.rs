//! Rough throughput of the detector, the alignment and the embedder.
//!
//! ```text
//! bench [cpu|gpu|auto] [seconds per measurement]
//! bench [cpu|gpu|auto] --count detect|embed N
//! ```
//!
//! The second form runs exactly N detections of the 640×480 image (or N embeddings of batches
//! of 8 faces) and nothing else timed, for instruction counts (`valgrind --tool=callgrind`) or
//! CPU time (`perf stat -e task-clock`) that do not depend on what else the machine runs.
//! `KINDRED_CPU_KERNELS=burn` measures burn's flex backend instead of the CPU kernels.
//!
//! Build with `cargo build --workspace --examples`; needs the pinned weights in
//! `models/weights/` (see `scripts/fetch-models`).

use std::path::Path;
use std::time::{Duration, Instant};

use image::imageops::FilterType;
use kindred_models::{Detector, DevicePreference, Embedder, Runtime, align, weights};

/// Runs `f` repeatedly for about `budget` after one warm-up call; returns calls per second.
fn rate(budget: Duration, mut f: impl FnMut()) -> f64 {
    f();
    let start = Instant::now();
    let mut n = 0u32;
    while start.elapsed() < budget || n < 2 {
        f();
        n += 1;
    }
    f64::from(n) / start.elapsed().as_secs_f64()
}

fn main() {
    let mut args = std::env::args().skip(1);
    let pref = match args.next().as_deref() {
        None | Some("cpu") => DevicePreference::Cpu,
        Some("gpu") => DevicePreference::Gpu,
        Some("auto") => DevicePreference::Auto,
        Some(other) => panic!("unknown device {other}: cpu, gpu or auto"),
    };
    let next = args.next();
    let count = if next.as_deref() == Some("--count") {
        let what = args.next().expect("detect or embed");
        Some((what, args.next().and_then(|n| n.parse::<usize>().ok()).expect("a count")))
    } else {
        None
    };
    let budget = Duration::from_secs_f64(
        next.filter(|_| count.is_none()).map_or(5.0, |s| s.parse().expect("seconds")),
    );
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let rt = Runtime::new(pref).expect("runtime");
    println!("device: {:?}", rt.info());
    println!("threads: {}", std::thread::available_parallelism().map_or(1, |n| n.get()));

    let t = Instant::now();
    let detector = Detector::from_onnx(
        &weights::verify(root.join("weights").join(weights::YUNET_FILE)).expect("YuNet weights"),
        &rt,
    )
    .expect("YuNet loads");
    let embedder = Embedder::from_onnx(
        &weights::verify(root.join("weights").join(weights::SFACE_FILE)).expect("SFace weights"),
        &rt,
    )
    .expect("SFace loads");
    println!("load both networks: {:.0} ms", t.elapsed().as_secs_f64() * 1e3);

    let photo = image::open(root.join("../assets/photos/solvay-1927.jpg")).expect("sample photo").to_rgb8();
    let img = image::imageops::resize(&photo, 640, 480, FilterType::Triangle);
    let faces = detector.detect(&img, 0.6, 0.3);
    println!("faces in the 640×480 test image: {}", faces.len());
    if let Some((what, n)) = count {
        let crops: Vec<_> =
            faces.iter().cycle().take(8).map(|f| align::align_face(&img, &f.landmarks)).collect();
        let started = Instant::now();
        for _ in 0..n {
            match what.as_str() {
                "detect" => drop(detector.detect(&img, 0.6, 0.3)),
                "embed" => drop(embedder.embed(&crops)),
                other => panic!("--count {other}: detect or embed"),
            }
        }
        println!(
            "{n} × {what}: {:.1} ms each (wall clock)",
            1e3 * started.elapsed().as_secs_f64() / n as f64
        );
        return;
    }

    let r = rate(budget, || {
        detector.detect(&img, 0.6, 0.3);
    });
    println!("detect 640×480: {r:.1} images/s ({:.1} ms each)", 1e3 / r);
    let batch = [&img, &img, &img, &img];
    let r = rate(budget, || {
        detector.detect_batch(&batch, 0.6, 0.3);
    });
    println!("detect_batch 4 × 640×480: {:.1} images/s ({:.1} ms each)", 4.0 * r, 1e3 / (4.0 * r));

    let mut crops: Vec<_> =
        faces.iter().cycle().take(32).map(|f| align::align_face(&img, &f.landmarks)).collect();
    // The embedder's cost does not depend on the content: any crop will do.
    crops.resize_with(32, || image::imageops::resize(&img, 112, 112, FilterType::Triangle));
    let r = rate(budget, || {
        for f in &faces {
            align::align_face(&img, &f.landmarks);
        }
    });
    println!("align: {:.0} crops/s", r * faces.len() as f64);
    for n in [1, 2, 4, 8, 16, 32] {
        let r = rate(budget, || {
            embedder.embed(&crops[..n]);
        });
        println!("embed batch {n:2}: {:.1} faces/s ({:.1} ms per face)", r * n as f64, 1e3 / (r * n as f64));
    }
}
