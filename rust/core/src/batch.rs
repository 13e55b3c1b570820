//! The slice API: prices and Greeks of many options at once.
//!
//! Each input is a [`Column`]: one value for every row, or one value per row. Rows are processed
//! in blocks of [`BLOCK`]: the block's inputs are gathered into small stack arrays (broadcasting
//! scalars for free), the branch-free per-row formulas run over them — which LLVM vectorises at
//! the instruction-set level chosen by [`crate::dispatch`] — and results go straight into the
//! caller's output slices. Chunks of rows run in parallel ([`crate::parallel`]).
//!
//! Invalid rows: a NaN or infinite input gives NaN outputs for that row only. A value outside its
//! domain (underlying or strike ≤ 0, time or vol < 0) is an error naming the argument, row and
//! value — or, with [`InvalidRows::Nan`], NaN outputs for that row.

use crate::dispatch::{self, Arith, BLOCK, Kernel};
use crate::error::CoreError;
use crate::european::{self, Model};
use crate::iv;
use crate::parallel::{SplitRows, for_each_chunk};
use std::sync::atomic::{AtomicBool, Ordering};

/// One input: a single value for every row, or one value per row.
#[derive(Clone, Copy, Debug)]
pub enum Column<'a> {
    /// The same value in every row.
    Scalar(f64),
    /// One value per row.
    Values(&'a [f64]),
}

/// A per-row flag (call or put): a single value, or one per row.
#[derive(Clone, Copy, Debug)]
pub enum Flags<'a> {
    /// The same flag in every row.
    Scalar(bool),
    /// One flag per row.
    Values(&'a [bool]),
}

impl Column<'_> {
    /// Rows `first..first + into.len()` into `into` (a scalar broadcast).
    #[inline(always)]
    pub(crate) fn gather(&self, first: usize, into: &mut [f64]) {
        match self {
            Column::Scalar(v) => into.fill(*v),
            Column::Values(values) => into.copy_from_slice(&values[first..first + into.len()]),
        }
    }

    pub(crate) fn check_length(&self, argument: &'static str, expected: usize) -> Result<(), CoreError> {
        match self {
            Column::Values(v) if v.len() != expected => Err(CoreError::Length { argument, length: v.len(), expected }),
            _ => Ok(()),
        }
    }

    /// The first row whose finite value breaks `allowed` (NaN and ±∞ never do: they only give
    /// NaN outputs).
    fn first_violation(
        &self,
        argument: &'static str,
        rows: usize,
        ok: impl Fn(f64) -> bool,
        allowed: &'static str,
    ) -> Option<CoreError> {
        let bad = |v: f64| v.is_finite() && !ok(v);
        let row = match self {
            Column::Scalar(v) => (rows > 0 && bad(*v)).then_some(0),
            Column::Values(values) => values.iter().position(|&v| bad(v)),
        }?;
        let value = match self {
            Column::Scalar(v) => *v,
            Column::Values(values) => values[row],
        };
        Some(CoreError::Domain { argument, row, value, allowed })
    }
}

impl Flags<'_> {
    #[inline(always)]
    fn gather(&self, first: usize, into: &mut [bool]) {
        match self {
            Flags::Scalar(v) => into.fill(*v),
            Flags::Values(values) => into.copy_from_slice(&values[first..first + into.len()]),
        }
    }
}

/// What to do with a row whose input is outside its domain.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InvalidRows {
    /// Return an error naming the first such row.
    Raise,
    /// Give that row NaN outputs.
    Nan,
}

/// The inputs of a batch of options.
#[derive(Clone, Copy, Debug)]
pub struct OptionInputs<'a> {
    /// BSM (underlying = spot) or Black-76 (underlying = forward).
    pub model: Model,
    /// Spot (BSM) or forward (Black-76), > 0.
    pub underlying: Column<'a>,
    /// Strike, > 0.
    pub strike: Column<'a>,
    /// Years to expiry, ≥ 0.
    pub time_to_expiry: Column<'a>,
    /// Volatility (decimal), ≥ 0. Ignored by implied volatility.
    pub vol: Column<'a>,
    /// Continuously compounded rate.
    pub rate: Column<'a>,
    /// Continuous dividend yield (BSM only).
    pub div_yield: Column<'a>,
    /// Call (true) or put (false).
    pub is_call: Flags<'a>,
}

const POSITIVE: &str = "> 0 (NaN or infinity gives a NaN row)";
const NON_NEGATIVE: &str = ">= 0 (NaN or infinity gives a NaN row)";

impl OptionInputs<'_> {
    fn check_lengths(&self, rows: usize, with_vol: bool) -> Result<(), CoreError> {
        self.underlying.check_length("underlying", rows)?;
        self.strike.check_length("strike", rows)?;
        self.time_to_expiry.check_length("time_to_expiry", rows)?;
        if with_vol {
            self.vol.check_length("vol", rows)?;
        }
        self.rate.check_length("rate", rows)?;
        self.div_yield.check_length("div_yield", rows)?;
        match self.is_call {
            Flags::Values(v) if v.len() != rows => {
                Err(CoreError::Length { argument: "is_call", length: v.len(), expected: rows })
            }
            _ => Ok(()),
        }
    }

    /// The first out-of-domain value, in argument order.
    fn first_domain_error(&self, rows: usize, with_vol: bool) -> Option<CoreError> {
        self.underlying
            .first_violation("underlying", rows, |v| v > 0.0, POSITIVE)
            .or_else(|| self.strike.first_violation("strike", rows, |v| v > 0.0, POSITIVE))
            .or_else(|| self.time_to_expiry.first_violation("time_to_expiry", rows, |v| v >= 0.0, NON_NEGATIVE))
            .or_else(|| with_vol.then(|| self.vol.first_violation("vol", rows, |v| v >= 0.0, NON_NEGATIVE)).flatten())
    }
}

/// The rows' inputs gathered for one block.
pub(crate) struct Block {
    pub(crate) len: usize,
    pub(crate) underlying: [f64; BLOCK],
    pub(crate) strike: [f64; BLOCK],
    pub(crate) time: [f64; BLOCK],
    pub(crate) vol: [f64; BLOCK],
    pub(crate) rate: [f64; BLOCK],
    pub(crate) div_yield: [f64; BLOCK],
    pub(crate) is_call: [bool; BLOCK],
}

impl Block {
    pub(crate) fn new() -> Block {
        Block {
            len: 0,
            underlying: [0.0; BLOCK],
            strike: [0.0; BLOCK],
            time: [0.0; BLOCK],
            vol: [0.0; BLOCK],
            rate: [0.0; BLOCK],
            div_yield: [0.0; BLOCK],
            is_call: [true; BLOCK],
        }
    }

    /// Gather rows `[first, first + len)`; `vol` may be another column (the price, for implied vol).
    #[inline(always)]
    pub(crate) fn gather(&mut self, inputs: &OptionInputs, vol: &Column, first: usize, len: usize) {
        let b = self;
        b.len = len;
        inputs.underlying.gather(first, &mut b.underlying[..len]);
        inputs.strike.gather(first, &mut b.strike[..len]);
        inputs.time_to_expiry.gather(first, &mut b.time[..len]);
        vol.gather(first, &mut b.vol[..len]);
        inputs.rate.gather(first, &mut b.rate[..len]);
        inputs.div_yield.gather(first, &mut b.div_yield[..len]);
        inputs.is_call.gather(first, &mut b.is_call[..len]);
    }

    /// The block's rows as slices.
    #[inline(always)]
    pub(crate) fn rows(&self) -> european::Rows<'_> {
        let n = self.len;
        european::Rows {
            underlying: &self.underlying[..n],
            strike: &self.strike[..n],
            time: &self.time[..n],
            vol: &self.vol[..n],
            rate: &self.rate[..n],
            div_yield: &self.div_yield[..n],
            is_call: &self.is_call[..n],
        }
    }

    /// Which rows are computable (every input finite and in its domain, `vol` checked as ≥ 0);
    /// sets `out_of_domain_seen` if a row is out of its domain.
    #[inline(always)]
    pub(crate) fn validity(&self, out_of_domain_seen: &mut bool) -> [bool; BLOCK] {
        let mut ok = [false; BLOCK];
        let mut out_of_domain_rows = 0usize;
        for i in 0..self.len {
            let (u, k, t, v) = (self.underlying[i], self.strike[i], self.time[i], self.vol[i]);
            let finite = u.is_finite()
                && k.is_finite()
                && t.is_finite()
                && v.is_finite()
                && self.rate[i].is_finite()
                && self.div_yield[i].is_finite();
            // ±∞ and NaN are not "out of domain": they give a NaN row without an error.
            let below = |value: f64, limit: f64, inclusive: bool| {
                value.is_finite() && (value < limit || (inclusive && value == limit))
            };
            let out_of_domain =
                below(u, 0.0, true) || below(k, 0.0, true) || below(t, 0.0, false) || below(v, 0.0, false);
            ok[i] = finite && !out_of_domain;
            out_of_domain_rows += usize::from(out_of_domain);
        }
        *out_of_domain_seen |= out_of_domain_rows > 0;
        ok
    }
}

/// Value and Greeks output slices, one value per row. `div_rho` is only filled for BSM.
pub struct GreeksOutput<'a> {
    /// Present value.
    pub price: &'a mut [f64],
    /// ∂V/∂U.
    pub delta: &'a mut [f64],
    /// ∂²V/∂U².
    pub gamma: &'a mut [f64],
    /// ∂V/∂σ per 1.00.
    pub vega: &'a mut [f64],
    /// −∂V/∂T per year.
    pub theta: &'a mut [f64],
    /// ∂V/∂r per 1.00.
    pub rho: &'a mut [f64],
    /// ∂²V/∂U∂σ.
    pub vanna: &'a mut [f64],
    /// ∂²V/∂σ².
    pub volga: &'a mut [f64],
    /// −∂Δ/∂T per year.
    pub charm: &'a mut [f64],
    /// ∂V/∂q per 1.00 (BSM only).
    pub div_rho: Option<&'a mut [f64]>,
}

impl SplitRows for GreeksOutput<'_> {
    fn rows(&self) -> usize {
        self.price.len()
    }
    fn split_rows(self, mid: usize) -> (Self, Self) {
        let (p0, p1) = self.price.split_at_mut(mid);
        let (d0, d1) = self.delta.split_at_mut(mid);
        let (g0, g1) = self.gamma.split_at_mut(mid);
        let (v0, v1) = self.vega.split_at_mut(mid);
        let (t0, t1) = self.theta.split_at_mut(mid);
        let (r0, r1) = self.rho.split_at_mut(mid);
        let (va0, va1) = self.vanna.split_at_mut(mid);
        let (vo0, vo1) = self.volga.split_at_mut(mid);
        let (c0, c1) = self.charm.split_at_mut(mid);
        let (q0, q1) = self.div_rho.split_rows(mid);
        (
            GreeksOutput {
                price: p0,
                delta: d0,
                gamma: g0,
                vega: v0,
                theta: t0,
                rho: r0,
                vanna: va0,
                volga: vo0,
                charm: c0,
                div_rho: q0,
            },
            GreeksOutput {
                price: p1,
                delta: d1,
                gamma: g1,
                vega: v1,
                theta: t1,
                rho: r1,
                vanna: va1,
                volga: vo1,
                charm: c1,
                div_rho: q1,
            },
        )
    }
}

/// Check lengths, run `kernel` over every chunk, and report the first out-of-domain row if any
/// was seen and the caller asked to raise.
fn run_batch<O, K>(
    inputs: &OptionInputs,
    invalid: InvalidRows,
    with_vol: bool,
    outputs: O,
    make_kernel: impl Fn(usize, O) -> K + Sync,
) -> Result<(), CoreError>
where
    O: SplitRows,
    K: Kernel<Output = bool>,
{
    let rows = outputs.rows();
    inputs.check_lengths(rows, with_vol)?;
    let out_of_domain = AtomicBool::new(false);
    for_each_chunk(outputs, &|first, out| {
        if dispatch::run(make_kernel(first, out)) {
            out_of_domain.store(true, Ordering::Relaxed);
        }
    });
    if invalid == InvalidRows::Raise && out_of_domain.load(Ordering::Relaxed) {
        if let Some(e) = inputs.first_domain_error(rows, with_vol) {
            return Err(e);
        }
    }
    Ok(())
}

/// Present values of a batch of options into `out`.
pub fn price(inputs: &OptionInputs, invalid: InvalidRows, out: &mut [f64]) -> Result<(), CoreError> {
    run_batch(inputs, invalid, true, out, |first, out| PriceKernel { inputs, first, out })
}

/// Values and Greeks of a batch of options into `out`.
pub fn greeks(inputs: &OptionInputs, invalid: InvalidRows, out: GreeksOutput) -> Result<(), CoreError> {
    run_batch(inputs, invalid, true, out, |first, out| GreeksKernel { inputs, first, out })
}

struct PriceKernel<'a, 'o> {
    inputs: &'a OptionInputs<'a>,
    first: usize,
    out: &'o mut [f64],
}

impl Kernel for PriceKernel<'_, '_> {
    /// Whether an out-of-domain row was seen.
    type Output = bool;
    #[inline(always)]
    fn run<A: Arith>(self) -> bool {
        match self.inputs.model {
            Model::Bsm => price_rows::<A, false>(self),
            Model::Black76 => price_rows::<A, true>(self),
        }
    }
}

#[inline(always)]
fn price_rows<A: Arith, const BLACK76: bool>(k: PriceKernel) -> bool {
    let model = if BLACK76 { Model::Black76 } else { Model::Bsm };
    let mut seen = false;
    let mut block = Block::new();
    let mut scratch = european::Scratch::default();
    for (b, out) in k.out.chunks_mut(BLOCK).enumerate() {
        block.gather(k.inputs, &k.inputs.vol, k.first + b * BLOCK, out.len());
        let ok = block.validity(&mut seen);
        european::greeks_block::<A, _>(model, &block.rows(), &mut scratch, &mut PriceSink { ok: &ok, price: out });
    }
    seen
}

/// Keeps the value only, NaN for invalid rows.
struct PriceSink<'a> {
    ok: &'a [bool; BLOCK],
    price: &'a mut [f64],
}

impl european::GreeksSink for PriceSink<'_> {
    #[inline(always)]
    fn put(&mut self, i: usize, g: &european::Greeks) {
        self.price[i] = if self.ok[i] { g.price } else { f64::NAN };
    }
}

/// Keeps everything, NaN for invalid rows; the slices are exactly the block's rows, so that
/// indexing them needs no bounds checks inside the vectorised loop.
struct AllSink<'a> {
    ok: &'a [bool; BLOCK],
    price: &'a mut [f64],
    delta: &'a mut [f64],
    gamma: &'a mut [f64],
    vega: &'a mut [f64],
    theta: &'a mut [f64],
    rho: &'a mut [f64],
    vanna: &'a mut [f64],
    volga: &'a mut [f64],
    charm: &'a mut [f64],
    div_rho: Option<&'a mut [f64]>,
}

impl european::GreeksSink for AllSink<'_> {
    #[inline(always)]
    fn put(&mut self, i: usize, g: &european::Greeks) {
        let ok = self.ok[i];
        let mask = |v: f64| if ok { v } else { f64::NAN };
        self.price[i] = mask(g.price);
        self.delta[i] = mask(g.delta);
        self.gamma[i] = mask(g.gamma);
        self.vega[i] = mask(g.vega);
        self.theta[i] = mask(g.theta);
        self.rho[i] = mask(g.rho);
        self.vanna[i] = mask(g.vanna);
        self.volga[i] = mask(g.volga);
        self.charm[i] = mask(g.charm);
        if let Some(d) = self.div_rho.as_deref_mut() {
            d[i] = mask(g.div_rho);
        }
    }
}

struct GreeksKernel<'a, 'o> {
    inputs: &'a OptionInputs<'a>,
    first: usize,
    out: GreeksOutput<'o>,
}

impl Kernel for GreeksKernel<'_, '_> {
    /// Whether an out-of-domain row was seen.
    type Output = bool;
    #[inline(always)]
    fn run<A: Arith>(self) -> bool {
        match self.inputs.model {
            Model::Bsm => greeks_rows::<A, false>(self),
            Model::Black76 => greeks_rows::<A, true>(self),
        }
    }
}

#[inline(always)]
fn greeks_rows<A: Arith, const BLACK76: bool>(k: GreeksKernel) -> bool {
    let model = if BLACK76 { Model::Black76 } else { Model::Bsm };
    let rows = k.out.price.len();
    let mut out = k.out;
    let mut seen = false;
    let mut block = Block::new();
    let mut scratch = european::Scratch::default();
    let mut start = 0;
    while start < rows {
        let len = BLOCK.min(rows - start);
        block.gather(k.inputs, &k.inputs.vol, k.first + start, len);
        let ok = block.validity(&mut seen);
        let rows = start..start + len;
        let mut sink = AllSink {
            ok: &ok,
            price: &mut out.price[rows.clone()],
            delta: &mut out.delta[rows.clone()],
            gamma: &mut out.gamma[rows.clone()],
            vega: &mut out.vega[rows.clone()],
            theta: &mut out.theta[rows.clone()],
            rho: &mut out.rho[rows.clone()],
            vanna: &mut out.vanna[rows.clone()],
            volga: &mut out.volga[rows.clone()],
            charm: &mut out.charm[rows.clone()],
            div_rho: out.div_rho.as_deref_mut().map(|d| &mut d[rows.clone()]),
        };
        european::greeks_block::<A, _>(model, &block.rows(), &mut scratch, &mut sink);
        start += len;
    }
    seen
}

/// Implied volatilities of a batch: `price` per row, the other inputs from `inputs` (its `vol`
/// column is ignored). Rows without a solution get NaN in `vol` and a non-zero [`iv::Status`] code
/// in `status`; only structural problems (lengths) are errors.
pub fn implied_vol(inputs: &OptionInputs, price: &Column, vol: &mut [f64], status: &mut [u8]) -> Result<(), CoreError> {
    let rows = vol.len();
    inputs.check_lengths(rows, false)?;
    price.check_length("price", rows)?;
    if status.len() != rows {
        return Err(CoreError::Length { argument: "status", length: status.len(), expected: rows });
    }
    for_each_chunk((vol, status), &|first, out| dispatch::run(ImpliedVolKernel { inputs, price, first, out }));
    Ok(())
}

struct ImpliedVolKernel<'a, 'o> {
    inputs: &'a OptionInputs<'a>,
    price: &'a Column<'a>,
    first: usize,
    out: (&'o mut [f64], &'o mut [u8]),
}

impl Kernel for ImpliedVolKernel<'_, '_> {
    type Output = ();
    #[inline(always)]
    fn run<A: Arith>(self) {
        match self.inputs.model {
            Model::Bsm => implied_vol_rows::<A, false>(self),
            Model::Black76 => implied_vol_rows::<A, true>(self),
        }
    }
}

#[inline(always)]
fn implied_vol_rows<A: Arith, const BLACK76: bool>(k: ImpliedVolKernel) {
    let model = if BLACK76 { Model::Black76 } else { Model::Bsm };
    let (vol, status) = k.out;
    let mut block = Block::new();
    let mut forward = european::ForwardBlock::new();
    let mut normalised = crate::black::NormalisedBlock::new();
    for (b, (vol, status)) in vol.chunks_mut(BLOCK).zip(status.chunks_mut(BLOCK)).enumerate() {
        block.gather(k.inputs, k.price, k.first + b * BLOCK, vol.len());
        iv::implied_vol_block::<A>(model, &block.rows(), &mut forward, &mut normalised, vol, status);
    }
}
