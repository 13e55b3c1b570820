//! The standard normal distribution: the scaled complementary error function erfcx, the normal
//! CDF Φ without cancellation in either tail, the density φ, and an inverse CDF for initial guesses.
//!
//! erfcx(z) = e^{z²}·erfc(z) on z ≥ 0 uses a single Chebyshev series in y = (z − 4)/(z + 4), after
//! Shepherd & Laframboise ("Chebyshev approximation of (1+2x)exp(x²)erfc x in 0 ≤ x < ∞", Math.
//! Comp. 36 (1981) 249–253), here for g(y) = (z + 4)·erfcx(z) so that erfcx = g(y)·u with
//! u = 1/(z + 4) and y = 1 − 8u: one formula for the whole half-line and a single division. The
//! series (truncation < 1e-18 of max g) is evaluated in powers of y by Horner's rule; the
//! coefficients come from `tools/erfcx_chebyshev.py`.
//!
//! Φ(−|a|) = ½·erfcx(|a|/√2)·e^{−a²/2} carries full relative accuracy down to the smallest
//! subnormal, which is what deep out-of-the-money prices and Greeks need.

use crate::math::elementary::{exp_minus_half_square, ln};
use crate::runtime::dispatch::Arith;

/// 1/√(2π).
pub const INV_SQRT_2PI: f64 = 0.398_942_280_401_432_677_939_946_059_934_381_868_475_858_631_164_9;
/// √(π/2).
pub const SQRT_HALF_PI: f64 = 1.253_314_137_315_500_251_207_882_642_405_522_626_503_493_370_305;

const ERFCX_K: f64 = 4.0;
/// g(y) = Σ a_k·y^k, k = 0..24.
const ERFCX_POWERS: [f64; 25] = [
    1.095995661000491119995644,
    -9.765487290808820045907802e-1,
    7.732087022652368403964861e-1,
    -5.408538313132345374504754e-1,
    3.308515878780226646282565e-1,
    -1.740109372399321280816801e-1,
    7.638151490918350656910573e-2,
    -2.637005334070313897657303e-2,
    6.112055655613929822751907e-3,
    -2.809588591250073880790181e-4,
    -4.550526714402558974575903e-4,
    1.768127678131088547795538e-4,
    -3.635286414461685393142704e-6,
    -1.886065517439042846816253e-5,
    4.694953600514839565742128e-6,
    1.423543780888883276062341e-6,
    -8.477202827598294345372749e-7,
    -7.44013407931567932767743e-8,
    1.267836397429493145619092e-7,
    -2.762829273945234200278878e-10,
    -1.809690573463593381193214e-8,
    7.054882560385151098025189e-10,
    2.282283310732059316933578e-9,
    -7.652918351368929002518754e-11,
    -1.791502752209177914542314e-10,
];

/// erfcx(z) = e^{z²}·erfc(z) for z ≥ 0 (callers pass |z|). erfcx(∞) = 0; NaN in, NaN out.
#[inline(always)]
pub fn erfcx<A: Arith>(z: f64) -> f64 {
    let u = 1.0 / (z + ERFCX_K);
    let y = A::mul_add(-2.0 * ERFCX_K, u, 1.0);
    let mut g = 0.0;
    for &a in ERFCX_POWERS.iter().rev() {
        g = A::mul_add(g, y, a);
    }
    g * u
}

/// Φ(−|a|), the lower tail, with full relative accuracy (0 only when it underflows).
#[inline(always)]
pub fn lower_tail<A: Arith>(a: f64) -> f64 {
    0.5 * erfcx::<A>(a.abs() * std::f64::consts::FRAC_1_SQRT_2) * exp_minus_half_square::<A>(a)
}

/// The standard normal CDF Φ(z).
#[inline(always)]
pub fn norm_cdf<A: Arith>(z: f64) -> f64 {
    let tail = lower_tail::<A>(z);
    if z < 0.0 { tail } else { 1.0 - tail }
}

/// The standard normal density φ(z).
#[inline(always)]
pub fn norm_pdf<A: Arith>(z: f64) -> f64 {
    INV_SQRT_2PI * exp_minus_half_square::<A>(z)
}

// Acklam's rational approximations for Φ⁻¹ (relative error < 1.2e-9), enough for initial guesses.
const ACKLAM_A: [f64; 6] = [
    -3.969683028665376e+01,
    2.209460984245205e+02,
    -2.759285104469687e+02,
    1.383577518672690e+02,
    -3.066479806614716e+01,
    2.506628277459239e+00,
];
const ACKLAM_B: [f64; 5] = [
    -5.447609879822406e+01,
    1.615858368580409e+02,
    -1.556989798598866e+02,
    6.680131188771972e+01,
    -1.328068155288572e+01,
];
const ACKLAM_C: [f64; 6] = [
    -7.784894002430293e-03,
    -3.223964580411365e-01,
    -2.400758277161838e+00,
    -2.549732539343734e+00,
    4.374664141464968e+00,
    2.938163982698783e+00,
];
const ACKLAM_D: [f64; 4] = [7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00, 3.754408661907416e+00];

#[inline(always)]
fn horner<A: Arith>(coefficients: &[f64], x: f64) -> f64 {
    let mut acc = 0.0;
    for &c in coefficients {
        acc = A::mul_add(acc, x, c);
    }
    acc
}

/// Φ⁻¹(p) for p ∈ (0, 1), relative accuracy about 1e-9 (P. J. Acklam, 2003). Used only to start
/// iterations, never as a final result. Both branches are evaluated and one selected.
#[inline(always)]
pub fn inverse_norm_cdf_approx<A: Arith>(p: f64) -> f64 {
    const P_LOW: f64 = 0.02425;
    // Central region.
    let q = p - 0.5;
    let r = q * q;
    let central = horner::<A>(&ACKLAM_A, r) * q / A::mul_add(horner::<A>(&ACKLAM_B, r), r, 1.0);
    // Tails, by symmetry on min(p, 1 − p).
    let tail_p = if p < 0.5 { p } else { 1.0 - p };
    let tail_p = if tail_p > 0.0 { tail_p } else { f64::MIN_POSITIVE };
    let u = (-2.0 * ln::<A>(tail_p)).sqrt();
    let tail = horner::<A>(&ACKLAM_C, u) / A::mul_add(horner::<A>(&ACKLAM_D, u), u, 1.0);
    let tail = if p < 0.5 { tail } else { -tail };
    if p > P_LOW && p < 1.0 - P_LOW { central } else { tail }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::golden::read_golden;
    use crate::runtime::dispatch::{Fused, Separate};

    fn worst_error<F: Fn(f64) -> f64>(name: &str, f: F) -> (f64, f64) {
        let mut worst = (0.0f64, 0.0f64);
        for row in read_golden("elementary.csv").iter().filter(|r| r.text("function") == name) {
            let (x, expected) = (row.num("x"), row.num("value"));
            let got = f(x);
            let err = if expected == 0.0 {
                assert_eq!(got, 0.0, "{name}({x:e})");
                0.0
            } else {
                // Relative error, except below the normal range where doubles lose precision.
                ((got - expected) / expected.abs().max(f64::MIN_POSITIVE)).abs() / f64::EPSILON
            };
            if err > worst.0 {
                worst = (err, x);
            }
        }
        worst
    }

    #[test]
    fn erfcx_matches_golden_values() {
        for (label, w) in
            [("fused", worst_error("erfcx", erfcx::<Fused>)), ("separate", worst_error("erfcx", erfcx::<Separate>))]
        {
            assert!(w.0 <= 4.0, "erfcx {label}: {} eps at {:e}", w.0, w.1);
        }
    }

    #[test]
    fn norm_cdf_matches_golden_values() {
        for (label, w) in [
            ("fused", worst_error("norm_cdf", norm_cdf::<Fused>)),
            ("separate", worst_error("norm_cdf", norm_cdf::<Separate>)),
        ] {
            // Relative to Φ itself, including the far lower tail down to subnormals; the error
            // there is dominated by the argument's own rounding (x²·ε, x ≤ 38).
            assert!(w.0 <= 8.0, "norm_cdf {label}: {} eps at {:e}", w.0, w.1);
        }
    }

    #[test]
    fn inverse_norm_cdf_is_close() {
        for &p in &[1e-300, 1e-20, 1e-5, 0.02, 0.1, 0.3, 0.5, 0.7, 0.9, 0.99, 1.0 - 1e-10] {
            let z = inverse_norm_cdf_approx::<Fused>(p);
            let back = norm_cdf::<Fused>(z);
            assert!(((back - p) / p).abs() < 1e-6, "p = {p:e}: z = {z}, Φ(z) = {back:e}");
        }
    }

    #[test]
    fn erfcx_limits() {
        assert_eq!(erfcx::<Fused>(0.0), 1.0);
        assert_eq!(erfcx::<Fused>(f64::INFINITY), 0.0);
        assert!(erfcx::<Fused>(f64::NAN).is_nan());
    }
}
