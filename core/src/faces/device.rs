//! `auto`: the faster of the GPU and the CPU, measured.
//!
//! A GPU is not always faster: an integrated GPU, or a discrete one behind an old driver, can
//! run these small networks slower than the CPU's own kernels. So when a hardware GPU is there,
//! `auto` times a small batch on it and on the CPU, and keeps the faster. The result is kept in
//! the library's settings with the adapter it was measured on, and measured again when the
//! adapter (or its driver) changes.

use std::time::Instant;

use image::{Rgb, RgbImage};
use kindred_models::{Runtime, RuntimeInfo};

use super::{Device, FaceEngine};

/// What `auto` measured on one GPU adapter, and so chose.
#[derive(Debug, Clone, PartialEq)]
pub struct AutoChoice {
    /// The adapter measured: name and driver, as wgpu reports them.
    pub adapter: String,
    /// Milliseconds per photo on that GPU: a 640-pixel detection and two faces embedded.
    pub gpu_ms: f64,
    /// The same on the CPU.
    pub cpu_ms: f64,
}

impl AutoChoice {
    /// The faster device; the CPU on a tie.
    pub fn device(&self) -> Device {
        if self.gpu_ms < self.cpu_ms { Device::Gpu } else { Device::Cpu }
    }

    /// How the choice is kept in the library's settings.
    pub(crate) fn to_setting(&self) -> String {
        format!("{}\t{}\t{}", self.gpu_ms, self.cpu_ms, self.adapter)
    }

    pub(crate) fn from_setting(text: &str) -> Option<AutoChoice> {
        let mut parts = text.splitn(3, '\t');
        let gpu_ms = parts.next()?.parse().ok()?;
        let cpu_ms = parts.next()?.parse().ok()?;
        let adapter = parts.next()?.to_string();
        Some(AutoChoice { adapter, gpu_ms, cpu_ms })
    }
}

/// The name `auto` knows an adapter by: a new driver is a new adapter.
pub(crate) fn adapter_key(info: &RuntimeInfo) -> String {
    if info.driver.is_empty() { info.adapter.clone() } else { format!("{} ({})", info.adapter, info.driver) }
}

/// What `auto` does, given the hardware GPU found (by [`adapter_key`]) and what was measured
/// before.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum AutoPlan {
    /// No hardware GPU: the CPU, nothing to measure.
    Cpu,
    /// The same adapter as last time: its measurement stands.
    Remembered(AutoChoice),
    /// A GPU not measured yet (or a changed one): measure it against the CPU.
    Measure(String),
}

pub(crate) fn plan(gpu: Option<&str>, remembered: Option<&AutoChoice>) -> AutoPlan {
    match (gpu, remembered) {
        (None, _) => AutoPlan::Cpu,
        (Some(adapter), Some(choice)) if choice.adapter == adapter => AutoPlan::Remembered(choice.clone()),
        (Some(adapter), _) => AutoPlan::Measure(adapter.to_string()),
    }
}

/// A photo-like image for timing: the cost of the networks does not depend on what they see.
fn probe_image() -> RgbImage {
    RgbImage::from_fn(640, 480, |x, y| {
        let v = (x * 7 + y * 13) ^ (x * y / 7);
        Rgb([(v % 251) as u8, ((v / 3) % 241) as u8, ((v * 5) % 239) as u8])
    })
}

/// Milliseconds per photo on `engine`: one 640×480 detection and two 112×112 faces embedded,
/// timed after one untimed round (a GPU compiles its kernels on first use), best of three.
pub(crate) fn probe_ms(engine: &FaceEngine) -> f64 {
    let photo = probe_image();
    let crops: Vec<RgbImage> =
        (0..8).map(|i| image::imageops::crop_imm(&photo, 40 * i, 60, 112, 112).to_image()).collect();
    let round = || {
        let started = Instant::now();
        engine.detector.detect(&photo, engine.options.score_threshold, engine.options.nms_iou);
        let detect = started.elapsed().as_secs_f64();
        let started = Instant::now();
        engine.embed_crops(&crops);
        let embed = started.elapsed().as_secs_f64();
        1e3 * (detect + embed * 2.0 / crops.len() as f64)
    };
    round();
    (0..3).map(|_| round()).fold(f64::INFINITY, f64::min)
}

/// Loads the networks for `auto`: on `gpu` (a hardware adapter, if any) or the CPU, whichever
/// `remembered` or a new measurement says is faster. Returns the engine, which carries the
/// measurement it was chosen by.
pub(crate) fn load_auto(
    models_dir: &std::path::Path,
    gpu: Option<Runtime>,
    remembered: Option<&AutoChoice>,
) -> crate::Result<FaceEngine> {
    let key = gpu.as_ref().map(|rt| adapter_key(&rt.info()));
    let (runtime, choice) = match plan(key.as_deref(), remembered) {
        AutoPlan::Cpu => (Runtime::cpu(), None),
        AutoPlan::Remembered(choice) => {
            let runtime = match (choice.device(), gpu) {
                (Device::Gpu, Some(gpu)) => gpu,
                _ => Runtime::cpu(),
            };
            (runtime, Some(choice))
        }
        AutoPlan::Measure(adapter) => {
            let on_gpu = FaceEngine::load_on(models_dir, gpu.expect("a GPU to measure"))?;
            let on_cpu = FaceEngine::load_on(models_dir, Runtime::cpu())?;
            let choice = AutoChoice { adapter, gpu_ms: probe_ms(&on_gpu), cpu_ms: probe_ms(&on_cpu) };
            let mut engine = if choice.device() == Device::Gpu { on_gpu } else { on_cpu };
            engine.auto = Some(choice);
            return Ok(engine);
        }
    };
    let mut engine = FaceEngine::load_on(models_dir, runtime)?;
    engine.auto = choice;
    Ok(engine)
}
