//! The explain: a scenario's P&L split into the Taylor terms of [`EXPLAIN_TERMS`], each leg in its
//! own underlying U and vol, q·m·(Δ·dU + ½Γ·dU² + vega·dσ + θ·dt + vanna·dU·dσ + ½volga·dσ²),
//! and the residual against the full revaluation.

use crate::book::legs::LegKind;
use crate::scenario::base::Base;
use crate::scenario::moves::Scenario;
use crate::scenario::revaluation::Workspace;
use crate::scenario::{Context, EXPLAIN_TERMS};

/// Accumulate the book's Taylor terms for legs `[start, end)`: each leg in its own underlying
/// (SPX spot or its VIX future) and vol.
#[inline(always)]
pub(super) fn explain_block(
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
        // Futures have no vol: their explain is delta and theta only.
        let future = (legs.kind[row] == LegKind::VixFuture as u8) | (legs.kind[row] == LegKind::SpxFuture as u8);
        let d_vol = if future { 0.0 } else { work.vol[i] - base.vol[row] };
        terms[0] += size * g.delta * d_underlying;
        terms[1] += size * 0.5 * g.gamma * d_underlying * d_underlying;
        terms[2] += size * g.vega * d_vol;
        terms[3] += size * g.theta * scenario.years;
        terms[4] += size * g.vanna * d_underlying * d_vol;
        terms[5] += size * 0.5 * g.volga * d_vol * d_vol;
    }
}

/// The residual term: the scenario's full-revaluation P&L (summed over layers) less the Taylor
/// terms.
pub(super) fn add_residual(terms: &mut [f64; EXPLAIN_TERMS.len()], pnl: &[f64]) {
    let total: f64 = pnl.iter().sum();
    let taylor: f64 = terms[..6].iter().sum();
    terms[6] = total - taylor;
}
