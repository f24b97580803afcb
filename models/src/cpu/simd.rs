//! Running a kernel with the widest vector instructions the CPU has.
//!
//! A build for plain x86-64 may only assume SSE2: four lanes and no fused multiply-add. The
//! kernels are written once, as plain loops over fixed-size arrays, and compiled twice: with
//! `FMA = true` inside an AVX2 + FMA context (pulp's `V3`, chosen at run time when the CPU has
//! those instructions, as every x86 CPU since 2013 does), and with `FMA = false` for the rest.
//! The compiler vectorises both copies; only the first uses 8-lane registers and fused
//! multiply-adds.

/// `a · b + c`, fused where the instruction exists (one rounding instead of two).
#[inline(always)]
pub(crate) fn madd<const FMA: bool>(a: f32, b: f32, c: f32) -> f32 {
    if FMA { a.mul_add(b, c) } else { a * b + c }
}

/// A token proving that AVX2 and FMA are available, or nothing.
#[cfg(target_arch = "x86_64")]
#[derive(Clone, Copy)]
pub(crate) struct Wide(pulp::x86::V3);

#[cfg(target_arch = "x86_64")]
impl Wide {
    /// Runs `f` compiled for AVX2 + FMA. Everything `f` calls must be `#[inline(always)]`
    /// for it to be compiled that way too.
    #[inline(always)]
    pub(crate) fn run<R>(self, f: impl FnOnce() -> R) -> R {
        self.0.vectorize(f)
    }
}

/// AVX2 and FMA, where the CPU has them and `KINDRED_CPU_NARROW` is not set (which measures
/// the portable copy on a machine that has them).
#[cfg(target_arch = "x86_64")]
#[inline]
pub(crate) fn wide() -> Option<Wide> {
    static NARROW: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    if *NARROW.get_or_init(|| std::env::var_os("KINDRED_CPU_NARROW").is_some()) {
        return None;
    }
    pulp::x86::V3::try_new().map(Wide)
}

/// Other architectures: the portable copy (which the compiler still vectorises for the
/// architecture's baseline, e.g. NEON on aarch64, where fused multiply-add is always there).
#[cfg(not(target_arch = "x86_64"))]
#[derive(Clone, Copy)]
pub(crate) enum Wide {}

#[cfg(not(target_arch = "x86_64"))]
impl Wide {
    pub(crate) fn run<R>(self, _: impl FnOnce() -> R) -> R {
        match self {}
    }
}

#[cfg(not(target_arch = "x86_64"))]
pub(crate) fn wide() -> Option<Wide> {
    None
}

/// Calls `kernel::<FMA>(args…)` with `FMA = true` in the AVX2 + FMA context where the CPU
/// has it, else with `FMA = false`.
macro_rules! dispatch {
    ($kernel:ident ( $($arg:expr),* $(,)? )) => {
        match $crate::cpu::simd::wide() {
            // Inlined, so that the kernel (inlined into the closure) is compiled for AVX2 + FMA
            // rather than called from there as a portable function.
            Some(wide) => wide.run(#[inline(always)] || $kernel::<true>($($arg),*)),
            None => $kernel::<false>($($arg),*),
        }
    };
}
pub(crate) use dispatch;
