//! The standard normal distribution: the scaled complementary error function erfcx, the normal
//! CDF Φ without cancellation in either tail, the density φ, and an inverse CDF for initial guesses.
//!
//! erfcx(z) = e^{z²}·erfc(z) on z ≥ 0 uses a single Chebyshev series in y = (z − 4)/(z + 4), after
//! Shepherd & Laframboise ("Chebyshev approximation of (1+2x)exp(x²)erfc x in 0 ≤ x < ∞", Math.
//! Comp. 36 (1981) 249–253), here for g(y) = (z + 4)·erfcx(z) so that erfcx = g(y)·u with
//! u = 1/(z + 4) and y = 1 − 8u: one formula for the whole half-line and a single division. The
//! coefficients come from `tools/erfcx_chebyshev.py` (truncation < 1e-18 of max g).
//!
//! Φ(−|a|) = ½·erfcx(|a|/√2)·e^{−a²/2} carries full relative accuracy down to the smallest
//! subnormal, which is what deep out-of-the-money prices and Greeks need.

use crate::dispatch::Arith;
use crate::elementary::{exp_minus_half_square, ln};

/// 1/√(2π).
pub const INV_SQRT_2PI: f64 = 0.398_942_280_401_432_677_939_946_059_934_381_868_475_858_631_164_9;
/// √(π/2).
pub const SQRT_HALF_PI: f64 = 1.253_314_137_315_500_251_207_882_642_405_522_626_503_493_370_305;

const ERFCX_K: f64 = 4.0;
const ERFCX_CHEBYSHEV: [f64; 25] = [
    1.632097878196525962154172,
    -1.505432942705469734373961,
    5.903214182888944772741637e-1,
    -1.982852717201103451493903e-1,
    5.690843022846869596128344e-2,
    -1.377397305087009651332712e-2,
    2.729016733135232247910648e-3,
    -4.136180790302475259091503e-4,
    3.891418380796059999748552e-5,
    4.795485503364817684681034e-7,
    -8.699107081379825726169842e-7,
    1.21167070943965563784772e-7,
    3.791967026081819698680836e-9,
    -3.453364677996382348607918e-9,
    2.748862570381360975171732e-10,
    6.813959375318510370984288e-11,
    -1.356852274731635459830505e-11,
    -1.046323506741609795046454e-12,
    4.851070321243456019267042e-13,
    8.458758172979236632965311e-15,
    -1.646936373361671346928206e-14,
    2.531485088680283471657663e-16,
    5.757244393379938927689502e-16,
    -1.824597919313652277593316e-17,
    -2.135637703191254037073033e-17,
];

/// erfcx(z) = e^{z²}·erfc(z) for z ≥ 0 (callers pass |z|). erfcx(∞) = 0; NaN in, NaN out.
#[inline(always)]
pub fn erfcx<A: Arith>(z: f64) -> f64 {
    let u = 1.0 / (z + ERFCX_K);
    let y = A::mul_add(-2.0 * ERFCX_K, u, 1.0);
    let two_y = 2.0 * y;
    let mut b1 = 0.0;
    let mut b2 = 0.0;
    for &c in ERFCX_CHEBYSHEV[1..].iter().rev() {
        let b0 = A::mul_add(two_y, b1, c - b2);
        b2 = b1;
        b1 = b0;
    }
    A::mul_add(y, b1, ERFCX_CHEBYSHEV[0] - b2) * u
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
    use crate::dispatch::{Fused, Separate};
    use crate::golden::read_golden;

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
