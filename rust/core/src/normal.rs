//! The standard normal distribution: the scaled complementary error function erfcx, the normal
//! CDF Φ without cancellation in either tail, the density φ, and an inverse CDF for initial guesses.
//!
//! erfcx(z) = e^{z²}·erfc(z) on z ≥ 0 uses a single Chebyshev series in y = (z − 4)/(z + 4)
//! (Shepherd & Laframboise, "Chebyshev approximation of (1+2x)exp(x²)erfc x in 0 ≤ x < ∞",
//! Math. Comp. 36 (1981) 249–253). One formula for the whole half-line keeps it branch-free;
//! the 27 coefficients come from `tools/erfcx_chebyshev.py` (truncation < 2e-18).
//!
//! Φ(−|a|) = ½·erfcx(|a|/√2)·e^{−a²/2} carries full relative accuracy down to the smallest
//! subnormal, which is what deep out-of-the-money prices and Greeks need.

use crate::dispatch::Arith;
use crate::elementary::{exp_minus_half_square, ln};

/// 1/√(2π).
pub const INV_SQRT_2PI: f64 = 0.398_942_280_401_432_677_939_946_059_934_381_868_475_858_631_164_9;
/// √(π/2).
pub const SQRT_HALF_PI: f64 = 1.253_314_137_315_500_251_207_882_642_405_522_626_503_493_370_305;
/// 1/√π.
const INV_SQRT_PI: f64 = 0.564_189_583_547_756_286_948_079_451_560_772_585_844_050_629_329;

const ERFCX_K: f64 = 4.0;
const ERFCX_CHEBYSHEV: [f64; 27] = [
    1.177483200537448698634836,
    -7.260796620301900478358644e-3,
    -8.126512323618499785803186e-2,
    6.009212804122224999744407e-2,
    -2.875393558027666027099499e-2,
    1.05956633634728600140294e-2,
    -3.13692729455426423826639e-3,
    7.456494372536184043120144e-4,
    -1.369696503010054068143773e-4,
    1.71838616003009371129066e-5,
    -7.158364623450346863334742e-7,
    -2.426139944244953201438892e-7,
    5.576570939570356403933772e-8,
    -2.105786951380949481347279e-9,
    -1.171788935188495684936088e-9,
    1.909835517245668792005781e-10,
    1.408871764208812966463026e-11,
    -6.901108320480814955342786e-12,
    9.167958364111293286164069e-14,
    2.145450828655455299122081e-13,
    -1.471657502701062422413497e-14,
    -6.668675118770407924162998e-15,
    7.50459850988008302535621e-16,
    2.220093006666320035512964e-16,
    -3.170489895633088835677741e-17,
    -8.193570309884332333398031e-18,
    1.245981973312957435329983e-18,
];

/// Beyond this, erfcx(z) = 1/(z√π)·(1 − 1/(2z²) + …) equals 1/(z√π) in double precision.
const ERFCX_ASYMPTOTIC: f64 = 1e9;

/// erfcx(z) = e^{z²}·erfc(z) for z ≥ 0 (callers pass |z|). erfcx(∞) = 0; NaN in, NaN out.
#[inline(always)]
pub fn erfcx<A: Arith>(z: f64) -> f64 {
    // For huge z, evaluate the series at a harmless point and use the asymptote instead.
    let large = z > ERFCX_ASYMPTOTIC;
    let zs = if large { 1.0 } else { z };
    let y = (zs - ERFCX_K) / (zs + ERFCX_K);
    let two_y = 2.0 * y;
    let mut b1 = 0.0;
    let mut b2 = 0.0;
    for &c in ERFCX_CHEBYSHEV[1..].iter().rev() {
        let b0 = A::mul_add(two_y, b1, c - b2);
        b2 = b1;
        b1 = b0;
    }
    let series = A::mul_add(y, b1, ERFCX_CHEBYSHEV[0] - b2);
    let value = series / A::mul_add(2.0, zs, 1.0);
    if large { INV_SQRT_PI / z } else { value }
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
