//! The one place that chooses where the networks run.

use std::sync::Mutex;

use burn::tensor::{Device, DeviceKind};

use crate::ModelError;

/// Where the caller would like the networks to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DevicePreference {
    /// A hardware GPU (discrete, then integrated, then virtual) through wgpu when one can
    /// be opened, else the CPU.
    ///
    /// A software rasteriser (Mesa's llvmpipe/lavapipe, Windows' WARP) is never chosen
    /// here: it runs the same kernels an order of magnitude slower than the native CPU
    /// backend.
    #[default]
    Auto,
    /// wgpu, or an error. Tries hardware GPUs first and then accepts a software adapter,
    /// so that the wgpu code path can be exercised on machines without a GPU.
    Gpu,
    /// The pure-Rust CPU backend (burn's flex).
    Cpu,
}

/// What kind of processor does the arithmetic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ComputeKind {
    /// A hardware GPU.
    Gpu,
    /// The CPU: either the native CPU backend or a software wgpu adapter.
    Cpu,
}

/// A description of the device a [`Runtime`] uses, for logs and settings screens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuntimeInfo {
    /// Where the arithmetic happens.
    pub kind: ComputeKind,
    /// The burn backend: `"wgpu"` or `"flex"`.
    pub backend: String,
    /// The adapter's name as its driver reports it (e.g. `"NVIDIA H100 80GB HBM3"`,
    /// `"llvmpipe (LLVM 15.0.6, 256 bits)"`), or `"cpu"` for flex.
    pub adapter: String,
    /// Driver name and version where wgpu reports them (e.g. `"llvmpipe Mesa 22.3.6"`);
    /// empty for flex.
    pub driver: String,
}

/// A compute device on which detectors and embedders are built.
///
/// Cheap to clone; every clone names the same device.
#[derive(Debug, Clone)]
pub struct Runtime {
    pub(crate) device: Device,
    info: RuntimeInfo,
}

/// wgpu kinds to try, in order, for [`DevicePreference::Auto`].
const HARDWARE_KINDS: [DeviceKind; 3] =
    [DeviceKind::DiscreteGpu(0), DeviceKind::IntegratedGpu(0), DeviceKind::VirtualGpu(0)];

/// wgpu runtimes opened so far, by device kind. burn refuses to initialise the same wgpu
/// device twice in one process, so a second `Runtime::new` must reuse the first result.
static OPENED: Mutex<Vec<(String, Result<Runtime, String>)>> = Mutex::new(Vec::new());

impl Runtime {
    /// Opens a device according to `pref`.
    ///
    /// # Errors
    ///
    /// [`ModelError::NoGpuAdapter`] when `pref` is [`DevicePreference::Gpu`] and no wgpu
    /// adapter, hardware or software, could be opened. `Auto` and `Cpu` do not fail.
    pub fn new(pref: DevicePreference) -> Result<Runtime, ModelError> {
        match pref {
            DevicePreference::Cpu => Ok(Runtime::cpu()),
            DevicePreference::Auto => Ok(open_first(&HARDWARE_KINDS).unwrap_or_else(|_| Runtime::cpu())),
            DevicePreference::Gpu => {
                let mut kinds = HARDWARE_KINDS.to_vec();
                kinds.push(DeviceKind::Cpu);
                open_first(&kinds).map_err(|details| ModelError::NoGpuAdapter { details })
            }
        }
    }

    /// A hardware GPU (discrete, then integrated, then virtual), if one can be opened: what
    /// `Auto` would run on. Never a software adapter.
    pub fn hardware_gpu() -> Option<Runtime> {
        open_first(&HARDWARE_KINDS).ok()
    }

    /// The CPU runtime (flex). Infallible.
    pub fn cpu() -> Runtime {
        Runtime {
            device: Device::flex(),
            info: RuntimeInfo {
                kind: ComputeKind::Cpu,
                backend: "flex".into(),
                adapter: "cpu".into(),
                driver: String::new(),
            },
        }
    }

    /// Which device this runtime uses.
    pub fn info(&self) -> RuntimeInfo {
        self.info.clone()
    }

    /// Whether networks built on this runtime run on this crate's CPU kernels (see
    /// `cpu`): on the CPU, unless `KINDRED_CPU_KERNELS=burn` asks for burn's flex backend
    /// (to compare the two).
    pub(crate) fn cpu_kernels(&self) -> bool {
        self.info.backend == "flex" && std::env::var("KINDRED_CPU_KERNELS").map_or(true, |v| v != "burn")
    }
}

/// Opens the first kind that works; on failure, what each attempt said.
fn open_first(kinds: &[DeviceKind]) -> Result<Runtime, String> {
    let mut failures = Vec::new();
    for kind in kinds {
        match open_wgpu(kind.clone()) {
            Ok(rt) => return Ok(rt),
            Err(e) => failures.push(format!("{kind:?}: {e}")),
        }
    }
    Err(failures.join("; "))
}

fn open_wgpu(kind: DeviceKind) -> Result<Runtime, String> {
    let key = format!("{kind:?}");
    let mut opened = OPENED.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some((_, result)) = opened.iter().find(|(k, _)| *k == key) {
        return result.clone();
    }
    let options = Device::wgpu_options().device_kind(kind);
    // On Linux every GPU driver speaks Vulkan; going on to OpenGL would only find Mesa's
    // software rasteriser, through an EGL probe of the display that a headless machine lacks.
    #[cfg(target_os = "linux")]
    let options = options.graphics_api(burn::tensor::wgpu::WgpuBackend::Vulkan);
    let result = options
        .init_with_setup()
        .map(|(device, setup)| {
            let adapter = setup.adapter.get_info();
            use burn::tensor::wgpu::wgpu::DeviceType;
            let kind = match adapter.device_type {
                DeviceType::Cpu => ComputeKind::Cpu,
                _ => ComputeKind::Gpu,
            };
            let driver = format!("{} {}", adapter.driver, adapter.driver_info).trim().to_string();
            Runtime {
                device,
                info: RuntimeInfo { kind, backend: "wgpu".into(), adapter: adapter.name, driver },
            }
        })
        .map_err(|e| e.to_string());
    opened.push((key, result.clone()));
    result
}
