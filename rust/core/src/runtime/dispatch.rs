//! Run-time CPU dispatch: the one place in the core that contains `unsafe`.
//!
//! Every array kernel is written once, generically over [`Arith`], as branch-free loops that LLVM
//! vectorises. [`run`] instantiates it three times — AVX-512 (with FMA), AVX2+FMA, and the portable
//! baseline (SSE2 on x86-64, or whatever the target guarantees elsewhere) — and calls the best one
//! the CPU supports. No `-C target-cpu=native` is needed, so one wheel is fast on every machine.
//!
//! `ALVH_SIMD=baseline|avx2|avx512` caps the level (for tests and benchmarks); the detected level
//! is never exceeded.

use std::sync::OnceLock;

/// Rows that kernels gather and compute together: small enough that a block's working arrays
/// stay in L1, large enough that each pass over them vectorises with little loop overhead.
pub const BLOCK: usize = 128;

/// How a kernel computes `a·b + c`: fused (one rounding, needs FMA hardware) or separate.
pub trait Arith {
    /// `a·b + c`.
    fn mul_add(a: f64, b: f64, c: f64) -> f64;
    /// The exact rounding error of `hi = a·a`, so that `a² = hi + lo` exactly.
    fn square_error(a: f64, hi: f64) -> f64;
}

/// Fused multiply-add: used by the AVX2 and AVX-512 builds.
pub struct Fused;

/// Separate multiply and add, Dekker's exact product: the portable build.
pub struct Separate;

impl Arith for Fused {
    #[inline(always)]
    fn mul_add(a: f64, b: f64, c: f64) -> f64 {
        a.mul_add(b, c)
    }
    #[inline(always)]
    fn square_error(a: f64, hi: f64) -> f64 {
        a.mul_add(a, -hi)
    }
}

impl Arith for Separate {
    #[inline(always)]
    fn mul_add(a: f64, b: f64, c: f64) -> f64 {
        a * b + c
    }
    #[inline(always)]
    fn square_error(a: f64, hi: f64) -> f64 {
        // Veltkamp split of a into two 26-bit halves (Dekker 1971); exact for |a| < 2^996.
        let c = 134_217_729.0 * a;
        let a_hi = c - (c - a);
        let a_lo = a - a_hi;
        ((a_hi * a_hi - hi) + 2.0 * a_hi * a_lo) + a_lo * a_lo
    }
}

/// A kernel over one chunk of data, generic over the arithmetic so that it can be compiled for
/// each instruction set. `run` must be `#[inline(always)]` so that it is compiled inside the
/// feature-enabled wrappers below.
pub trait Kernel {
    /// What the kernel returns (often `()`, or a per-chunk summary).
    type Output;
    /// Do the work.
    fn run<A: Arith>(self) -> Self::Output;
}

/// An instruction-set level, in increasing order of capability.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    /// Portable code, no FMA.
    Baseline,
    /// AVX2 with FMA.
    Avx2,
    /// AVX-512 F/DQ/VL with FMA.
    Avx512,
}

impl Level {
    /// The level's name as `ALVH_SIMD` spells it.
    pub fn name(self) -> &'static str {
        match self {
            Level::Baseline => "baseline",
            Level::Avx2 => "avx2",
            Level::Avx512 => "avx512",
        }
    }
}

/// The best level this CPU supports.
pub fn detected_level() -> Level {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx512f")
            && std::arch::is_x86_feature_detected!("avx512dq")
            && std::arch::is_x86_feature_detected!("avx512vl")
            && std::arch::is_x86_feature_detected!("fma")
        {
            return Level::Avx512;
        }
        if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma") {
            return Level::Avx2;
        }
    }
    Level::Baseline
}

/// The level kernels run at: the detected level, capped by `ALVH_SIMD` if set (read once).
pub fn active_level() -> Level {
    static LEVEL: OnceLock<Level> = OnceLock::new();
    *LEVEL.get_or_init(|| {
        let detected = detected_level();
        let cap = match std::env::var("ALVH_SIMD").as_deref() {
            Ok("baseline") => Level::Baseline,
            Ok("avx2") => Level::Avx2,
            _ => Level::Avx512,
        };
        detected.min(cap)
    })
}

/// Run `kernel` with the best instruction set available (see [`active_level`]).
#[inline]
pub fn run<K: Kernel>(kernel: K) -> K::Output {
    run_at(active_level(), kernel)
}

/// Run `kernel` at a given level; a level above [`detected_level`] falls back to the detected one.
#[allow(unsafe_code)]
pub fn run_at<K: Kernel>(level: Level, kernel: K) -> K::Output {
    let level = level.min(detected_level());
    match level {
        #[cfg(target_arch = "x86_64")]
        // SAFETY: `level` is capped by `detected_level`, which confirmed avx512f/dq/vl and fma.
        Level::Avx512 => unsafe { run_avx512(kernel) },
        #[cfg(target_arch = "x86_64")]
        // SAFETY: `level` is capped by `detected_level`, which confirmed avx2 and fma.
        Level::Avx2 => unsafe { run_avx2(kernel) },
        _ => kernel.run::<Separate>(),
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512dq,avx512vl,avx2,fma")]
fn run_avx512<K: Kernel>(kernel: K) -> K::Output {
    kernel.run::<Fused>()
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn run_avx2<K: Kernel>(kernel: K) -> K::Output {
    kernel.run::<Fused>()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::math::elementary::{exp, ln};
    use crate::math::normal::{erfcx, norm_cdf};
    use crate::option::european::{Greeks, GreeksSink, Model, Rows, Scratch, greeks_block};

    /// Whether the arithmetic a level runs with is fused: 0.1·10 − 1 is 0 when rounded after the
    /// product and 2⁻⁵⁴ (the product's rounding error) when fused.
    struct IsFused;

    impl Kernel for IsFused {
        type Output = bool;
        fn run<A: Arith>(self) -> bool {
            A::mul_add(std::hint::black_box(0.1), 10.0, -1.0) != 0.0
        }
    }

    fn available_levels() -> Vec<Level> {
        [Level::Baseline, Level::Avx2, Level::Avx512].into_iter().filter(|&l| l <= detected_level()).collect()
    }

    #[test]
    fn a_level_runs_fused_arithmetic_only_where_the_cpu_has_it() {
        assert!(!run_at(Level::Baseline, IsFused));
        for level in [Level::Avx2, Level::Avx512] {
            assert_eq!(run_at(level, IsFused), detected_level() > Level::Baseline, "{level:?}");
        }
        assert!(active_level() <= detected_level());
        assert_eq!([Level::Baseline, Level::Avx2, Level::Avx512].map(Level::name), ["baseline", "avx2", "avx512"]);
    }

    #[test]
    fn both_square_errors_are_exact() {
        for a in [0.1, 1.0 / 3.0, 12_345.678_9, 1e-150, 3.0e150, -7.25] {
            let hi = a * a;
            assert_eq!(Separate::square_error(a, hi).to_bits(), Fused::square_error(a, hi).to_bits(), "{a}");
        }
    }

    /// Scalar functions and a block of option prices and Greeks, one row per input.
    struct Sample<'a> {
        x: &'a [f64],
        out: &'a mut Vec<[f64; 14]>,
    }

    struct Collect<'a>(&'a mut Vec<[f64; 14]>);

    impl GreeksSink for Collect<'_> {
        fn put(&mut self, row: usize, g: &Greeks) {
            let greeks = [g.price, g.delta, g.gamma, g.vega, g.theta, g.rho, g.div_rho, g.vanna, g.volga, g.charm];
            self.0[row][4..].copy_from_slice(&greeks);
        }
    }

    impl Kernel for Sample<'_> {
        type Output = ();
        fn run<A: Arith>(self) {
            let n = self.x.len();
            for (row, &x) in self.out.iter_mut().zip(self.x) {
                row[..4].copy_from_slice(&[exp::<A>(x), ln::<A>(x + 9.0), norm_cdf::<A>(x), erfcx::<A>(x.abs())]);
            }
            let strike: Vec<f64> = self.x.iter().map(|x| 100.0 * (1.0 + 0.05 * x)).collect();
            let (time, vol) = (vec![0.3; n], vec![0.25; n]);
            let (rate, div_yield, is_call) = (vec![0.04; n], vec![0.01; n], vec![true; n]);
            let rows = Rows {
                underlying: &vec![100.0; n],
                strike: &strike,
                time: &time,
                vol: &vol,
                rate: &rate,
                div_yield: &div_yield,
                is_call: &is_call,
            };
            greeks_block::<A, _>(Model::Bsm, &rows, &mut Scratch::default(), &mut Collect(self.out));
        }
    }

    /// Every level this CPU has gives the baseline's results to within a few ulp (fused and
    /// separate arithmetic round differently, nothing more).
    #[test]
    fn every_available_level_agrees_with_the_baseline() {
        let x: Vec<f64> = (0..BLOCK).map(|i| -8.0 + 16.0 * i as f64 / BLOCK as f64).collect();
        let sample = |level| {
            let mut out = vec![[0.0; 14]; BLOCK];
            run_at(level, Sample { x: &x, out: &mut out });
            out
        };
        let baseline = sample(Level::Baseline);
        for level in available_levels() {
            let other = sample(level);
            for (row, (a, b)) in baseline.iter().zip(&other).enumerate() {
                for (column, (&u, &v)) in a.iter().zip(b).enumerate() {
                    let tolerance = 1e-13 * u.abs().max(v.abs()) + 1e-300;
                    assert!((u - v).abs() <= tolerance, "{level:?}, row {row}, column {column}: {u:e} vs {v:e}");
                }
            }
        }
    }
}
