//! The risk of a book: every leg valued once, its raw Greeks turned into the trader-unit metrics
//! of [`Metric`], and the metrics summed per layer.
//!
//! VIX instruments in SPX terms (docs/method.md, Models): with F the leg's future, β(τ) its term-structure beta,
//! β the SPX→VIX log-beta and VIX/S the index levels, dF/dS = β(τ)·β·VIX/S and one SPX vol
//! point moves VIX one point, so spx_delta = q·m·∂V/∂F·β(τ)·β·VIX/S and
//! spx_vega = q·m·∂V/∂F·β(τ) (per SPX vol point). spx_gamma adds the curvature of F(S):
//! ∂²V/∂F²·(dF/dS)² + ∂V/∂F·β(τ)·β(β − 1)·VIX/S².
//!
//! Variance swaps (vega notional N, strike K, implied vol σ for the remaining fraction f of the
//! term, accrued realised variance w_acc = (1 − f)·σ_R², all in decimal vol): variance notional
//! N/(2·100K) per vol point² (the strike in points is 100K), so with the variances in points²
//! (×10⁴) the mark-to-market is V = N/(2K)·e^{−rT}·(w_acc + f·σ² − K²)·100, and
//! vega = N·σ/K·f·e^{−rT} per vol point.
//!
//! S&P 500 futures (ES/MES) are the SPX forward F = S·e^{(r−q)T} to their expiry: V = F (market
//! value 0, margined daily), Δ = ∂F/∂S = e^{(r−q)T} (their own and their SPX delta), θ = ∂F/∂t =
//! −(r−q)·F, ρ = ∂F/∂r = T·F, and gamma, vega, vanna, volga and charm 0 (charm is kept 0 for
//! simplicity: the delta's own drift, −(r−q)·e^{(r−q)T} per year, is a few 1e-5 a day).
//!
//! Per-layer sums ([`LayerTotals`]) are reduced per chunk and combined in chunk order, so they
//! are bit-identical for any thread count.

use crate::book::legs::{BUCKETS, LegInputs, LegKind, LinkInputs, Metric, bucket};
use crate::error::CoreError;
use crate::math::elementary::exp;
use crate::option::european::{Greeks, GreeksSink, Model, Rows, Scratch, greeks_block};
use crate::runtime::dispatch::{self, Arith, BLOCK, Kernel};
use crate::runtime::parallel::{SplitRows, map_chunks};

/// Sums per layer: `metrics[layer][metric]` and `vega_by_bucket[layer][bucket]` (SPX vega).
#[derive(Clone, Debug, PartialEq)]
pub struct LayerTotals {
    /// Σ of each metric over the layer's legs.
    pub metrics: Vec<[f64; Metric::COUNT]>,
    /// Σ of SPX vega by maturity bucket.
    pub vega_by_bucket: Vec<[f64; BUCKETS]>,
}

impl LayerTotals {
    fn zeros(layers: usize) -> Self {
        LayerTotals { metrics: vec![[0.0; Metric::COUNT]; layers], vega_by_bucket: vec![[0.0; BUCKETS]; layers] }
    }

    fn add(&mut self, other: &LayerTotals) {
        for (a, b) in self.metrics.iter_mut().zip(&other.metrics) {
            for (x, y) in a.iter_mut().zip(b) {
                *x += y;
            }
        }
        for (a, b) in self.vega_by_bucket.iter_mut().zip(&other.vega_by_bucket) {
            for (x, y) in a.iter_mut().zip(b) {
                *x += y;
            }
        }
    }
}

/// Per-leg metric columns (each of length = number of legs), or none.
pub struct LegOutputs<'a> {
    /// `columns[metric]`, in [`Metric::ALL`] order.
    pub columns: Vec<&'a mut [f64]>,
}

impl SplitRows for LegOutputs<'_> {
    fn rows(&self) -> usize {
        self.columns.first().map_or(0, |c| c.len())
    }
    fn split_rows(self, mid: usize) -> (Self, Self) {
        let (left, right) = self.columns.into_iter().map(|c| c.split_at_mut(mid)).unzip();
        (LegOutputs { columns: left }, LegOutputs { columns: right })
    }
}

/// Value every leg, fill `per_leg` (if given) and return the per-layer sums.
pub fn book_risk(
    legs: &LegInputs,
    link: LinkInputs,
    layers: usize,
    per_leg: Option<LegOutputs>,
) -> Result<LayerTotals, CoreError> {
    let rows = legs.check(layers)?;
    if let Some(out) = &per_leg {
        if out.columns.len() != Metric::COUNT {
            return Err(CoreError::Length {
                argument: "per_leg columns",
                length: out.columns.len(),
                expected: Metric::COUNT,
            });
        }
        if let Some(column) = out.columns.iter().find(|c| c.len() != rows) {
            return Err(CoreError::Length { argument: "per_leg column", length: column.len(), expected: rows });
        }
    }
    // Each chunk of legs yields its per-layer sums (and fills its slice of the per-leg columns);
    // the sums are added in chunk order.
    let partials =
        map_chunks(rows, per_leg, &|range, out| dispatch::run(RiskKernel { legs, link, layers, range, out }));
    let mut totals = LayerTotals::zeros(layers);
    for partial in &partials {
        totals.add(partial);
    }
    Ok(totals)
}

struct RiskKernel<'a, 'o> {
    legs: &'a LegInputs<'a>,
    link: LinkInputs,
    layers: usize,
    range: std::ops::Range<usize>,
    out: Option<LegOutputs<'o>>,
}

impl Kernel for RiskKernel<'_, '_> {
    type Output = LayerTotals;

    #[inline(always)]
    fn run<A: Arith>(self) -> LayerTotals {
        let legs = self.legs;
        let mut totals = LayerTotals::zeros(self.layers);
        let mut scratch = Scratch::default();
        let mut out = self.out;
        let mut start = self.range.start;
        let mut div_yield = [0.0; BLOCK];
        let mut rate = [0.0; BLOCK];
        let mut metrics = [[0.0; BLOCK]; Metric::COUNT];
        while start < self.range.end {
            let end = (start + BLOCK).min(self.range.end);
            let n = end - start;
            let kind = &legs.kind[start..end];
            // Black-76 on F is BSM on F with q = r; futures and variance swaps ride along and
            // are overwritten below (S&P 500 futures keep their q: their forward needs it).
            legs.rate.gather(start, &mut rate[..n]);
            for i in 0..n {
                let on_spx = (kind[i] == LegKind::SpxOption as u8) | (kind[i] == LegKind::SpxFuture as u8);
                div_yield[i] = if on_spx { legs.div_yield[start + i] } else { rate[i] };
            }
            let rows = Rows {
                underlying: &legs.underlying[start..end],
                strike: &legs.strike[start..end],
                time: &legs.time_to_expiry[start..end],
                vol: &legs.vol[start..end],
                rate: &rate[..n],
                div_yield: &div_yield[..n],
                is_call: &legs.is_call[start..end],
            };
            let mut sink = MetricSink::<A> {
                arith: std::marker::PhantomData,
                block: LegBlock::new(legs, start..end),
                link: self.link,
                rate: &rate,
                div_yield: &div_yield,
                metrics: &mut metrics,
            };
            greeks_block::<A, _>(Model::Bsm, &rows, &mut scratch, &mut sink);
            accumulate(&legs.layer[start..end], &legs.dte[start..end], &metrics, &mut totals);
            if let Some(out) = out.as_mut() {
                let offset = start - self.range.start;
                for (column, values) in out.columns.iter_mut().zip(&metrics) {
                    column[offset..offset + n].copy_from_slice(&values[..n]);
                }
            }
            start = end;
        }
        totals
    }
}

/// Add a block's metrics to the layer sums. Legs usually come grouped by layer, so a block is
/// mostly one layer: then each metric is summed in eight interleaved lanes (vectorised, in a fixed
/// order) and added once; a mixed block is added row by row.
#[inline(always)]
fn accumulate(layer: &[u32], dte: &[f64], metrics: &[[f64; BLOCK]; Metric::COUNT], totals: &mut LayerTotals) {
    let n = layer.len();
    if let Some(first) = single_layer(layer) {
        let target = &mut totals.metrics[first as usize];
        for (total, column) in target.iter_mut().zip(metrics) {
            *total += lane_sum(column);
        }
    } else {
        for i in 0..n {
            for (total, column) in totals.metrics[layer[i] as usize].iter_mut().zip(metrics) {
                *total += column[i];
            }
        }
    }
    for i in 0..n {
        totals.vega_by_bucket[layer[i] as usize][bucket(dte[i])] += metrics[Metric::SpxVega as usize][i];
    }
}

/// The layer of a full block whose rows are all in one layer; `None` for a shorter block or a
/// mixed one.
#[inline(always)]
pub(crate) fn single_layer(layer: &[u32]) -> Option<u32> {
    if layer.len() != BLOCK {
        return None;
    }
    let first = layer[0];
    layer.iter().fold(true, |same, &l| same & (l == first)).then_some(first)
}

/// The sum of a full block in eight interleaved lanes (vectorised), the lanes then added in
/// order: a fixed summation order, so the result does not depend on the target.
#[inline(always)]
pub(crate) fn lane_sum(values: &[f64; BLOCK]) -> f64 {
    const LANES: usize = 8;
    let mut lanes = [0.0; LANES];
    for chunk in values.chunks_exact(LANES) {
        for (lane, value) in lanes.iter_mut().zip(chunk) {
            *lane += value;
        }
    }
    lanes.iter().sum::<f64>()
}

/// Turns each row's raw Greeks into the trader-unit metrics of its leg kind.
struct MetricSink<'a, 'b, A> {
    arith: std::marker::PhantomData<A>,
    /// The block's legs: every column sliced to the block, so that indexing needs no bounds
    /// checks in the vectorised loop.
    block: LegBlock<'a>,
    link: LinkInputs,
    rate: &'b [f64; BLOCK],
    div_yield: &'b [f64; BLOCK],
    metrics: &'b mut [[f64; BLOCK]; Metric::COUNT],
}

/// One block's leg columns.
struct LegBlock<'a> {
    kind: &'a [u8],
    quantity: &'a [f64],
    multiplier: &'a [f64],
    underlying: &'a [f64],
    strike: &'a [f64],
    time_to_expiry: &'a [f64],
    vol: &'a [f64],
    dte: &'a [f64],
    term_beta: &'a [f64],
    entry_price: &'a [f64],
    remaining_fraction: &'a [f64],
    accrued_variance: &'a [f64],
}

impl<'a> LegBlock<'a> {
    fn new(legs: &'a LegInputs<'a>, rows: std::ops::Range<usize>) -> Self {
        LegBlock {
            kind: &legs.kind[rows.clone()],
            quantity: &legs.quantity[rows.clone()],
            multiplier: &legs.multiplier[rows.clone()],
            underlying: &legs.underlying[rows.clone()],
            strike: &legs.strike[rows.clone()],
            time_to_expiry: &legs.time_to_expiry[rows.clone()],
            vol: &legs.vol[rows.clone()],
            dte: &legs.dte[rows.clone()],
            term_beta: &legs.term_beta[rows.clone()],
            entry_price: &legs.entry_price[rows.clone()],
            remaining_fraction: &legs.remaining_fraction[rows.clone()],
            accrued_variance: &legs.accrued_variance[rows],
        }
    }
}

impl<A: Arith> GreeksSink for MetricSink<'_, '_, A> {
    #[inline(always)]
    fn put(&mut self, i: usize, g: &Greeks) {
        let legs = &self.block;
        let kind = legs.kind[i];
        let (is_vix_option, is_future, is_swap, is_spx_future) = (
            kind == LegKind::VixOption as u8,
            kind == LegKind::VixFuture as u8,
            kind == LegKind::VarianceSwap as u8,
            kind == LegKind::SpxFuture as u8,
        );
        let size = legs.quantity[i] * legs.multiplier[i];
        let underlying = legs.underlying[i];
        let time = legs.time_to_expiry[i];
        let rate = self.rate[i];

        // Variance swap: mark-to-market in $ (variance notional 1/(2·100K) per vol point² times
        // the variances in points², ×10⁴, i.e. 1/(2K)·…·100), vega per vol point.
        let discount = exp::<A>(-rate * time);
        let (strike_vol, implied) = (legs.strike[i], legs.vol[i]);
        let remaining = legs.remaining_fraction[i];
        let variance_notional = 1.0 / (2.0 * strike_vol); // per unit of vega notional, vols as decimals
        let swap_value = variance_notional
            * discount
            * (legs.accrued_variance[i] + remaining * implied * implied - strike_vol * strike_vol)
            * 100.0;
        let swap_vega = implied / strike_vol * remaining * discount;

        // S&P 500 future: the SPX forward F = S·e^{(r−q)T}.
        let carry_rate = rate - self.div_yield[i];
        let growth = exp::<A>(carry_rate * time);
        let forward = underlying * growth;

        // Raw per-unit Greeks of the leg (futures: F itself, delta 1).
        let price = if is_future {
            underlying
        } else if is_swap {
            swap_value
        } else if is_spx_future {
            forward
        } else {
            g.price
        };
        let delta = if is_future {
            1.0
        } else if is_swap {
            0.0
        } else if is_spx_future {
            growth
        } else {
            g.delta
        };
        let option = !(is_future || is_swap || is_spx_future);
        let zero_unless_option = |v: f64| if option { v } else { 0.0 };
        let gamma = zero_unless_option(g.gamma);
        let theta = if is_spx_future { -carry_rate * forward } else { zero_unless_option(g.theta) };
        // Black-76 rho holds the forward fixed: −T·V (the BSM rho with q = r would not).
        let rho = if is_vix_option {
            -time * g.price
        } else if is_swap {
            -time * swap_value
        } else if is_spx_future {
            time * forward
        } else {
            zero_unless_option(g.rho)
        };

        let m = &mut *self.metrics;
        let value = size * price;
        m[Metric::MarketValue as usize][i] = if is_future || is_spx_future { 0.0 } else { value };
        m[Metric::Delta as usize][i] = size * delta;
        m[Metric::DollarDelta as usize][i] = size * delta * underlying;
        m[Metric::Gamma as usize][i] = size * gamma;
        m[Metric::DollarGamma as usize][i] = size * gamma * underlying * underlying * 0.01;
        let vega = if is_swap { size * swap_vega } else { size * zero_unless_option(g.vega) * 0.01 };
        m[Metric::Vega as usize][i] = vega;
        m[Metric::Theta as usize][i] = size * theta / 365.0;
        m[Metric::Rho as usize][i] = size * rho * 0.01;
        m[Metric::Vanna as usize][i] = size * zero_unless_option(g.vanna) * 0.01;
        m[Metric::Volga as usize][i] = size * zero_unless_option(g.volga) * 1e-4;
        m[Metric::Charm as usize][i] = size * zero_unless_option(g.charm) / 365.0;

        // SPX terms: VIX legs through F(S) = F + β(τ)·ΔVIX and VIX(S) = VIX·(S′/S)^β.
        let link = self.link;
        let vix_leg = is_vix_option || is_future;
        let beta_tau = legs.term_beta[i];
        let df_ds = beta_tau * link.log_beta * link.vix_spot / link.spx_spot;
        let d2f_ds2 =
            beta_tau * link.log_beta * (link.log_beta - 1.0) * link.vix_spot / (link.spx_spot * link.spx_spot);
        let spx_delta = if vix_leg { size * delta * df_ds } else { size * delta };
        let spx_gamma = if vix_leg { size * (gamma * df_ds * df_ds + delta * d2f_ds2) } else { size * gamma };
        let spx_vega = if vix_leg { size * delta * beta_tau } else { vega };
        m[Metric::SpxDelta as usize][i] = spx_delta;
        m[Metric::SpxDollarDelta as usize][i] = spx_delta * link.spx_spot;
        m[Metric::SpxGamma as usize][i] = spx_gamma;
        m[Metric::SpxVega as usize][i] = spx_vega;
        let dte = legs.dte[i];
        m[Metric::TimeWeightedVega as usize][i] = spx_vega * (30.0 / if dte > 1.0 { dte } else { 1.0 }).sqrt();
        m[Metric::UnrealizedPnl as usize][i] = size * (price - legs.entry_price[i]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::book::sample::{Book, LAYERS, LINK, book};
    use crate::option::batch::price;
    use crate::option::inputs::{Column, Flags, InvalidRows, OptionInputs};
    use crate::runtime::parallel::CHUNK;

    /// Per-leg metrics, `[metric][leg]`, and the per-layer totals.
    fn risk(b: &Book) -> (Vec<Vec<f64>>, LayerTotals) {
        let rows = b.kind.len();
        let mut per_leg = vec![vec![0.0; rows]; Metric::COUNT];
        let outputs = LegOutputs { columns: per_leg.iter_mut().map(|c| c.as_mut_slice()).collect() };
        let totals = book_risk(&b.legs(), LINK, LAYERS, Some(outputs)).unwrap();
        (per_leg, totals)
    }

    fn assert_close(actual: f64, expected: f64, scale: f64, what: &str) {
        assert!((actual - expected).abs() <= 1e-13 * scale, "{what}: {actual} vs {expected} (scale {scale})");
    }

    /// The per-layer sums (in lanes, per block, per chunk) against a plain loop over the legs.
    #[test]
    fn layer_totals_are_the_sums_of_the_legs() {
        for (rows, single) in [(7, 0), (3 * BLOCK + 17, 2 * BLOCK), (CHUNK + 2 * BLOCK + 9, CHUNK + BLOCK)] {
            let b = book(rows, single);
            let (per_leg, totals) = risk(&b);
            for layer in 0..LAYERS {
                let in_layer = |i: &usize| b.layer[*i] as usize == layer;
                for metric in Metric::ALL {
                    let column = &per_leg[metric as usize];
                    let expected: f64 = (0..rows).filter(in_layer).map(|i| column[i]).sum();
                    let scale: f64 = (0..rows).filter(in_layer).map(|i| column[i].abs()).sum();
                    let what = format!("{rows} legs, layer {layer}, {}", metric.name());
                    assert_close(totals.metrics[layer][metric as usize], expected, scale, &what);
                }
                for bucket_index in 0..BUCKETS {
                    let spx_vega = &per_leg[Metric::SpxVega as usize];
                    let legs = (0..rows).filter(in_layer).filter(|&i| bucket(b.dte[i]) == bucket_index);
                    let (expected, scale) = legs.fold((0.0, 0.0), |(s, a), i| (s + spx_vega[i], a + spx_vega[i].abs()));
                    let what = format!("{rows} legs, layer {layer}, bucket {bucket_index}");
                    assert_close(totals.vega_by_bucket[layer][bucket_index], expected, scale, &what);
                }
            }
            // Asking for the per-leg columns does not change the sums.
            let without = book_risk(&b.legs(), LINK, LAYERS, None).unwrap();
            assert_eq!(without, totals);
        }
    }

    /// Spot checks of the metric definitions: an SPX option's market value is q·m·V with V the
    /// BSM price; a future's is 0 with delta q·m; a VIX leg's SPX vega is its delta times β(τ).
    #[test]
    fn metrics_follow_their_definitions() {
        let b = book(12, 0);
        let (per_leg, _) = risk(&b);
        let legs = b.legs();
        let mut value = vec![0.0; 12];
        let inputs = OptionInputs {
            model: Model::Bsm,
            underlying: Column::Values(legs.underlying),
            strike: Column::Values(legs.strike),
            time_to_expiry: Column::Values(legs.time_to_expiry),
            vol: Column::Values(legs.vol),
            rate: legs.rate,
            div_yield: Column::Values(legs.div_yield),
            is_call: Flags::Values(legs.is_call),
        };
        price(&inputs, InvalidRows::Nan, &mut value).unwrap(); // futures (strike 0) get NaN
        let metric = |m: Metric, i: usize| per_leg[m as usize][i];
        assert!(b.kind.contains(&(LegKind::SpxFuture as u8)));
        for i in 0..12 {
            let size = b.quantity[i] * b.multiplier[i];
            if b.kind[i] == LegKind::SpxOption as u8 {
                assert_close(metric(Metric::MarketValue, i), size * value[i], (size * value[i]).abs(), "SPX value");
                assert_eq!(metric(Metric::SpxDelta, i), metric(Metric::Delta, i));
            }
            if b.kind[i] == LegKind::VixFuture as u8 {
                assert_eq!(metric(Metric::MarketValue, i), 0.0);
                assert_eq!(metric(Metric::Delta, i), size);
            }
            if b.kind[i] == LegKind::SpxFuture as u8 {
                // F = S·e^{(r−q)T}: value 0, delta q·m·e^{(r−q)T}, θ = q·m·(−(r−q)·F)/365, ρ = q·m·T·F/100.
                let (rate, q, t) = (0.04, b.div_yield[i], b.time_to_expiry[i]);
                let growth = ((rate - q) * t).exp();
                let forward = b.underlying[i] * growth;
                assert_eq!(metric(Metric::MarketValue, i), 0.0);
                assert_close(metric(Metric::Delta, i), size * growth, size.abs(), "ES delta");
                assert_eq!(metric(Metric::SpxDelta, i), metric(Metric::Delta, i));
                let theta = size * -(rate - q) * forward / 365.0;
                assert_close(metric(Metric::Theta, i), theta, theta.abs(), "ES theta");
                let rho = size * t * forward * 0.01;
                assert_close(metric(Metric::Rho, i), rho, rho.abs(), "ES rho");
                let pnl = size * (forward - b.entry_price[i]);
                assert_close(metric(Metric::UnrealizedPnl, i), pnl, (size * forward).abs(), "ES unrealized P&L");
                for zero in [Metric::Gamma, Metric::Vega, Metric::Vanna, Metric::Volga, Metric::Charm, Metric::SpxGamma]
                {
                    assert_eq!(metric(zero, i), 0.0, "ES {}", zero.name());
                }
                assert_eq!(metric(Metric::SpxVega, i), 0.0);
            }
            if b.kind[i] == LegKind::VixFuture as u8 || b.kind[i] == LegKind::VixOption as u8 {
                let expected = metric(Metric::Delta, i) * b.term_beta[i];
                assert_close(metric(Metric::SpxVega, i), expected, expected.abs(), "VIX leg SPX vega");
            }
        }
    }

    #[test]
    fn single_layer_needs_a_full_block_of_one_layer() {
        let mut layer = [2u32; BLOCK];
        assert_eq!(single_layer(&layer), Some(2));
        assert_eq!(single_layer(&layer[..BLOCK - 1]), None);
        layer[BLOCK - 1] = 1;
        assert_eq!(single_layer(&layer), None);
    }

    #[test]
    fn lane_sum_adds_eight_lanes_then_the_lanes() {
        let values: [f64; BLOCK] = std::array::from_fn(|i| if i % 8 == 7 { 1e16 } else { 1.0 });
        let mut lanes = [0.0; 8];
        for (i, v) in values.iter().enumerate() {
            lanes[i % 8] += v;
        }
        let expected = lanes.iter().sum::<f64>();
        assert_eq!(lane_sum(&values).to_bits(), expected.to_bits());
        // Not the left-to-right sum, where every 1.0 after the first 1e16 is rounded away.
        assert_ne!(lane_sum(&values), values.iter().sum::<f64>());
    }
}
