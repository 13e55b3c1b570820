//! SPX smiles in log-moneyness k = ln(K/F), for re-reading implied vols in scenarios
//! (sticky moneyness). The same models and conventions as `alvh.market` (docs/method.md, Models):
//!
//! * raw SVI in total variance, w(k) = a + b·(ρ·(k − m) + √((k − m)² + σ²));
//! * a quadratic in vol, vol(k) = atm + skew·k + curvature·k², i.e. w(k) = vol(k)²·T_quote.
//!
//! k is clamped to ±`k_range` (the smile is flat beyond). A leg's smile slice is a weighted sum
//! of two quoted smiles' total variances (linear interpolation in time at constant k, or the
//! nearest smile scaled in time beyond the quotes), turned into a vol at the leg's own time:
//! vol(k) = √((w_a·w_A(k) + w_b·w_B(k)) / T).

use crate::runtime::dispatch::Arith;

/// The kind of a quoted smile.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum SmileModel {
    /// Raw SVI: parameters (a, b, ρ, m, σ).
    Svi = 0,
    /// Quadratic in vol: parameters (atm, skew, curvature, T_quote, unused).
    Quadratic = 1,
}

/// A table of quoted smiles: one row of five parameters per smile, plus its model.
#[derive(Clone, Copy, Debug)]
pub struct SmileTable<'a> {
    /// [`SmileModel`] codes.
    pub model: &'a [u8],
    /// Five parameters per smile, row-major.
    pub params: &'a [[f64; 5]],
    /// The smiles are flat beyond |k| > `k_range`.
    pub k_range: f64,
}

/// `k` limited to ±`range` — with selects: `f64::clamp` asserts its bounds, and that panic path
/// would stop the loops around it from vectorising.
#[inline(always)]
pub fn limit(k: f64, range: f64) -> f64 {
    if k > range {
        range
    } else if k < -range {
        -range
    } else {
        k
    }
}

/// The total variance of one quoted smile with its parameters at hand (no table lookup, so
/// that loops over legs vectorise): SVI or quadratic, both evaluated and one selected.
#[inline(always)]
pub fn total_variance<A: Arith>(svi: bool, params: &[f64; 5], k: f64) -> f64 {
    let [p0, p1, p2, p3, p4] = *params;
    let d = k - p3;
    let svi_value = A::mul_add(p1, A::mul_add(p2, d, A::mul_add(d, d, p4 * p4).sqrt()), p0);
    let vol = A::mul_add(A::mul_add(p2, k, p1), k, p0);
    if svi { svi_value } else { vol * vol * p3 }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::dispatch::Fused;

    #[test]
    fn svi_and_quadratic_match_their_formulas() {
        let (svi_params, quadratic_params) = ([0.01, 0.1, -0.7, 0.02, 0.15], [0.14, -0.3, 0.3, 0.25, 0.0]);
        for &k in &[-0.5, -0.1, 0.0, 0.2] {
            let d: f64 = k - 0.02;
            let svi = 0.01 + 0.1 * (-0.7 * d + (d * d + 0.0225).sqrt());
            assert!((total_variance::<Fused>(true, &svi_params, limit(k, 0.6)) - svi).abs() < 1e-15);
            let vol: f64 = 0.14 - 0.3 * k + 0.3 * k * k;
            assert!(
                (total_variance::<Fused>(false, &quadratic_params, limit(k, 0.6)) - vol * vol * 0.25).abs() < 1e-15
            );
        }
        // Flat beyond the range.
        assert_eq!(
            total_variance::<Fused>(true, &svi_params, limit(5.0, 0.6)),
            total_variance::<Fused>(true, &svi_params, 0.6)
        );
    }
}
