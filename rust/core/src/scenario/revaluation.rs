//! Revaluation: every leg's value per unit under one scenario, a block of legs at a time, in
//! short passes that each vectorise — the moved underlyings and moneyness, the smile, the shifted
//! vols, the normalised Black function, the assembled values, the variance swaps — and the
//! block's P&L against the null scenario.

use crate::book::legs::{LegInputs, LegKind};
use crate::book::risk::{lane_sum, single_layer};
use crate::math::elementary::{exp, ln};
use crate::option::black::normalised_black_absolute;
use crate::option::european::{Greeks, Scratch};
use crate::runtime::dispatch::{Arith, BLOCK};
use crate::scenario::Context;
use crate::scenario::moves::{Horizon, Scenario};

/// Per-block buffers: the scenario's inputs of each leg (its underlying and vol, for the
/// explain) and its value per unit.
pub(super) struct Workspace {
    pub(super) underlying: [f64; BLOCK],
    pub(super) vol: [f64; BLOCK],
    pub(super) rate: [f64; BLOCK],
    pub(super) div_yield: [f64; BLOCK],
    pub(super) value: [f64; BLOCK],
    pub(super) swap_vega: [f64; BLOCK],
    /// 1 where a leg was valued on a floored input (its vol raised to 0, its VIX future to 0.01,
    /// or, for VIX legs, VIX′ to 0.01), else 0.
    pub(super) floored: [u32; BLOCK],
    pub(super) greeks: [Greeks; BLOCK],
    pub(super) scratch: Scratch,
}

/// A block's forwards F′ and x = ln(F′/K) with e^{x/2} (`up`) and e^{−x/2} (`down`).
struct Moneyness {
    forward: [f64; BLOCK],
    log: [f64; BLOCK],
    up: [f64; BLOCK],
    down: [f64; BLOCK],
}

impl Workspace {
    pub(super) fn new() -> Box<Workspace> {
        Box::new(Workspace {
            underlying: [0.0; BLOCK],
            vol: [0.0; BLOCK],
            rate: [0.0; BLOCK],
            div_yield: [0.0; BLOCK],
            value: [0.0; BLOCK],
            swap_vega: [0.0; BLOCK],
            floored: [0; BLOCK],
            greeks: [Greeks::default(); BLOCK],
            scratch: Scratch::default(),
        })
    }

    /// Value legs `[start, end)` (per unit) under `scenario` at `horizon`, into `value`, their
    /// vols re-read from the smile when the dynamics are sticky-moneyness; `floored` marks the
    /// legs valued on a floored input.
    #[inline(always)]
    pub(super) fn revalue<A: Arith>(
        &mut self,
        context: &Context,
        horizon: &Horizon,
        scenario: &Scenario,
        start: usize,
        end: usize,
    ) {
        if context.dynamics.sticky_moneyness {
            self.revalue_with::<A, true>(context, horizon, scenario, start, end);
        } else {
            self.revalue_with::<A, false>(context, horizon, scenario, start, end);
        }
    }

    /// [`Workspace::revalue`] with the smile choice fixed at compile time. A block of SPX options
    /// only skips the VIX legs' logarithm and exponential and the variance swaps; SPX legs get the
    /// same values on either path, so blocks may be cut anywhere.
    #[inline(always)]
    fn revalue_with<A: Arith, const STICKY_MONEYNESS: bool>(
        &mut self,
        context: &Context,
        horizon: &Horizon,
        scenario: &Scenario,
        start: usize,
        end: usize,
    ) {
        let legs = context.legs;
        let n = (end - start).min(BLOCK);
        let moneyness = self.move_underlyings::<A>(legs, horizon, scenario, start, n);
        // SPX vols: each leg's own, or its smile slice at k′ = ln(K/F′) = −x.
        let mut smile_vol = [0.0; BLOCK];
        if STICKY_MONEYNESS {
            context.slices.vols::<A>(start, &moneyness.log[..n], context.smiles, &mut smile_vol[..n]);
        } else {
            smile_vol[..n].copy_from_slice(&legs.vol[start..start + n]);
        }
        self.shift_vols(legs, horizon, scenario, &smile_vol, start, n);
        let time_value = time_values::<A>(&moneyness, &self.vol, &horizon.root_time[start..start + n]);
        self.assemble::<A>(legs, horizon, &moneyness, &time_value, start, n);
        self.value_variance_swaps::<A>(legs, horizon, scenario, start, n);
    }

    /// Each leg's underlying U′ (into `underlying`) and its moneyness: for SPX options from the
    /// spot's and the leg's columns (F′ = S′·carry), for VIX legs from their future.
    #[inline(always)]
    fn move_underlyings<A: Arith>(
        &mut self,
        legs: &LegInputs,
        horizon: &Horizon,
        scenario: &Scenario,
        start: usize,
        n: usize,
    ) -> Moneyness {
        let end = start + n;
        let kind = &legs.kind[start..end];
        let strike = &legs.strike[start..end];
        let (time, carry) = (&horizon.time[start..end], &horizon.carry[start..end]);
        let (log_carry, root_carry, inverse_root_carry) = (
            &horizon.log_carry_moneyness[start..end],
            &horizon.root_carry_moneyness[start..end],
            &horizon.inverse_root_carry_moneyness[start..end],
        );
        // SPX options and S&P 500 futures move with spot (a future's moneyness columns are 0).
        let on_spx = |k: u8| (k == LegKind::SpxOption as u8) | (k == LegKind::SpxFuture as u8);
        let spx_only = kind.iter().fold(true, |all, &k| all & on_spx(k));
        let mut m = Moneyness { forward: [0.0; BLOCK], log: [0.0; BLOCK], up: [0.0; BLOCK], down: [0.0; BLOCK] };
        if spx_only {
            for i in 0..n {
                m.forward[i] = scenario.spot * carry[i];
                m.log[i] = scenario.log_spot + log_carry[i];
                m.up[i] = scenario.root_spot * root_carry[i];
                m.down[i] = scenario.inverse_root_spot * inverse_root_carry[i];
                self.underlying[i] = scenario.spot;
            }
            self.floored[..n].fill(0);
            return m;
        }
        let (base_underlying, term_beta) = (&legs.underlying[start..end], &legs.term_beta[start..end]);
        for i in 0..n {
            let spx = on_spx(kind[i]);
            // VIX legs: the future moves by β(τ)·ΔVIX and converges to VIX′ at expiry.
            let future = A::mul_add(term_beta[i], scenario.vix_change, base_underlying[i]);
            self.floored[i] = u32::from(!spx && (scenario.vix_floored || (time[i] > 0.0 && future < 0.01)));
            let future = if time[i] == 0.0 {
                scenario.vix
            } else if future > 0.01 {
                future
            } else {
                0.01
            };
            let x = ln::<A>(future / strike[i]);
            let half = exp::<A>(-0.5 * x.abs());
            let inverse = 1.0 / half;
            m.forward[i] = if spx { scenario.spot * carry[i] } else { future };
            m.log[i] = if spx { scenario.log_spot + log_carry[i] } else { x };
            m.up[i] = if spx {
                scenario.root_spot * root_carry[i]
            } else if x > 0.0 {
                inverse
            } else {
                half
            };
            m.down[i] = if spx {
                scenario.inverse_root_spot * inverse_root_carry[i]
            } else if x > 0.0 {
                half
            } else {
                inverse
            };
            self.underlying[i] = if spx { scenario.spot } else { future };
        }
        m
    }

    /// Each leg's scenario vol into `vol`: SPX options and variance swaps shifted by the
    /// scenario's vol shift (scaled per leg), VIX legs scaled by the vol-of-vol factor; floored at 0.
    #[inline(always)]
    fn shift_vols(
        &mut self,
        legs: &LegInputs,
        horizon: &Horizon,
        scenario: &Scenario,
        smile_vol: &[f64; BLOCK],
        start: usize,
        n: usize,
    ) {
        let end = start + n;
        let (kind, base_vol) = (&legs.kind[start..end], &legs.vol[start..end]);
        let shift_scale = &horizon.shift_scale[start..end];
        for i in 0..n {
            let spx = kind[i] == LegKind::SpxOption as u8;
            let shift = shift_scale[i] * scenario.vol_shift;
            let swap = kind[i] == LegKind::VarianceSwap as u8;
            let vol = if spx {
                smile_vol[i] + shift
            } else if swap {
                base_vol[i] + shift
            } else {
                base_vol[i] * scenario.vix_vol_factor
            };
            self.vol[i] = if vol > 0.0 { vol } else { 0.0 };
            self.floored[i] |= u32::from(vol < 0.0);
        }
    }

    /// Each option's value per unit, e^{−rT′}·(√(F′K)·b + intrinsic), into `value` (futures:
    /// their price, for S&P 500 futures the forward F′), and the rate and yield the explain's Greeks are taken at.
    #[inline(always)]
    fn assemble<A: Arith>(
        &mut self,
        legs: &LegInputs,
        horizon: &Horizon,
        moneyness: &Moneyness,
        time_value: &[f64; BLOCK],
        start: usize,
        n: usize,
    ) {
        let end = start + n;
        let (kind, strike, is_call) = (&legs.kind[start..end], &legs.strike[start..end], &legs.is_call[start..end]);
        let (discount, rate) = (&horizon.discount[start..end], &horizon.rate[start..end]);
        let div_yield = &legs.div_yield[start..end];
        for i in 0..n {
            // √(F·K) = K·e^{x/2}.
            let root = strike[i] * moneyness.up[i];
            let theta_sign = if is_call[i] { 1.0 } else { -1.0 };
            let intrinsic = theta_sign * (moneyness.forward[i] - strike[i]);
            let intrinsic = if intrinsic > 0.0 { intrinsic } else { 0.0 };
            let option = discount[i] * A::mul_add(root, time_value[i], intrinsic);
            let future = kind[i] == LegKind::VixFuture as u8;
            let spx_future = kind[i] == LegKind::SpxFuture as u8;
            // An S&P 500 future is the forward S′·e^{(r−q)T′} (S′ once settled).
            self.value[i] = if future {
                self.underlying[i]
            } else if spx_future {
                moneyness.forward[i]
            } else {
                option
            };
            self.rate[i] = rate[i];
            // For the explain's Greeks: Black-76 on F is BSM on F with q = r.
            let on_spx = (kind[i] == LegKind::SpxOption as u8) | spx_future;
            self.div_yield[i] = if on_spx { div_yield[i] } else { rate[i] };
        }
    }

    /// Variance swaps' values into `value` and their vegas into `swap_vega` (0 for every leg
    /// of a block without swaps).
    #[inline(always)]
    fn value_variance_swaps<A: Arith>(
        &mut self,
        legs: &LegInputs,
        horizon: &Horizon,
        scenario: &Scenario,
        start: usize,
        n: usize,
    ) {
        let end = start + n;
        let kind = &legs.kind[start..end];
        if !kind.iter().fold(false, |any, &k| any | (k == LegKind::VarianceSwap as u8)) {
            self.swap_vega[..n].fill(0.0);
            return;
        }
        let (strike, discount) = (&legs.strike[start..end], &horizon.discount[start..end]);
        let remaining = &legs.remaining_fraction[start..end];
        let time_to_expiry = &legs.time_to_expiry[start..end];
        let accrued = &legs.accrued_variance[start..end];
        for i in 0..n {
            let (swap_value, swap_vega) = variance_swap::<A>(
                remaining[i],
                time_to_expiry[i],
                accrued[i],
                strike[i],
                scenario.years,
                discount[i],
                self.vol[i],
            );
            let swap = kind[i] == LegKind::VarianceSwap as u8;
            self.value[i] = if swap { swap_value } else { self.value[i] };
            self.swap_vega[i] = swap_vega;
        }
    }
}

/// The normalised Black time value b(|x|, σ√T′) of each leg of a block (0 at zero total vol).
#[inline(always)]
fn time_values<A: Arith>(moneyness: &Moneyness, vol: &[f64; BLOCK], root_time: &[f64]) -> [f64; BLOCK] {
    let n = root_time.len().min(BLOCK);
    let mut abs_x = [0.0; BLOCK];
    let mut total_vol = [0.0; BLOCK];
    let mut half_moneyness = [0.0; BLOCK];
    let mut inverse_half_moneyness = [0.0; BLOCK];
    for i in 0..n {
        let (up, down) = (moneyness.up[i], moneyness.down[i]);
        abs_x[i] = moneyness.log[i].abs();
        total_vol[i] = vol[i] * root_time[i];
        // e^{∓|x|/2}: the smaller and the larger of e^{x/2} and e^{−x/2}.
        half_moneyness[i] = if up < down { up } else { down };
        inverse_half_moneyness[i] = if up < down { down } else { up };
    }
    let mut time_value = [0.0; BLOCK];
    for i in 0..n {
        let s = if total_vol[i] > 0.0 { total_vol[i] } else { 1.0 };
        let b = normalised_black_absolute::<A>(abs_x[i], s, half_moneyness[i], inverse_half_moneyness[i]);
        time_value[i] = if total_vol[i] > 0.0 { b } else { 0.0 };
    }
    time_value
}

/// Mark-to-market (per unit of vega notional) and vega per 1.00 of vol of a variance swap with
/// remaining fraction `remaining` of a term `time / remaining`, accrued variance `accrued`,
/// strike vol `strike` and (already shifted) implied vol `implied`: the horizon's variance accrues
/// at the implied vol.
#[inline(always)]
fn variance_swap<A: Arith>(
    remaining: f64,
    time: f64,
    accrued: f64,
    strike: f64,
    years: f64,
    discount: f64,
    implied: f64,
) -> (f64, f64) {
    let term = if remaining > 0.0 { time / remaining } else { 1.0 };
    let remaining_after = remaining - years / term;
    let remaining_after = if remaining_after > 0.0 { remaining_after } else { 0.0 };
    let accrued = A::mul_add(remaining - remaining_after, implied * implied, accrued);
    let value = discount * (accrued + remaining_after * implied * implied - strike * strike) * 100.0 / (2.0 * strike);
    let vega = discount * remaining_after * implied / strike * 100.0;
    (value, vega)
}

/// Add a block's P&L, q·m·(V′ − V₀), to the layers: in eight fixed lanes when the block is one
/// layer (vectorised, deterministic), row by row otherwise.
#[inline(always)]
pub(super) fn add_block_pnl(legs: &LegInputs, base: &[f64], value: &[f64; BLOCK], start: usize, pnl: &mut [f64]) {
    let n = base.len();
    let (quantity, multiplier) = (&legs.quantity[start..start + n], &legs.multiplier[start..start + n]);
    let mut contribution = [0.0; BLOCK];
    for i in 0..n {
        contribution[i] = quantity[i] * multiplier[i] * (value[i] - base[i]);
    }
    let layer = &legs.layer[start..start + n];
    if let Some(first) = single_layer(layer) {
        pnl[first as usize] += lane_sum(&contribution);
    } else {
        for i in 0..n {
            pnl[layer[i] as usize] += contribution[i];
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::dispatch::Fused;

    /// A year-long swap struck at 20 % with half its term left, 4 % of variance accrued, implied
    /// vol 25 %, discounted at 0.97.
    const SWAP: (f64, f64, f64, f64, f64) = (0.5, 0.5, 0.5 * 0.04, 0.2, 0.97);

    #[test]
    fn a_variance_swap_accrues_the_horizon_at_the_implied_vol() {
        let (remaining, time, accrued, strike, discount) = SWAP;
        let implied = 0.25;
        let (now, vega) = variance_swap::<Fused>(remaining, time, accrued, strike, 0.0, discount, implied);
        let expected = discount * (accrued + remaining * implied * implied - strike * strike) * 100.0 / (2.0 * strike);
        assert!((now - expected).abs() < 1e-13 * expected.abs(), "{now} vs {expected}");
        assert!((vega - discount * remaining * implied / strike * 100.0).abs() < 1e-13, "{vega}");
        // A quarter of the term later the variance accrued meanwhile is the implied one: same value.
        let (later, _) = variance_swap::<Fused>(remaining, time, accrued, strike, 0.25, discount, implied);
        assert!((later - now).abs() < 1e-13 * now.abs(), "{later} vs {now}");
        // Past the end nothing remains to move with the vol.
        let (_, expired_vega) = variance_swap::<Fused>(remaining, time, accrued, strike, 1.0, discount, implied);
        assert_eq!(expired_vega, 0.0);
    }
}
