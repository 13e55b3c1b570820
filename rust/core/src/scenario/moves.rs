//! How one grid point moves the market: spot, the SPX vol shift, VIX and the horizon
//! ([`Scenario`]); what depends only on a leg and the horizon ([`Horizon`]); and each leg's smile
//! slice, re-read at the new moneyness ([`LegSlices`]).

use crate::book::legs::{LegKind, LinkInputs};
use crate::book::smile::{SmileModel, limit, total_variance};
use crate::math::elementary::{exp, ln};
use crate::runtime::dispatch::{self, Arith, Kernel};
use crate::runtime::parallel::map_chunks;
use crate::scenario::{Context, Dynamics, Grid, LegSmiles};

/// One scenario's market moves (its horizon is handled by [`Horizon`]).
#[derive(Clone, Copy, Debug)]
pub(super) struct Scenario {
    pub(super) spot: f64,
    /// ln S′, e^{ln S′/2} and e^{−ln S′/2}: SPX legs' log-moneyness and e^{±x/2} are sums and
    /// products of these and per-leg columns of [`Horizon`].
    pub(super) log_spot: f64,
    pub(super) root_spot: f64,
    pub(super) inverse_root_spot: f64,
    pub(super) vol_shift: f64,
    pub(super) vix: f64,
    pub(super) vix_change: f64,
    pub(super) vix_vol_factor: f64,
    pub(super) years: f64,
    /// Whether VIX′ fell below its floor of 0.01 and was raised to it.
    pub(super) vix_floored: bool,
}

impl Scenario {
    /// Scenario `local` of the horizon `h` (scenarios of one horizon in (spot, vol, vix) order).
    pub(super) fn at<A: Arith>(grid: &Grid, h: usize, local: usize, link: LinkInputs, dynamics: &Dynamics) -> Scenario {
        let n_vix = grid.vix_level.len().max(1);
        let (rest, vix_index) = (local / n_vix, local % n_vix);
        let (s, v) = (rest / grid.vol_shift.len(), rest % grid.vol_shift.len());
        let spot_factor = 1.0 + grid.spot_shock[s];
        let linked = if dynamics.spot_vol_link { link.vix_spot * (spot_factor.powf(link.log_beta) - 1.0) } else { 0.0 };
        let vol_shift = grid.vol_shift[v] + linked;
        let raw_vix = if grid.vix_level.is_empty() { link.vix_spot + vol_shift } else { grid.vix_level[vix_index] };
        let vix = raw_vix.max(0.01);
        Scenario {
            vol_shift,
            vix,
            vix_floored: raw_vix < 0.01,
            vix_change: vix - link.vix_spot,
            vix_vol_factor: (vix / link.vix_spot).powf(dynamics.vvol_beta),
            years: grid.horizon_days[h] / 365.0,
            ..Scenario::spot::<A>(link.spx_spot * spot_factor)
        }
    }

    /// The null scenario: the same spot columns as [`Scenario::at`] computes at a zero shock.
    pub(super) fn null<A: Arith>(link: LinkInputs) -> Scenario {
        Scenario {
            vol_shift: 0.0,
            vix: link.vix_spot,
            vix_change: 0.0,
            vix_vol_factor: 1.0,
            years: 0.0,
            vix_floored: false,
            ..Scenario::spot::<A>(link.spx_spot)
        }
    }

    /// A scenario at spot `spot` that moves nothing else.
    #[inline(always)]
    fn spot<A: Arith>(spot: f64) -> Scenario {
        let log_spot = ln::<A>(spot);
        Scenario {
            spot,
            log_spot,
            root_spot: exp::<A>(0.5 * log_spot),
            inverse_root_spot: exp::<A>(-0.5 * log_spot),
            vol_shift: 0.0,
            vix: 0.0,
            vix_change: 0.0,
            vix_vol_factor: 1.0,
            years: 0.0,
            vix_floored: false,
        }
    }
}

/// What depends on a leg and the horizon only: remaining time, its root, the discount factors.
pub(super) struct Horizon {
    pub(super) time: Vec<f64>,
    pub(super) root_time: Vec<f64>,
    pub(super) discount: Vec<f64>,
    /// F′/U′: e^{(r−q)T′} for SPX options, 1 for VIX legs.
    pub(super) carry: Vec<f64>,
    /// Each leg's rate (a column or one value).
    pub(super) rate: Vec<f64>,
    /// SPX options: ln(F′/(S′K)) = (r−q)T′ − ln K, so that x = ln(F′/K) = ln S′ + this; 0 for
    /// VIX legs.
    pub(super) log_carry_moneyness: Vec<f64>,
    /// e^{±½·log_carry_moneyness}: with √S′ and 1/√S′, e^{±x/2} without an exp.
    pub(super) root_carry_moneyness: Vec<f64>,
    pub(super) inverse_root_carry_moneyness: Vec<f64>,
    /// 0.01 (vol points) times the vol shift's scale, √(30/DTE) or 1.
    pub(super) shift_scale: Vec<f64>,
}

impl Horizon {
    pub(super) fn new(context: &Context, years: f64) -> Horizon {
        let rows = context.legs.kind.len();
        let parts = map_chunks(rows, (), &|range, ()| dispatch::run(HorizonKernel { context, years, range }));
        let mut horizon = Horizon::zeros(0);
        for part in parts {
            horizon.time.extend(part.time);
            horizon.root_time.extend(part.root_time);
            horizon.discount.extend(part.discount);
            horizon.carry.extend(part.carry);
            horizon.rate.extend(part.rate);
            horizon.log_carry_moneyness.extend(part.log_carry_moneyness);
            horizon.root_carry_moneyness.extend(part.root_carry_moneyness);
            horizon.inverse_root_carry_moneyness.extend(part.inverse_root_carry_moneyness);
            horizon.shift_scale.extend(part.shift_scale);
        }
        horizon
    }

    fn zeros(rows: usize) -> Horizon {
        Horizon {
            time: vec![0.0; rows],
            root_time: vec![0.0; rows],
            discount: vec![0.0; rows],
            carry: vec![0.0; rows],
            rate: vec![0.0; rows],
            log_carry_moneyness: vec![0.0; rows],
            root_carry_moneyness: vec![0.0; rows],
            inverse_root_carry_moneyness: vec![0.0; rows],
            shift_scale: vec![0.0; rows],
        }
    }
}

struct HorizonKernel<'a> {
    context: &'a Context<'a>,
    years: f64,
    range: std::ops::Range<usize>,
}

impl Kernel for HorizonKernel<'_> {
    type Output = Horizon;

    #[inline(always)]
    fn run<A: Arith>(self) -> Horizon {
        let legs = self.context.legs;
        let n = self.range.len();
        let mut h = Horizon::zeros(n);
        let mut rates = vec![0.0; n];
        legs.rate.gather(self.range.start, &mut rates);
        let (kind, time_to_expiry, div_yield, strike, dte) = (
            &legs.kind[self.range.clone()],
            &legs.time_to_expiry[self.range.clone()],
            &legs.div_yield[self.range.clone()],
            &legs.strike[self.range.clone()],
            &legs.dte[self.range.clone()],
        );
        let (rates, kind, time_to_expiry, div_yield, strike, dte) =
            (&rates[..n], &kind[..n], &time_to_expiry[..n], &div_yield[..n], &strike[..n], &dte[..n]);
        let (times, roots, discounts, carries) =
            (&mut h.time[..n], &mut h.root_time[..n], &mut h.discount[..n], &mut h.carry[..n]);
        let (log_moneyness, root_moneyness, inverse_root_moneyness, shift_scale) = (
            &mut h.log_carry_moneyness[..n],
            &mut h.root_carry_moneyness[..n],
            &mut h.inverse_root_carry_moneyness[..n],
            &mut h.shift_scale[..n],
        );
        let scale_by_sqrt_time = self.context.dynamics.scale_by_sqrt_time;
        for i in 0..n {
            let rate = rates[i];
            let time = time_to_expiry[i] - self.years;
            let time = if time > 0.0 { time } else { 0.0 };
            times[i] = time;
            roots[i] = time.sqrt();
            discounts[i] = exp::<A>(-rate * time);
            let spx = kind[i] == LegKind::SpxOption as u8;
            // S&P 500 futures are the forward S′·carry (no strike, so no moneyness).
            let on_spx = spx | (kind[i] == LegKind::SpxFuture as u8);
            carries[i] = if on_spx { exp::<A>((rate - div_yield[i]) * time) } else { 1.0 };
            let log_carry = (rate - div_yield[i]) * time - ln::<A>(strike[i]);
            let log_carry = if spx { log_carry } else { 0.0 };
            log_moneyness[i] = log_carry;
            root_moneyness[i] = exp::<A>(0.5 * log_carry);
            inverse_root_moneyness[i] = exp::<A>(-0.5 * log_carry);
            let days = if dte[i] > 1.0 { dte[i] } else { 1.0 };
            shift_scale[i] = 0.01 * if scale_by_sqrt_time { (30.0 / days).sqrt() } else { 1.0 };
        }
        h.rate.copy_from_slice(rates);
        h
    }
}

/// Per-leg copies (struct of arrays) of the two quoted smiles a leg's slice mixes, so that the
/// hot loops read plain columns instead of looking smiles up in the table.
pub(super) struct LegSlices {
    first_svi: Vec<bool>,
    first: [Vec<f64>; 5],
    second_svi: Vec<bool>,
    second: [Vec<f64>; 5],
    /// 1/T of the time each leg's mixed total variance refers to.
    inverse_time: Vec<f64>,
}

impl LegSlices {
    pub(super) fn new(smiles: &LegSmiles, rows: usize, with_smiles: bool) -> LegSlices {
        let table = &smiles.table;
        let columns = |index: &[u32]| {
            let mut svi = vec![true; rows];
            let mut params: [Vec<f64>; 5] = std::array::from_fn(|_| vec![0.0; rows]);
            for r in 0..rows {
                let i = index[r] as usize;
                if with_smiles && i < table.params.len() {
                    svi[r] = table.model[i] == SmileModel::Svi as u8;
                    for (column, value) in params.iter_mut().zip(table.params[i]) {
                        column[r] = value;
                    }
                }
            }
            (svi, params)
        };
        let (first_svi, first) = columns(smiles.first);
        let (second_svi, second) = columns(smiles.second);
        LegSlices { first_svi, first, second_svi, second, inverse_time: smiles.time.iter().map(|&t| 1.0 / t).collect() }
    }

    /// The vols of legs `[start, start + x.len())` on their smile slices at log-moneyness
    /// k′ = −x (x = ln(F′/K)), into `out`.
    #[inline(always)]
    pub(super) fn vols<A: Arith>(&self, start: usize, x: &[f64], smiles: &LegSmiles, out: &mut [f64]) {
        let n = x.len().min(out.len());
        let end = start + n;
        let (first_svi, second_svi) = (&self.first_svi[start..end], &self.second_svi[start..end]);
        let [a0, a1, a2, a3, a4] = &self.first;
        let (a0, a1, a2, a3, a4) =
            (&a0[start..end], &a1[start..end], &a2[start..end], &a3[start..end], &a4[start..end]);
        let [b0, b1, b2, b3, b4] = &self.second;
        let (b0, b1, b2, b3, b4) =
            (&b0[start..end], &b1[start..end], &b2[start..end], &b3[start..end], &b4[start..end]);
        let (first_weight, second_weight) = (&smiles.first_weight[start..end], &smiles.second_weight[start..end]);
        let inverse_time = &self.inverse_time[start..end];
        let range = smiles.table.k_range;
        for i in 0..n {
            let k = limit(-x[i], range);
            let w = A::mul_add(
                first_weight[i],
                total_variance::<A>(first_svi[i], &[a0[i], a1[i], a2[i], a3[i], a4[i]], k),
                second_weight[i] * total_variance::<A>(second_svi[i], &[b0[i], b1[i], b2[i], b3[i], b4[i]], k),
            );
            out[i] = ((if w > 0.0 { w } else { 0.0 }) * inverse_time[i]).sqrt();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::book::smile::SmileTable;
    use crate::runtime::dispatch::Fused;

    #[test]
    fn leg_slice_vol_mixes_two_smiles_total_variances() {
        let model = [SmileModel::Svi as u8, SmileModel::Quadratic as u8];
        let params = [[0.01, 0.1, -0.7, 0.02, 0.15], [0.14, -0.3, 0.3, 0.25, 0.0]];
        let smiles = LegSmiles {
            table: SmileTable { model: &model, params: &params, k_range: 0.6 },
            first: &[0],
            first_weight: &[0.5],
            second: &[1],
            second_weight: &[0.5],
            time: &[0.25],
        };
        let mut vol = [0.0];
        // Log-moneyness k′ = −x = 0.1.
        LegSlices::new(&smiles, 1, true).vols::<Fused>(0, &[-0.1], &smiles, &mut vol);
        let w = 0.5 * total_variance::<Fused>(true, &params[0], 0.1)
            + 0.5 * total_variance::<Fused>(false, &params[1], 0.1);
        assert!((vol[0] - (w / 0.25).sqrt()).abs() < 1e-15);
    }
}
