//! The null scenario every P&L and explain is measured from: each leg's value through the same
//! pricer as the scenarios, and for the explain its raw Greeks there.

use crate::book::legs::{LegInputs, LegKind};
use crate::option::european::{Greeks, GreeksSink, Model, Rows, greeks_block};
use crate::runtime::dispatch::{self, Arith, BLOCK, Kernel};
use crate::runtime::parallel::map_chunks;
use crate::scenario::Context;
use crate::scenario::moves::{Horizon, Scenario};
use crate::scenario::revaluation::Workspace;

/// Each leg's null-scenario value through the scenario pricer (so a null scenario's P&L is
/// exactly 0) and, for the explain, its raw Greeks and the underlying and vol they were taken
/// at (the explain measures moves from these, so the null scenario explains to exactly 0).
pub(super) struct Base {
    pub(super) value: Vec<f64>,
    pub(super) greeks: Vec<Greeks>,
    pub(super) underlying: Vec<f64>,
    pub(super) vol: Vec<f64>,
}

/// The null scenario's values of every leg, and their Greeks `with_greeks`.
pub(super) fn base_values(context: &Context, with_greeks: bool) -> Base {
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
            work.revalue::<A>(self.context, self.horizon, &null, start, end);
            base.value.extend_from_slice(&work.value[..end - start]);
            if self.with_greeks {
                base.add_greeks::<A>(legs, self.horizon, &mut work, start, end);
            }
            start = end;
        }
        base
    }
}

impl Base {
    /// The raw Greeks of legs `[start, end)` at the underlying and vol of `work`'s last
    /// revaluation (the null scenario): options by BSM on their underlying (Black-76 as BSM with
    /// q = r), VIX futures delta 1, S&P 500 futures F = S·e^{(r−q)T} with delta e^{(r−q)T} and
    /// theta −(r−q)·F, variance swaps their vega.
    #[inline(always)]
    fn add_greeks<A: Arith>(
        &mut self,
        legs: &LegInputs,
        horizon: &Horizon,
        work: &mut Workspace,
        start: usize,
        end: usize,
    ) {
        let n = end - start;
        self.underlying.extend_from_slice(&work.underlying[..n]);
        self.vol.extend_from_slice(&work.vol[..n]);
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
            let kind = legs.kind[start + i];
            let mut g = work.greeks[i];
            if kind == LegKind::VixFuture as u8 {
                g = Greeks { price: work.underlying[i], delta: 1.0, ..Greeks::default() };
            } else if kind == LegKind::VarianceSwap as u8 {
                g = Greeks { price: work.value[i], vega: work.swap_vega[i], ..Greeks::default() };
            } else if kind == LegKind::SpxFuture as u8 {
                let forward = work.value[i];
                let theta = -(work.rate[i] - work.div_yield[i]) * forward;
                g = Greeks { price: forward, delta: horizon.carry[start + i], theta, ..Greeks::default() };
            }
            self.greeks.push(g);
        }
    }
}

struct GreeksCollector<'a>(&'a mut [Greeks; BLOCK]);

impl GreeksSink for GreeksCollector<'_> {
    #[inline(always)]
    fn put(&mut self, row: usize, greeks: &Greeks) {
        self.0[row] = *greeks;
    }
}
