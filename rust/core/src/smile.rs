//! SPX smiles in log-moneyness k = ln(K/F), for re-reading implied vols in scenarios
//! (sticky moneyness). The same models and conventions as `alvh.market` (SPEC §2):
//!
//! * raw SVI in total variance, w(k) = a + b·(ρ·(k − m) + √((k − m)² + σ²));
//! * a quadratic in vol, vol(k) = atm + skew·k + curvature·k², i.e. w(k) = vol(k)²·T_quote.
//!
//! k is clamped to ±`k_range` (the smile is flat beyond). A leg's smile slice is a weighted sum
//! of two quoted smiles' total variances (linear interpolation in time at constant k, or the
//! nearest smile scaled in time beyond the quotes), turned into a vol at the leg's own time:
//! vol(k) = √((w_a·w_A(k) + w_b·w_B(k)) / T).

use crate::dispatch::Arith;

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

impl SmileTable<'_> {
    /// Total variance w(k) of smile `index`.
    #[inline(always)]
    pub fn total_variance<A: Arith>(&self, index: usize, k: f64) -> f64 {
        let k = limit(k, self.k_range);
        total_variance::<A>(self.model[index] == SmileModel::Svi as u8, &self.params[index], k)
    }
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

/// Which smiles a leg's slice mixes, with what weights, at what time.
#[derive(Clone, Copy, Debug)]
pub struct SmileSlice {
    /// First smile and its weight.
    pub first: usize,
    /// Weight of the first smile's total variance.
    pub first_weight: f64,
    /// Second smile.
    pub second: usize,
    /// Weight of the second smile's total variance.
    pub second_weight: f64,
    /// Time (years) the mixed total variance refers to.
    pub time: f64,
}

impl SmileSlice {
    /// Implied vol (decimal) of the slice at log-moneyness k.
    #[inline(always)]
    pub fn vol<A: Arith>(&self, table: &SmileTable, k: f64) -> f64 {
        let w = A::mul_add(
            self.first_weight,
            table.total_variance::<A>(self.first, k),
            self.second_weight * table.total_variance::<A>(self.second, k),
        );
        let w = if w > 0.0 { w } else { 0.0 };
        (w / self.time).sqrt()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dispatch::Fused;

    #[test]
    fn svi_and_quadratic_match_their_formulas() {
        let model = [SmileModel::Svi as u8, SmileModel::Quadratic as u8];
        let params = [[0.01, 0.1, -0.7, 0.02, 0.15], [0.14, -0.3, 0.3, 0.25, 0.0]];
        let table = SmileTable { model: &model, params: &params, k_range: 0.6 };
        for &k in &[-0.5, -0.1, 0.0, 0.2] {
            let d: f64 = k - 0.02;
            let svi = 0.01 + 0.1 * (-0.7 * d + (d * d + 0.0225).sqrt());
            assert!((table.total_variance::<Fused>(0, k) - svi).abs() < 1e-15);
            let vol: f64 = 0.14 - 0.3 * k + 0.3 * k * k;
            assert!((table.total_variance::<Fused>(1, k) - vol * vol * 0.25).abs() < 1e-15);
        }
        // Flat beyond the range.
        assert_eq!(table.total_variance::<Fused>(0, 5.0), table.total_variance::<Fused>(0, 0.6));
        let slice = SmileSlice { first: 0, first_weight: 0.5, second: 1, second_weight: 0.5, time: 0.25 };
        let w = 0.5 * table.total_variance::<Fused>(0, 0.1) + 0.5 * table.total_variance::<Fused>(1, 0.1);
        assert!((slice.vol::<Fused>(&table, 0.1) - (w / 0.25).sqrt()).abs() < 1e-15);
    }
}
