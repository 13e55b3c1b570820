//! Scenario grids: full revaluation of every leg under spot shocks × SPX vol shifts × horizons
//! (× optional explicit VIX levels), with the VIX dynamics of docs/method.md (Scenarios and stresses), summed to P&L per scenario
//! per layer — and, on request, a Taylor explain of the same P&L.
//!
//! One scenario (s, Δσ, h[, VIX′]) moves the market as follows:
//!
//! * SPX spot S′ = S·(1 + s); every leg's time to expiry shrinks by h/365 years.
//! * The SPX vol shift in points at 30 days is Δσ, plus — with the spot–vol link — the VIX move a
//!   spot shock alone causes, VIX·((1 + s)^β − 1) (ln(VIX′/VIX) = β·ln(S′/S)). VIX′ = VIX plus
//!   that total (VIX ≈ 100 × the 30-day SPX vol), unless an explicit VIX level is given.
//! * SPX option vols: `sticky_strike` keeps each leg's vol; `sticky_moneyness` re-reads it from
//!   the leg's smile slice at the new log-moneyness k′ = ln(K/F′). The shift is added either
//!   parallel or scaled by √(30/DTE) (DTE floored at 1). Vols are floored at 0.
//! * A VIX future of tenor τ moves by β(τ)·ΔVIX; VIX options are Black-76 on that future, their
//!   vol scaled by (VIX′/VIX)^vvol_beta.
//! * Variance swaps: implied vol shifted like SPX vols; over the horizon, variance accrues at the
//!   scenario's implied vol.
//! * A leg expiring inside the horizon settles at intrinsic — VIX options and futures on VIX′.
//!
//! P&L of a leg = q·m·(V′ − V₀) with V₀ its value in the null scenario computed by the same code,
//! so a zero shock at horizon 0 gives exactly zero P&L. Work is parallel over chunks of scenarios;
//! each scenario's sum over legs runs in one fixed order, so results are bit-identical for any
//! thread count, and nothing of size legs × scenarios is ever held in memory.
//!
//! The explain (per scenario, whole book) splits the P&L into q·m·(Δ·dU + ½Γ·dU² + vega·dσ +
//! θ·dt + vanna·dU·dσ + ½volga·dσ²) — each leg in its own underlying U and vol — and the residual
//! against the full revaluation.

use crate::book::legs::{LegInputs, LegKind, LinkInputs};
use crate::book::risk::{lane_sum, single_layer};
use crate::book::smile::{SmileModel, SmileTable, limit, total_variance};
use crate::error::CoreError;
use crate::math::elementary::{exp, ln};
use crate::option::black::normalised_black_absolute;
use crate::option::european::{Greeks, GreeksSink, Model, Rows, Scratch, greeks_block};
use crate::runtime::dispatch::{self, Arith, BLOCK, Kernel};
use crate::runtime::parallel::{RowMajor, map_chunks, map_chunks_of};

/// Scenarios computed together by one task.
const SCENARIO_CHUNK: usize = 4;

/// The explain terms per scenario, in column order.
pub const EXPLAIN_TERMS: [&str; 7] = ["delta", "gamma", "vega", "theta", "vanna", "volga", "residual"];

/// The grid axes. Scenarios are ordered C-style: spot slowest, then vol, horizon, VIX level.
#[derive(Clone, Copy, Debug)]
pub struct Grid<'a> {
    /// Relative spot shocks (−0.1 = −10 %), each > −1.
    pub spot_shock: &'a [f64],
    /// SPX vol shifts in vol points (at 30 days).
    pub vol_shift: &'a [f64],
    /// Horizons in calendar days, ≥ 0.
    pub horizon_days: &'a [f64],
    /// Explicit VIX levels; empty to derive VIX from the spot and vol shifts.
    pub vix_level: &'a [f64],
}

impl Grid<'_> {
    /// Number of scenarios.
    pub fn len(&self) -> usize {
        self.spot_shock.len() * self.vol_shift.len() * self.horizon_days.len() * self.vix_level.len().max(1)
    }

    /// Whether the grid is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// How vols and VIX move (docs/method.md, Scenarios and stresses).
#[derive(Clone, Copy, Debug)]
pub struct Dynamics {
    /// Re-read SPX vols from the smile at the new moneyness (else keep each leg's vol).
    pub sticky_moneyness: bool,
    /// Scale vol shifts by √(30/DTE) (else parallel).
    pub scale_by_sqrt_time: bool,
    /// A spot shock alone moves SPX vols and VIX through the log-beta.
    pub spot_vol_link: bool,
    /// VIX-option vol moves as (VIX′/VIX)^vvol_beta.
    pub vvol_beta: f64,
}

/// Each leg's smile slice (SPX options; ignored for other legs).
#[derive(Clone, Copy, Debug)]
pub struct LegSmiles<'a> {
    /// The quoted smiles.
    pub table: SmileTable<'a>,
    /// First smile of each leg's slice.
    pub first: &'a [u32],
    /// Its weight.
    pub first_weight: &'a [f64],
    /// Second smile.
    pub second: &'a [u32],
    /// Its weight.
    pub second_weight: &'a [f64],
    /// Time the mixed total variance refers to.
    pub time: &'a [f64],
}

/// One scenario's market moves (its horizon is handled by [`Horizon`]).
#[derive(Clone, Copy, Debug)]
struct Scenario {
    spot: f64,
    /// ln S′, e^{ln S′/2} and e^{−ln S′/2}: SPX legs' log-moneyness and e^{±x/2} are sums and
    /// products of these and per-leg columns of [`Horizon`].
    log_spot: f64,
    root_spot: f64,
    inverse_root_spot: f64,
    vol_shift: f64,
    vix: f64,
    vix_change: f64,
    vix_vol_factor: f64,
    years: f64,
}

impl Scenario {
    /// Scenario `local` of the horizon `h` (scenarios of one horizon in (spot, vol, vix) order).
    fn at<A: Arith>(grid: &Grid, h: usize, local: usize, link: LinkInputs, dynamics: &Dynamics) -> Scenario {
        let n_vix = grid.vix_level.len().max(1);
        let (rest, vix_index) = (local / n_vix, local % n_vix);
        let (s, v) = (rest / grid.vol_shift.len(), rest % grid.vol_shift.len());
        let spot_factor = 1.0 + grid.spot_shock[s];
        let linked = if dynamics.spot_vol_link { link.vix_spot * (spot_factor.powf(link.log_beta) - 1.0) } else { 0.0 };
        let vol_shift = grid.vol_shift[v] + linked;
        let vix = if grid.vix_level.is_empty() { link.vix_spot + vol_shift } else { grid.vix_level[vix_index] };
        let vix = vix.max(0.01);
        Scenario {
            vol_shift,
            vix,
            vix_change: vix - link.vix_spot,
            vix_vol_factor: (vix / link.vix_spot).powf(dynamics.vvol_beta),
            years: grid.horizon_days[h] / 365.0,
            ..Scenario::spot::<A>(link.spx_spot * spot_factor)
        }
    }

    /// The null scenario: the same spot columns as [`Scenario::at`] computes at a zero shock.
    fn null<A: Arith>(link: LinkInputs) -> Scenario {
        Scenario {
            vol_shift: 0.0,
            vix: link.vix_spot,
            vix_change: 0.0,
            vix_vol_factor: 1.0,
            years: 0.0,
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
        }
    }
}

/// What depends on a leg and the horizon only: remaining time, its root, the discount factors.
struct Horizon {
    time: Vec<f64>,
    root_time: Vec<f64>,
    discount: Vec<f64>,
    /// F′/U′: e^{(r−q)T′} for SPX options, 1 for VIX legs.
    carry: Vec<f64>,
    /// Each leg's rate (a column or one value).
    rate: Vec<f64>,
    /// SPX options: ln(F′/(S′K)) = (r−q)T′ − ln K, so that x = ln(F′/K) = ln S′ + this; 0 for
    /// VIX legs.
    log_carry_moneyness: Vec<f64>,
    /// e^{±½·log_carry_moneyness}: with √S′ and 1/√S′, e^{±x/2} without an exp.
    root_carry_moneyness: Vec<f64>,
    inverse_root_carry_moneyness: Vec<f64>,
    /// 0.01 (vol points) times the vol shift's scale, √(30/DTE) or 1.
    shift_scale: Vec<f64>,
}

impl Horizon {
    fn new(context: &Context, years: f64) -> Horizon {
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
            carries[i] = if spx { exp::<A>((rate - div_yield[i]) * time) } else { 1.0 };
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

/// Each leg's null-scenario value through the scenario pricer (so a null scenario's P&L is
/// exactly 0) and, for the explain, its raw Greeks and the underlying and vol they were taken
/// at (the explain measures moves from these, so the null scenario explains to exactly 0).
struct Base {
    value: Vec<f64>,
    greeks: Vec<Greeks>,
    underlying: Vec<f64>,
    vol: Vec<f64>,
}

fn base_values(context: &Context, with_greeks: bool) -> Base {
    let rows = context.legs.kind.len();
    let horizon = Horizon::new(context, 0.0);
    let parts =
        map_chunks(rows, (), &|range, ()| dispatch::run(BaseKernel { context, horizon: &horizon, range, with_greeks }));
    let mut base =
        Base { value: Vec::with_capacity(rows), greeks: Vec::new(), underlying: Vec::new(), vol: Vec::new() };
    for part in parts {
        base.value.extend(part.value);
        base.greeks.extend(part.greeks);
        base.underlying.extend(part.underlying);
        base.vol.extend(part.vol);
    }
    base
}

struct BaseKernel<'a> {
    context: &'a Context<'a>,
    horizon: &'a Horizon,
    range: std::ops::Range<usize>,
    with_greeks: bool,
}

impl Kernel for BaseKernel<'_> {
    type Output = Base;

    #[inline(always)]
    fn run<A: Arith>(self) -> Self::Output {
        let legs = self.context.legs;
        let null = Scenario::null::<A>(self.context.link);
        let mut base = Base {
            value: Vec::with_capacity(self.range.len()),
            greeks: Vec::new(),
            underlying: Vec::new(),
            vol: Vec::new(),
        };
        let mut work = Workspace::new();
        let mut start = self.range.start;
        while start < self.range.end {
            let end = (start + BLOCK).min(self.range.end);
            if self.context.dynamics.sticky_moneyness {
                work.revalue::<A, true>(self.context, self.horizon, &null, start, end);
            } else {
                work.revalue::<A, false>(self.context, self.horizon, &null, start, end);
            }
            base.value.extend_from_slice(&work.value[..end - start]);
            if self.with_greeks {
                let n = end - start;
                base.underlying.extend_from_slice(&work.underlying[..n]);
                base.vol.extend_from_slice(&work.vol[..n]);
                let rows = Rows {
                    underlying: &work.underlying[..n],
                    strike: &legs.strike[start..end],
                    time: &legs.time_to_expiry[start..end],
                    vol: &work.vol[..n],
                    rate: &work.rate[..n],
                    div_yield: &work.div_yield[..n],
                    is_call: &legs.is_call[start..end],
                };
                let mut sink = GreeksCollector(&mut work.greeks);
                greeks_block::<A, _>(Model::Bsm, &rows, &mut work.scratch, &mut sink);
                for i in 0..n {
                    let row = start + i;
                    let kind = legs.kind[row];
                    let mut g = work.greeks[i];
                    if kind == LegKind::VixFuture as u8 {
                        g = Greeks { price: work.underlying[i], delta: 1.0, ..Greeks::default() };
                    } else if kind == LegKind::VarianceSwap as u8 {
                        g = Greeks { price: work.value[i], vega: work.swap_vega[i], ..Greeks::default() };
                    }
                    base.greeks.push(g);
                }
            }
            start = end;
        }
        base
    }
}

struct GreeksCollector<'a>(&'a mut [Greeks; BLOCK]);

impl GreeksSink for GreeksCollector<'_> {
    #[inline(always)]
    fn put(&mut self, row: usize, greeks: &Greeks) {
        self.0[row] = *greeks;
    }
}

/// Per-block buffers: the scenario's inputs of each leg (its underlying and vol, for the
/// explain) and its value per unit.
struct Workspace {
    underlying: [f64; BLOCK],
    vol: [f64; BLOCK],
    rate: [f64; BLOCK],
    div_yield: [f64; BLOCK],
    value: [f64; BLOCK],
    swap_vega: [f64; BLOCK],
    greeks: [Greeks; BLOCK],
    scratch: Scratch,
}

impl Workspace {
    fn new() -> Box<Workspace> {
        Box::new(Workspace {
            underlying: [0.0; BLOCK],
            vol: [0.0; BLOCK],
            rate: [0.0; BLOCK],
            div_yield: [0.0; BLOCK],
            value: [0.0; BLOCK],
            swap_vega: [0.0; BLOCK],
            greeks: [Greeks::default(); BLOCK],
            scratch: Scratch::default(),
        })
    }

    /// Value legs `[start, end)` (per unit) under `scenario` at `horizon`, into `value`. Short
    /// passes (inputs, smile, vols, the normalised Black function, assembly) that each vectorise.
    /// A block of SPX options only skips the VIX legs' logarithm and exponential and the variance
    /// swaps; SPX legs get the same values on either path, so blocks may be cut anywhere.
    #[inline(always)]
    fn revalue<A: Arith, const STICKY_MONEYNESS: bool>(
        &mut self,
        context: &Context,
        horizon: &Horizon,
        scenario: &Scenario,
        start: usize,
        end: usize,
    ) {
        let (legs, smiles) = (context.legs, context.smiles);
        let n = (end - start).min(BLOCK);
        let end = start + n;
        let kind = &legs.kind[start..end];
        let strike = &legs.strike[start..end];
        let base_vol = &legs.vol[start..end];
        let (time, root_time, carry) =
            (&horizon.time[start..end], &horizon.root_time[start..end], &horizon.carry[start..end]);
        let (log_carry, root_carry, inverse_root_carry) = (
            &horizon.log_carry_moneyness[start..end],
            &horizon.root_carry_moneyness[start..end],
            &horizon.inverse_root_carry_moneyness[start..end],
        );
        let spx_only = kind.iter().fold(true, |all, &k| all & (k == LegKind::SpxOption as u8));
        let with_swaps = kind.iter().fold(false, |any, &k| any | (k == LegKind::VarianceSwap as u8));
        // x = ln(F′/K) and e^{x/2}, e^{−x/2}: for SPX options from the spot's and the leg's
        // columns (F′ = S′·carry), for VIX legs from their future.
        let mut forward = [0.0; BLOCK];
        let mut log_moneyness = [0.0; BLOCK];
        let mut up = [0.0; BLOCK];
        let mut down = [0.0; BLOCK];
        if spx_only {
            for i in 0..n {
                forward[i] = scenario.spot * carry[i];
                log_moneyness[i] = scenario.log_spot + log_carry[i];
                up[i] = scenario.root_spot * root_carry[i];
                down[i] = scenario.inverse_root_spot * inverse_root_carry[i];
                self.underlying[i] = scenario.spot;
            }
        } else {
            let (base_underlying, term_beta) = (&legs.underlying[start..end], &legs.term_beta[start..end]);
            for i in 0..n {
                let spx = kind[i] == LegKind::SpxOption as u8;
                // VIX legs: the future moves by β(τ)·ΔVIX and converges to VIX′ at expiry.
                let future = A::mul_add(term_beta[i], scenario.vix_change, base_underlying[i]);
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
                forward[i] = if spx { scenario.spot * carry[i] } else { future };
                log_moneyness[i] = if spx { scenario.log_spot + log_carry[i] } else { x };
                up[i] = if spx {
                    scenario.root_spot * root_carry[i]
                } else if x > 0.0 {
                    inverse
                } else {
                    half
                };
                down[i] = if spx {
                    scenario.inverse_root_spot * inverse_root_carry[i]
                } else if x > 0.0 {
                    half
                } else {
                    inverse
                };
                self.underlying[i] = if spx { scenario.spot } else { future };
            }
        }
        // SPX vols: each leg's own, or its smile slice at k′ = ln(K/F′) = −x.
        let mut smile_vol = [0.0; BLOCK];
        if STICKY_MONEYNESS {
            context.slices.vols::<A>(start, &log_moneyness[..n], smiles, &mut smile_vol[..n]);
        } else {
            smile_vol[..n].copy_from_slice(base_vol);
        }
        let shift_scale = &horizon.shift_scale[start..end];
        let mut abs_x = [0.0; BLOCK];
        let mut total_vol = [0.0; BLOCK];
        let mut half_moneyness = [0.0; BLOCK];
        let mut inverse_half_moneyness = [0.0; BLOCK];
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
            let vol = if vol > 0.0 { vol } else { 0.0 };
            abs_x[i] = log_moneyness[i].abs();
            total_vol[i] = vol * root_time[i];
            // e^{∓|x|/2}: the smaller and the larger of e^{x/2} and e^{−x/2}.
            half_moneyness[i] = if up[i] < down[i] { up[i] } else { down[i] };
            inverse_half_moneyness[i] = if up[i] < down[i] { down[i] } else { up[i] };
            self.vol[i] = vol;
        }
        let mut time_value = [0.0; BLOCK];
        for i in 0..n {
            let s = if total_vol[i] > 0.0 { total_vol[i] } else { 1.0 };
            let b = normalised_black_absolute::<A>(abs_x[i], s, half_moneyness[i], inverse_half_moneyness[i]);
            time_value[i] = if total_vol[i] > 0.0 { b } else { 0.0 };
        }
        let is_call = &legs.is_call[start..end];
        let discount = &horizon.discount[start..end];
        let rate = &horizon.rate[start..end];
        let div_yield = &legs.div_yield[start..end];
        for i in 0..n {
            // √(F·K) = K·e^{x/2}.
            let root = strike[i] * up[i];
            let theta_sign = if is_call[i] { 1.0 } else { -1.0 };
            let intrinsic = theta_sign * (forward[i] - strike[i]);
            let intrinsic = if intrinsic > 0.0 { intrinsic } else { 0.0 };
            let option = discount[i] * A::mul_add(root, time_value[i], intrinsic);
            let future = kind[i] == LegKind::VixFuture as u8;
            self.value[i] = if future { self.underlying[i] } else { option };
            self.rate[i] = rate[i];
            // For the explain's Greeks: Black-76 on F is BSM on F with q = r.
            self.div_yield[i] = if kind[i] == LegKind::SpxOption as u8 { div_yield[i] } else { rate[i] };
        }
        if with_swaps {
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
        } else {
            self.swap_vega[..n].fill(0.0);
        }
    }
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

/// P&L per scenario and layer into `pnl` (`scenarios × layers`, row-major), and the book's
/// explain terms into `explain` (`scenarios × 7`, [`EXPLAIN_TERMS`]) when given.
pub fn scenario_pnl(
    legs: &LegInputs,
    smiles: &LegSmiles,
    link: LinkInputs,
    layers: usize,
    grid: &Grid,
    dynamics: &Dynamics,
    pnl: &mut [f64],
    mut explain: Option<&mut [f64]>,
) -> Result<(), CoreError> {
    legs.check(layers)?;
    let rows = legs.kind.len();
    for (argument, length) in [
        ("smile first", smiles.first.len()),
        ("smile first_weight", smiles.first_weight.len()),
        ("smile second", smiles.second.len()),
        ("smile second_weight", smiles.second_weight.len()),
        ("smile time", smiles.time.len()),
    ] {
        if length != rows {
            return Err(CoreError::Length { argument, length, expected: rows });
        }
    }
    let n_smiles = smiles.table.model.len();
    if smiles.table.params.len() != n_smiles {
        return Err(CoreError::Length {
            argument: "smile params",
            length: smiles.table.params.len(),
            expected: n_smiles,
        });
    }
    let outside = |r: usize| smiles.first[r] as usize >= n_smiles || smiles.second[r] as usize >= n_smiles;
    if dynamics.sticky_moneyness {
        if let Some(row) = (0..rows).find(|&r| legs.kind[r] == LegKind::SpxOption as u8 && outside(r)) {
            return Err(CoreError::Domain {
                argument: "smile index",
                row,
                value: f64::from(smiles.first[row].max(smiles.second[row])),
                allowed: "an index into the smile table",
            });
        }
    }
    check_axis("spot_shock", grid.spot_shock, |v| v > -1.0, "> -1 (a relative move)")?;
    check_axis("vol_shift", grid.vol_shift, f64::is_finite, "finite (vol points)")?;
    check_axis("horizon_days", grid.horizon_days, |v| v >= 0.0, ">= 0 (calendar days)")?;
    check_axis("vix_level", grid.vix_level, |v| v > 0.0, "> 0 (index points)")?;
    let scenarios = grid.len();
    if pnl.len() != scenarios * layers {
        return Err(CoreError::Length { argument: "pnl", length: pnl.len(), expected: scenarios * layers });
    }
    let width = EXPLAIN_TERMS.len();
    if let Some(e) = &explain {
        if e.len() != scenarios * width {
            return Err(CoreError::Length { argument: "explain", length: e.len(), expected: scenarios * width });
        }
    }
    if scenarios == 0 {
        return Ok(());
    }

    let slices = LegSlices::new(smiles, rows, dynamics.sticky_moneyness);
    let context = Context { legs, smiles, slices, link, layers, dynamics: *dynamics };
    let base = base_values(&context, explain.is_some());
    // Scenarios are computed one horizon at a time: what depends only on time (T′, √T′, the
    // discount factors) is computed once per leg and horizon. Results land in horizon-major order
    // and are then put in the grid's order.
    let (n_h, n_v, n_x) = (grid.horizon_days.len(), grid.vol_shift.len(), grid.vix_level.len().max(1));
    let per_horizon = scenarios / n_h;
    let mut by_horizon = vec![0.0; scenarios * layers];
    let mut explain_by_horizon = explain.as_ref().map(|_| vec![0.0; scenarios * width]);
    for (h, pnl_part) in by_horizon.chunks_mut(per_horizon * layers).enumerate() {
        let horizon = Horizon::new(&context, grid.horizon_days[h] / 365.0);
        let explain_part = explain_by_horizon
            .as_mut()
            .map(|e| RowMajor { data: &mut e[h * per_horizon * width..(h + 1) * per_horizon * width], width });
        let outputs = (RowMajor { data: pnl_part, width: layers }, explain_part);
        map_chunks_of(SCENARIO_CHUNK, per_horizon, outputs, &|range, (pnl, explain)| {
            dispatch::run(ScenarioKernel {
                context: &context,
                base: &base,
                horizon: &horizon,
                grid,
                h,
                range,
                pnl,
                explain,
            })
        });
    }
    // Horizon-major (h, s, v, x) → the grid's order (s, v, h, x).
    for h in 0..n_h {
        for local in 0..per_horizon {
            let (spot_vol, x) = (local / n_x, local % n_x);
            let (s, v) = (spot_vol / n_v, spot_vol % n_v);
            let target = ((s * n_v + v) * n_h + h) * n_x + x;
            let source = h * per_horizon + local;
            pnl[target * layers..(target + 1) * layers]
                .copy_from_slice(&by_horizon[source * layers..(source + 1) * layers]);
            if let (Some(out), Some(e)) = (explain.as_deref_mut(), explain_by_horizon.as_ref()) {
                out[target * width..(target + 1) * width].copy_from_slice(&e[source * width..(source + 1) * width]);
            }
        }
    }
    Ok(())
}

fn check_axis(
    argument: &'static str,
    values: &[f64],
    ok: impl Fn(f64) -> bool,
    allowed: &'static str,
) -> Result<(), CoreError> {
    match values.iter().position(|&v| !ok(v)) {
        Some(row) => Err(CoreError::Domain { argument, row, value: values[row], allowed }),
        None => Ok(()),
    }
}

struct Context<'a> {
    legs: &'a LegInputs<'a>,
    smiles: &'a LegSmiles<'a>,
    /// Each leg's two smiles' parameters, copied out of the table (no lookups in hot loops).
    slices: LegSlices,
    link: LinkInputs,
    layers: usize,
    dynamics: Dynamics,
}

/// Per-leg copies (struct of arrays) of the two quoted smiles a leg's slice mixes, so that the
/// hot loops read plain columns instead of looking smiles up in the table.
struct LegSlices {
    first_svi: Vec<bool>,
    first: [Vec<f64>; 5],
    second_svi: Vec<bool>,
    second: [Vec<f64>; 5],
    /// 1/T of the time each leg's mixed total variance refers to.
    inverse_time: Vec<f64>,
}

impl LegSlices {
    fn new(smiles: &LegSmiles, rows: usize, with_smiles: bool) -> LegSlices {
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
    fn vols<A: Arith>(&self, start: usize, x: &[f64], smiles: &LegSmiles, out: &mut [f64]) {
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

struct ScenarioKernel<'a, 'o> {
    context: &'a Context<'a>,
    base: &'a Base,
    horizon: &'a Horizon,
    grid: &'a Grid<'a>,
    h: usize,
    range: std::ops::Range<usize>,
    pnl: RowMajor<'o>,
    explain: Option<RowMajor<'o>>,
}

impl Kernel for ScenarioKernel<'_, '_> {
    type Output = ();

    #[inline(always)]
    fn run<A: Arith>(self) {
        let context = self.context;
        let legs = context.legs;
        let rows = legs.kind.len();
        let mut work = Workspace::new();
        let mut explain = self.explain;
        for (local, index) in self.range.clone().enumerate() {
            let scenario = Scenario::at::<A>(self.grid, self.h, index, context.link, &context.dynamics);
            let pnl = &mut self.pnl.data[local * context.layers..(local + 1) * context.layers];
            pnl.fill(0.0);
            let mut terms = [0.0; EXPLAIN_TERMS.len()];
            let mut start = 0;
            while start < rows {
                let end = (start + BLOCK).min(rows);
                if context.dynamics.sticky_moneyness {
                    work.revalue::<A, true>(context, self.horizon, &scenario, start, end);
                } else {
                    work.revalue::<A, false>(context, self.horizon, &scenario, start, end);
                }
                add_block_pnl(legs, &self.base.value[start..end], &work.value, start, pnl);
                if explain.is_some() {
                    explain_block(context, self.base, &work, &scenario, start, end, &mut terms);
                }
                start = end;
            }
            if let Some(e) = explain.as_mut() {
                let total: f64 = pnl.iter().sum();
                let taylor: f64 = terms[..6].iter().sum();
                terms[6] = total - taylor;
                let width = EXPLAIN_TERMS.len();
                e.data[local * width..(local + 1) * width].copy_from_slice(&terms);
            }
        }
    }
}

/// Add a block's P&L, q·m·(V′ − V₀), to the layers: in eight fixed lanes when the block is one
/// layer (vectorised, deterministic), row by row otherwise.
#[inline(always)]
fn add_block_pnl(legs: &LegInputs, base: &[f64], value: &[f64; BLOCK], start: usize, pnl: &mut [f64]) {
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

/// Accumulate the book's Taylor terms for legs `[start, end)`: each leg in its own underlying
/// (SPX spot or its VIX future) and vol.
#[inline(always)]
fn explain_block(
    context: &Context,
    base: &Base,
    work: &Workspace,
    scenario: &Scenario,
    start: usize,
    end: usize,
    terms: &mut [f64; EXPLAIN_TERMS.len()],
) {
    let legs = context.legs;
    for i in 0..end - start {
        let row = start + i;
        let g = &base.greeks[row];
        let size = legs.quantity[row] * legs.multiplier[row];
        let d_underlying = work.underlying[i] - base.underlying[row];
        let d_vol = if legs.kind[row] == LegKind::VixFuture as u8 { 0.0 } else { work.vol[i] - base.vol[row] };
        terms[0] += size * g.delta * d_underlying;
        terms[1] += size * 0.5 * g.gamma * d_underlying * d_underlying;
        terms[2] += size * g.vega * d_vol;
        terms[3] += size * g.theta * scenario.years;
        terms[4] += size * g.vanna * d_underlying * d_vol;
        terms[5] += size * 0.5 * g.volga * d_vol * d_vol;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
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
