//! Scenario grids: full revaluation of every leg under spot shocks × SPX vol shifts × horizons
//! (× optional explicit VIX levels), with the VIX dynamics of docs/method.md (Scenarios and
//! stresses), summed to P&L per scenario per layer — and, on request, a Taylor explain of the
//! same P&L.
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
//! * VIX′ is floored at 0.01, and so is each VIX future.
//! * A VIX future of tenor τ moves by β(τ)·ΔVIX; VIX options are Black-76 on that future, their
//!   vol scaled by (VIX′/VIX)^vvol_beta.
//! * Variance swaps: implied vol shifted like SPX vols; over the horizon, variance accrues at the
//!   scenario's implied vol.
//! * S&P 500 futures (ES/MES) are the SPX forward F′ = S′·e^{(r−q)(T − h)}; inside the horizon
//!   they settle at S′.
//! * A leg expiring inside the horizon settles at intrinsic — VIX options and futures on VIX′.
//!
//! Each scenario also counts the legs valued on a floored input (a vol raised to 0, a VIX future
//! to 0.01, or — for VIX legs — VIX′ to 0.01), so that callers can say where the floors bit.
//!
//! P&L of a leg = q·m·(V′ − V₀) with V₀ its value in the null scenario computed by the same code,
//! so a zero shock at horizon 0 gives exactly zero P&L. Work is parallel over chunks of scenarios;
//! each scenario's sum over legs runs in one fixed order, so results are bit-identical for any
//! thread count, and nothing of size legs × scenarios is ever held in memory.
//!
//! The explain (per scenario, whole book) splits the P&L into q·m·(Δ·dU + ½Γ·dU² + vega·dσ +
//! θ·dt + vanna·dU·dσ + ½volga·dσ²) — each leg in its own underlying U and vol — and the residual
//! against the full revaluation.
//!
//! Layout: `moves` turns a grid point into market moves (and each leg's time-dependent columns
//! per horizon), `base` values the null scenario, `revaluation` values every leg under a
//! scenario and sums its P&L, `explain` splits that P&L into Taylor terms; this module checks
//! the inputs and runs the grid.

mod base;
mod explain;
mod moves;
mod revaluation;

use crate::book::legs::{LegInputs, LegKind, LinkInputs};
use crate::book::smile::SmileTable;
use crate::error::CoreError;
use crate::runtime::dispatch::{self, Arith, BLOCK, Kernel};
use crate::runtime::parallel::{RowMajor, map_chunks_of};
use base::{Base, base_values};
use explain::{add_residual, explain_block};
use moves::{Horizon, LegSlices, Scenario};
use revaluation::{Workspace, add_block_pnl};

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

/// P&L per scenario and layer into `pnl` (`scenarios × layers`, row-major), the number of legs
/// valued on a floored input per scenario into `floored`, and the book's explain terms into
/// `explain` (`scenarios × 7`, [`EXPLAIN_TERMS`]) when given.
pub fn scenario_pnl(
    legs: &LegInputs,
    smiles: &LegSmiles,
    link: LinkInputs,
    layers: usize,
    grid: &Grid,
    dynamics: &Dynamics,
    pnl: &mut [f64],
    floored: &mut [u32],
    explain: Option<&mut [f64]>,
) -> Result<(), CoreError> {
    check_inputs(legs, smiles, layers, grid, dynamics, pnl.len(), explain.as_deref().map(<[f64]>::len))?;
    if floored.len() != grid.len() {
        return Err(CoreError::Length { argument: "floored", length: floored.len(), expected: grid.len() });
    }
    let rows = legs.kind.len();
    let scenarios = grid.len();
    let width = EXPLAIN_TERMS.len();
    if scenarios == 0 {
        return Ok(());
    }

    let slices = LegSlices::new(smiles, rows, dynamics.sticky_moneyness);
    let context = Context { legs, smiles, slices, link, layers, dynamics: *dynamics };
    let base = base_values(&context, explain.is_some());
    // Scenarios are computed one horizon at a time: what depends only on time (T′, √T′, the
    // discount factors) is computed once per leg and horizon. Results land in horizon-major order
    // and are then put in the grid's order.
    let per_horizon = scenarios / grid.horizon_days.len();
    let mut by_horizon = vec![0.0; scenarios * layers];
    let mut explain_by_horizon = explain.as_ref().map(|_| vec![0.0; scenarios * width]);
    let mut floored_by_horizon = Vec::with_capacity(scenarios);
    // sliced by index, not `chunks_mut`: a book of no layers has empty rows (and chunks of 0 panic)
    for h in 0..grid.horizon_days.len() {
        let pnl_part = &mut by_horizon[h * per_horizon * layers..(h + 1) * per_horizon * layers];
        let horizon = Horizon::new(&context, grid.horizon_days[h] / 365.0);
        let explain_part = explain_by_horizon
            .as_mut()
            .map(|e| RowMajor { data: &mut e[h * per_horizon * width..(h + 1) * per_horizon * width], width });
        let outputs = (RowMajor { data: pnl_part, width: layers }, explain_part);
        let counts = map_chunks_of(SCENARIO_CHUNK, per_horizon, outputs, &|range, (pnl, explain)| {
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
        floored_by_horizon.extend(counts.into_iter().flatten());
    }
    to_grid_order(grid, layers, &by_horizon, pnl);
    to_grid_order(grid, 1, &floored_by_horizon, floored);
    if let (Some(out), Some(e)) = (explain, explain_by_horizon) {
        to_grid_order(grid, width, &e, out);
    }
    Ok(())
}

/// Check the legs, their smile slices, the grid axes and the output lengths.
fn check_inputs(
    legs: &LegInputs,
    smiles: &LegSmiles,
    layers: usize,
    grid: &Grid,
    dynamics: &Dynamics,
    pnl_len: usize,
    explain_len: Option<usize>,
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
    if pnl_len != scenarios * layers {
        return Err(CoreError::Length { argument: "pnl", length: pnl_len, expected: scenarios * layers });
    }
    let width = EXPLAIN_TERMS.len();
    if let Some(length) = explain_len {
        if length != scenarios * width {
            return Err(CoreError::Length { argument: "explain", length, expected: scenarios * width });
        }
    }
    Ok(())
}

/// Rows of `width` values in horizon-major order (h, s, v, x) → the grid's order (s, v, h, x).
fn to_grid_order<T: Copy>(grid: &Grid, width: usize, by_horizon: &[T], out: &mut [T]) {
    let (n_h, n_v, n_x) = (grid.horizon_days.len(), grid.vol_shift.len(), grid.vix_level.len().max(1));
    let per_horizon = grid.len() / n_h;
    for h in 0..n_h {
        for local in 0..per_horizon {
            let (spot_vol, x) = (local / n_x, local % n_x);
            let (s, v) = (spot_vol / n_v, spot_vol % n_v);
            let target = ((s * n_v + v) * n_h + h) * n_x + x;
            let source = h * per_horizon + local;
            out[target * width..(target + 1) * width]
                .copy_from_slice(&by_horizon[source * width..(source + 1) * width]);
        }
    }
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

/// What every kernel of one call reads: the legs, their smiles and the dynamics.
struct Context<'a> {
    legs: &'a LegInputs<'a>,
    smiles: &'a LegSmiles<'a>,
    /// Each leg's two smiles' parameters, copied out of the table (no lookups in hot loops).
    slices: LegSlices,
    link: LinkInputs,
    layers: usize,
    dynamics: Dynamics,
}

/// The P&L (and explain) of scenarios `range` of horizon `h`, each summed over the legs in one
/// fixed order; returns each scenario's count of legs valued on a floored input.
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
    type Output = Vec<u32>;

    #[inline(always)]
    fn run<A: Arith>(self) -> Vec<u32> {
        let context = self.context;
        let legs = context.legs;
        let rows = legs.kind.len();
        let mut work = Workspace::new();
        let mut explain = self.explain;
        let mut floored = Vec::with_capacity(self.range.len());
        for (local, index) in self.range.clone().enumerate() {
            let scenario = Scenario::at::<A>(self.grid, self.h, index, context.link, &context.dynamics);
            let pnl = &mut self.pnl.data[local * context.layers..(local + 1) * context.layers];
            pnl.fill(0.0);
            let mut terms = [0.0; EXPLAIN_TERMS.len()];
            let mut floored_legs = 0;
            let mut start = 0;
            while start < rows {
                let end = (start + BLOCK).min(rows);
                work.revalue::<A>(context, self.horizon, &scenario, start, end);
                floored_legs += work.floored[..end - start].iter().sum::<u32>();
                add_block_pnl(legs, &self.base.value[start..end], &work.value, start, pnl);
                if explain.is_some() {
                    explain_block(context, self.base, &work, &scenario, start, end, &mut terms);
                }
                start = end;
            }
            if let Some(e) = explain.as_mut() {
                add_residual(&mut terms, pnl);
                let width = EXPLAIN_TERMS.len();
                e.data[local * width..(local + 1) * width].copy_from_slice(&terms);
            }
            floored.push(floored_legs);
        }
        floored
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::book::sample::{Book, LAYERS, LINK, book};
    use crate::book::smile::SmileModel;
    use crate::option::batch::price;
    use crate::option::european::Model;
    use crate::option::inputs::{Column, Flags, InvalidRows, OptionInputs};

    const MODEL: [u8; 2] = [SmileModel::Svi as u8, SmileModel::Quadratic as u8];
    const PARAMS: [[f64; 5]; 2] = [[0.01, 0.1, -0.7, 0.02, 0.15], [0.14, -0.3, 0.3, 0.25, 0.0]];
    const STICKY_MONEYNESS: Dynamics =
        Dynamics { sticky_moneyness: true, scale_by_sqrt_time: true, spot_vol_link: true, vvol_beta: 0.7 };
    const STICKY_STRIKE: Dynamics =
        Dynamics { sticky_moneyness: false, scale_by_sqrt_time: false, spot_vol_link: false, vvol_beta: 0.0 };

    /// Each leg's smile slice: half of each quoted smile.
    struct Slices {
        first: Vec<u32>,
        second: Vec<u32>,
        weight: Vec<f64>,
        time: Vec<f64>,
    }

    impl Slices {
        fn new(rows: usize) -> Slices {
            Slices {
                first: (0..rows).map(|i| (i % 2) as u32).collect(),
                second: (0..rows).map(|i| ((i + 1) % 2) as u32).collect(),
                weight: vec![0.5; rows],
                time: (0..rows).map(|i| 0.1 + (i % 7) as f64 * 0.05).collect(),
            }
        }

        fn smiles(&self) -> LegSmiles<'_> {
            LegSmiles {
                table: SmileTable { model: &MODEL, params: &PARAMS, k_range: 0.6 },
                first: &self.first,
                first_weight: &self.weight,
                second: &self.second,
                second_weight: &self.weight,
                time: &self.time,
            }
        }
    }

    /// P&L (`scenarios × layers`) and explain (`scenarios × 7`) of `b` over `grid`.
    fn run(b: &Book, grid: &Grid, dynamics: &Dynamics) -> (Vec<f64>, Vec<f64>) {
        let (pnl, explain, _) = run_counting_floors(b, grid, dynamics);
        (pnl, explain)
    }

    /// [`run`] with each scenario's count of legs valued on a floored input.
    fn run_counting_floors(b: &Book, grid: &Grid, dynamics: &Dynamics) -> (Vec<f64>, Vec<f64>, Vec<u32>) {
        let slices = Slices::new(b.kind.len());
        let mut pnl = vec![0.0; grid.len() * LAYERS];
        let mut floored = vec![0; grid.len()];
        let mut explain = vec![0.0; grid.len() * EXPLAIN_TERMS.len()];
        let smiles = slices.smiles();
        scenario_pnl(&b.legs(), &smiles, LINK, LAYERS, grid, dynamics, &mut pnl, &mut floored, Some(&mut explain))
            .unwrap();
        (pnl, explain, floored)
    }

    /// Vol shifts that take every vol below 0 floor every leg's vol (and VIX) — all but the S&P 500
    /// futures, which depend on neither; small ones none.
    #[test]
    fn floored_legs_are_counted_per_scenario() {
        let b = book(BLOCK + 9, BLOCK);
        let grid = Grid { spot_shock: &[0.0], vol_shift: &[-1000.0, 0.0, 1.0], horizon_days: &[0.0], vix_level: &[] };
        let with_vol = b.kind.iter().filter(|&&k| k != LegKind::SpxFuture as u8).count() as u32;
        assert!(with_vol < b.kind.len() as u32);
        for dynamics in [STICKY_MONEYNESS, STICKY_STRIKE] {
            let (_, _, floored) = run_counting_floors(&b, &grid, &dynamics);
            assert_eq!(floored, [with_vol, 0, 0], "{dynamics:?}");
        }
    }

    /// A book of no legs in no layers: no P&L to write, and every scenario's floor count and
    /// explain terms are zero (written, not left as they were).
    #[test]
    fn a_book_of_no_layers_gives_zeros_not_a_panic() {
        let b = book(0, BLOCK);
        let grid = Grid { spot_shock: &[-0.1, 0.0], vol_shift: &[0.0], horizon_days: &[0.0, 7.0], vix_level: &[] };
        let slices = Slices::new(0);
        let mut floored = vec![9; grid.len()];
        let mut explain = vec![f64::NAN; grid.len() * EXPLAIN_TERMS.len()];
        let smiles = slices.smiles();
        scenario_pnl(&b.legs(), &smiles, LINK, 0, &grid, &STICKY_MONEYNESS, &mut [], &mut floored, Some(&mut explain))
            .unwrap();
        assert_eq!(floored, [0; 4]);
        assert!(explain.iter().all(|&v| v == 0.0), "{explain:?}");
    }

    fn bits(values: &[f64]) -> Vec<u64> {
        values.iter().map(|v| v.to_bits()).collect()
    }

    #[test]
    fn the_null_scenario_has_exactly_zero_pnl_and_explain() {
        let b = book(2 * BLOCK + 7, BLOCK);
        let grid = Grid { spot_shock: &[0.0], vol_shift: &[0.0], horizon_days: &[0.0], vix_level: &[] };
        for dynamics in [STICKY_MONEYNESS, STICKY_STRIKE] {
            let (pnl, explain) = run(&b, &grid, &dynamics);
            assert!(pnl.iter().chain(&explain).all(|&v| v == 0.0), "{dynamics:?}: {pnl:?} {explain:?}");
        }
    }

    /// The grid is computed per horizon and in parallel chunks of scenarios, then reordered:
    /// every scenario must come out exactly as it does alone, in the grid's C order.
    #[test]
    fn each_scenario_is_the_same_alone_or_in_a_grid() {
        let b = book(BLOCK + 40, BLOCK);
        let (spot, vol, horizon) = ([-0.1, 0.0, 0.05], [-3.0, 4.0], [0.0, 2.0, 40.0]);
        for vix in [&[][..], &[14.0, 25.0][..]] {
            let grid = Grid { spot_shock: &spot, vol_shift: &vol, horizon_days: &horizon, vix_level: vix };
            let (pnl, explain) = run(&b, &grid, &STICKY_MONEYNESS);
            let mut index = 0;
            for s in &spot {
                for v in &vol {
                    for h in &horizon {
                        for x in 0..vix.len().max(1) {
                            let alone = Grid {
                                spot_shock: std::slice::from_ref(s),
                                vol_shift: std::slice::from_ref(v),
                                horizon_days: std::slice::from_ref(h),
                                vix_level: vix.get(x..x + 1).unwrap_or(&[]),
                            };
                            let (one_pnl, one_explain) = run(&b, &alone, &STICKY_MONEYNESS);
                            let (p, e) = (index * LAYERS, index * EXPLAIN_TERMS.len());
                            assert_eq!(bits(&one_pnl), bits(&pnl[p..p + LAYERS]), "scenario {index}");
                            assert_eq!(bits(&one_explain), bits(&explain[e..e + EXPLAIN_TERMS.len()]), "{index}");
                            index += 1;
                        }
                    }
                }
            }
            assert_eq!(index, grid.len());
        }
    }

    /// Sticky strike, one SPX option: the P&L is q·m times the change of its BSM price.
    #[test]
    fn an_spx_option_moves_like_its_bsm_price() {
        let b = book(1, 0);
        assert_eq!(b.kind[0], LegKind::SpxOption as u8);
        let grid = Grid { spot_shock: &[0.05], vol_shift: &[2.0], horizon_days: &[2.0], vix_level: &[] };
        let (pnl, _) = run(&b, &grid, &STICKY_STRIKE);
        let bsm = |spot: f64, time: f64, vol: f64| {
            let inputs = OptionInputs {
                model: Model::Bsm,
                underlying: Column::Scalar(spot),
                strike: Column::Scalar(b.strike[0]),
                time_to_expiry: Column::Scalar(time),
                vol: Column::Scalar(vol),
                rate: Column::Scalar(0.04),
                div_yield: Column::Scalar(b.div_yield[0]),
                is_call: Flags::Scalar(b.is_call[0]),
            };
            let mut value = [0.0];
            price(&inputs, InvalidRows::Raise, &mut value).unwrap();
            value[0]
        };
        let (spot, time, vol) = (LINK.spx_spot, b.time_to_expiry[0], b.vol[0]);
        let before = bsm(spot, time, vol);
        let after = bsm(spot * 1.05, time - 2.0 / 365.0, vol + 0.02);
        let size = b.quantity[0] * b.multiplier[0];
        let expected = size * (after - before);
        assert!((pnl[0] - expected).abs() <= 1e-11 * (size * after).abs(), "{} vs {expected}", pnl[0]);
        assert_eq!(&pnl[1..], &[0.0, 0.0]);
    }

    /// An S&P 500 future alone: its P&L is q·m·(F′ − F) with F′ = S′·e^{(r−q)(T−h)}, S′ once it
    /// has settled inside the horizon; the explain is its delta and theta terms.
    #[test]
    fn an_spx_future_moves_like_its_forward() {
        let mut b = book(6, 0);
        assert_eq!(b.kind[5], LegKind::SpxFuture as u8);
        for q in &mut b.quantity[..5] {
            *q = 0.0;
        }
        let grid = Grid { spot_shock: &[-0.1, 0.03], vol_shift: &[5.0], horizon_days: &[2.0, 30.0], vix_level: &[] };
        let (pnl, explain) = run(&b, &grid, &STICKY_STRIKE);
        let (spot, q, time) = (LINK.spx_spot, b.div_yield[5], b.time_to_expiry[5]);
        assert!(time < 30.0 / 365.0);
        let size = b.quantity[5] * b.multiplier[5];
        let forward = spot * ((0.04 - q) * time).exp();
        let mut index = 0;
        for shock in grid.spot_shock {
            for horizon in grid.horizon_days {
                let moved = spot * (1.0 + shock);
                let left = (time - horizon / 365.0).max(0.0);
                let expected = size * (moved * ((0.04 - q) * left).exp() - forward);
                let total: f64 = pnl[index * LAYERS..(index + 1) * LAYERS].iter().sum();
                assert!((total - expected).abs() <= 1e-12 * (size * forward).abs(), "{total} vs {expected}");
                let terms = &explain[index * EXPLAIN_TERMS.len()..(index + 1) * EXPLAIN_TERMS.len()];
                let delta = size * ((0.04 - q) * time).exp() * (moved - spot);
                let theta = size * -(0.04 - q) * forward * horizon / 365.0;
                assert!((terms[0] - delta).abs() <= 1e-12 * delta.abs(), "delta term {} vs {delta}", terms[0]);
                assert!((terms[3] - theta).abs() <= 1e-12 * theta.abs(), "theta term {} vs {theta}", terms[3]);
                assert_eq!([terms[1], terms[2], terms[4], terms[5]], [0.0; 4]);
                index += 1;
            }
        }
    }

    /// A small move is explained by the Taylor terms up to a residual of higher order, and the
    /// residual is what the terms leave of the full P&L.
    #[test]
    fn a_small_move_leaves_a_small_residual() {
        let b = book(BLOCK, 0);
        let grid = Grid { spot_shock: &[0.002], vol_shift: &[0.1], horizon_days: &[0.0], vix_level: &[] };
        let (pnl, explain) = run(&b, &grid, &STICKY_STRIKE);
        let total: f64 = pnl.iter().sum();
        let taylor: f64 = explain[..6].iter().sum();
        assert_eq!(explain[6], total - taylor);
        assert!(explain[6].abs() < 1e-3 * total.abs(), "residual {} of {total}", explain[6]);
    }

    #[test]
    fn bad_inputs_are_errors_naming_them() {
        let b = book(4, 0);
        let slices = Slices::new(4);
        let (legs, smiles) = (b.legs(), slices.smiles());
        let check = |grid: &Grid, pnl_len: usize, dynamics: &Dynamics, smiles: &LegSmiles| {
            check_inputs(&legs, smiles, LAYERS, grid, dynamics, pnl_len, None)
        };
        let grid = Grid { spot_shock: &[0.0, -1.0], vol_shift: &[0.0], horizon_days: &[0.0], vix_level: &[] };
        let error = check(&grid, 2 * LAYERS, &STICKY_STRIKE, &smiles).unwrap_err();
        assert!(matches!(error, CoreError::Domain { argument: "spot_shock", row: 1, .. }), "{error:?}");
        let grid = Grid { spot_shock: &[0.0], vol_shift: &[0.0], horizon_days: &[0.0], vix_level: &[] };
        let error = check(&grid, 2, &STICKY_STRIKE, &smiles).unwrap_err();
        assert_eq!(error, CoreError::Length { argument: "pnl", length: 2, expected: LAYERS });
        let far = [0, 5, 0, 0];
        let outside = LegSmiles { first: &far, ..smiles };
        assert!(check(&grid, LAYERS, &STICKY_STRIKE, &outside).is_ok(), "sticky strike reads no smile");
        let error = check(&grid, LAYERS, &STICKY_MONEYNESS, &outside).unwrap_err();
        assert!(matches!(error, CoreError::Domain { argument: "smile index", row: 1, .. }), "{error:?}");
    }
}
