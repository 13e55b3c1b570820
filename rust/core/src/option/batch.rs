//! The slice API: prices, Greeks and implied volatilities of many options at once.
//!
//! Rows are processed in blocks of [`BLOCK`]: the block's inputs are gathered into small stack
//! arrays (`Block`), the branch-free per-row formulas run over them — which LLVM vectorises at
//! the instruction-set level chosen by [`crate::runtime::dispatch`] — and results go straight into
//! the caller's output slices. Chunks of rows run in parallel ([`crate::runtime::parallel`]).
//! Invalid rows are handled as [`crate::option::inputs`] describes.

use crate::error::CoreError;
use crate::option::european::{self, Model};
use crate::option::inputs::{Block, Column, InvalidRows, OptionInputs};
use crate::option::iv;
use crate::runtime::dispatch::{self, Arith, BLOCK, Kernel};
use crate::runtime::parallel::{SplitRows, for_each_chunk};

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

/// Check lengths and, if the caller asked to raise, the domain of every row — before anything
/// is written, so that the outputs are untouched when this returns an error — then run `kernel`
/// over every chunk.
fn run_batch<O, K>(
    inputs: &OptionInputs,
    invalid: InvalidRows,
    with_vol: bool,
    outputs: O,
    make_kernel: impl Fn(usize, O) -> K + Sync,
) -> Result<(), CoreError>
where
    O: SplitRows,
    K: Kernel<Output = ()>,
{
    let rows = outputs.rows();
    inputs.check_lengths(rows, with_vol)?;
    if invalid == InvalidRows::Raise {
        if let Some(e) = inputs.first_domain_error(rows, with_vol) {
            return Err(e);
        }
    }
    for_each_chunk(outputs, &|first, out| dispatch::run(make_kernel(first, out)));
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
    type Output = ();
    #[inline(always)]
    fn run<A: Arith>(self) {
        match self.inputs.model {
            Model::Bsm => price_rows::<A, false>(self),
            Model::Black76 => price_rows::<A, true>(self),
        }
    }
}

#[inline(always)]
fn price_rows<A: Arith, const BLACK76: bool>(k: PriceKernel) {
    let model = if BLACK76 { Model::Black76 } else { Model::Bsm };
    let mut block = Block::new();
    let mut scratch = european::Scratch::default();
    for (b, out) in k.out.chunks_mut(BLOCK).enumerate() {
        block.gather(k.inputs, &k.inputs.vol, k.first + b * BLOCK, out.len());
        let ok = block.validity();
        european::greeks_block::<A, _>(model, &block.rows(), &mut scratch, &mut PriceSink { ok: &ok, price: out });
    }
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
    type Output = ();
    #[inline(always)]
    fn run<A: Arith>(self) {
        match self.inputs.model {
            Model::Bsm => greeks_rows::<A, false>(self),
            Model::Black76 => greeks_rows::<A, true>(self),
        }
    }
}

#[inline(always)]
fn greeks_rows<A: Arith, const BLACK76: bool>(k: GreeksKernel) {
    let model = if BLACK76 { Model::Black76 } else { Model::Bsm };
    let rows = k.out.price.len();
    let mut out = k.out;
    let mut block = Block::new();
    let mut scratch = european::Scratch::default();
    let mut start = 0;
    while start < rows {
        let len = BLOCK.min(rows - start);
        block.gather(k.inputs, &k.inputs.vol, k.first + start, len);
        let ok = block.validity();
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
    let mut normalised = crate::option::black::NormalisedBlock::new();
    for (b, (vol, status)) in vol.chunks_mut(BLOCK).zip(status.chunks_mut(BLOCK)).enumerate() {
        block.gather(k.inputs, k.price, k.first + b * BLOCK, vol.len());
        iv::implied_vol_block::<A>(model, &block.rows(), &mut forward, &mut normalised, vol, status);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::option::inputs::Flags;
    use crate::runtime::parallel::CHUNK;

    const NON_NEGATIVE_TEXT: &str = ">= 0 (NaN or infinity gives a NaN row)";

    fn bsm<'a>(underlying: Column<'a>, strike: Column<'a>, vol: Column<'a>, is_call: Flags<'a>) -> OptionInputs<'a> {
        OptionInputs {
            model: Model::Bsm,
            underlying,
            strike,
            time_to_expiry: Column::Scalar(0.25),
            vol,
            rate: Column::Scalar(0.03),
            div_yield: Column::Scalar(0.01),
            is_call,
        }
    }

    fn prices(inputs: &OptionInputs, rows: usize, invalid: InvalidRows) -> Result<Vec<f64>, CoreError> {
        let mut out = vec![0.0; rows];
        price(inputs, invalid, &mut out)?;
        Ok(out)
    }

    #[test]
    fn a_scalar_is_the_same_value_in_every_row() {
        let strike = [90.0, 100.0, 110.0, 125.0];
        let spots = [100.0; 4];
        let vols = [0.2; 4];
        let calls = [true; 4];
        let strikes = Column::Values(&strike);
        let broadcast = bsm(Column::Scalar(100.0), strikes, Column::Scalar(0.2), Flags::Scalar(true));
        let spelled_out = bsm(Column::Values(&spots), strikes, Column::Values(&vols), Flags::Values(&calls));
        let a = prices(&broadcast, 4, InvalidRows::Raise).unwrap();
        let b = prices(&spelled_out, 4, InvalidRows::Raise).unwrap();
        assert_eq!(
            a.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
            b.iter().map(|v| v.to_bits()).collect::<Vec<_>>()
        );
        // All scalars: the output length sets the number of rows.
        let scalars = bsm(Column::Scalar(100.0), Column::Scalar(110.0), Column::Scalar(0.2), Flags::Scalar(true));
        let c = prices(&scalars, 3, InvalidRows::Raise).unwrap();
        assert!(c.iter().all(|v| v.to_bits() == a[2].to_bits()), "{c:?} vs {}", a[2]);
    }

    #[test]
    fn an_array_of_another_length_is_an_error_naming_it() {
        let strike = [90.0, 100.0, 110.0];
        let calls = [true, false];
        let inputs = bsm(Column::Scalar(100.0), Column::Values(&strike), Column::Scalar(0.2), Flags::Scalar(true));
        assert_eq!(
            prices(&inputs, 4, InvalidRows::Raise),
            Err(CoreError::Length { argument: "strike", length: 3, expected: 4 })
        );
        let inputs = bsm(Column::Scalar(100.0), Column::Values(&strike), Column::Scalar(0.2), Flags::Values(&calls));
        assert_eq!(
            prices(&inputs, 3, InvalidRows::Raise),
            Err(CoreError::Length { argument: "is_call", length: 2, expected: 3 })
        );
        // Implied vol checks its price column and status output too; the vol column is ignored.
        let inputs = bsm(Column::Scalar(100.0), Column::Values(&strike), Column::Values(&[0.2]), Flags::Scalar(true));
        let (mut vol, mut status) = (vec![0.0; 3], vec![0u8; 3]);
        assert_eq!(
            implied_vol(&inputs, &Column::Values(&[1.0, 2.0]), &mut vol, &mut status),
            Err(CoreError::Length { argument: "price", length: 2, expected: 3 })
        );
        let mut short_status = vec![0u8; 2];
        assert_eq!(
            implied_vol(&inputs, &Column::Scalar(5.0), &mut vol, &mut short_status),
            Err(CoreError::Length { argument: "status", length: 2, expected: 3 })
        );
    }

    #[test]
    fn an_out_of_domain_row_raises_or_gives_nan_and_a_nan_input_gives_nan() {
        let vols = [0.2, 0.25, -0.1, 0.3];
        let inputs = bsm(Column::Scalar(100.0), Column::Scalar(100.0), Column::Values(&vols), Flags::Scalar(false));
        let error = prices(&inputs, 4, InvalidRows::Raise).unwrap_err();
        assert_eq!(error, CoreError::Domain { argument: "vol", row: 2, value: -0.1, allowed: NON_NEGATIVE_TEXT });
        let nan = prices(&inputs, 4, InvalidRows::Nan).unwrap();
        assert!(nan[2].is_nan() && nan.iter().enumerate().all(|(i, v)| i == 2 || v.is_finite()), "{nan:?}");
        // NaN and infinity are not out of domain: they give a NaN row, even when raising.
        let strikes = [100.0, f64::NAN, f64::INFINITY];
        let inputs = bsm(Column::Scalar(100.0), Column::Values(&strikes), Column::Scalar(0.2), Flags::Scalar(true));
        let out = prices(&inputs, 3, InvalidRows::Raise).unwrap();
        assert!(out[0].is_finite() && out[1].is_nan() && out[2].is_nan(), "{out:?}");
    }

    /// Rows straddling the chunk and block boundaries get exactly the value they get alone.
    #[test]
    fn a_row_does_not_depend_on_its_neighbours_or_its_chunk() {
        let rows = 2 * CHUNK + 3 * BLOCK + 5;
        let strike: Vec<f64> = (0..rows).map(|i| 60.0 + (i % 997) as f64 * 0.08).collect();
        let calls: Vec<bool> = (0..rows).map(|i| i % 3 != 0).collect();
        let all = bsm(Column::Scalar(100.0), Column::Values(&strike), Column::Scalar(0.3), Flags::Values(&calls));
        let together = prices(&all, rows, InvalidRows::Raise).unwrap();
        for row in [0, BLOCK - 1, BLOCK, CHUNK - 1, CHUNK, CHUNK + 1, 2 * CHUNK, rows - 1] {
            let alone =
                bsm(Column::Scalar(100.0), Column::Scalar(strike[row]), Column::Scalar(0.3), Flags::Scalar(calls[row]));
            let value = prices(&alone, 1, InvalidRows::Raise).unwrap()[0];
            assert_eq!(value.to_bits(), together[row].to_bits(), "row {row}");
        }
    }

    #[test]
    fn greeks_give_the_same_values_as_price() {
        let strike = [80.0, 100.0, 120.0];
        let inputs = bsm(Column::Scalar(100.0), Column::Values(&strike), Column::Scalar(0.2), Flags::Scalar(false));
        let mut columns = vec![vec![0.0; 3]; 10];
        let [price_column, delta, gamma, vega, theta, rho, vanna, volga, charm, div_rho] = columns.as_mut_slice()
        else {
            unreachable!("ten columns")
        };
        let out = GreeksOutput {
            price: price_column,
            delta,
            gamma,
            vega,
            theta,
            rho,
            vanna,
            volga,
            charm,
            div_rho: Some(div_rho),
        };
        greeks(&inputs, InvalidRows::Raise, out).unwrap();
        let expected = prices(&inputs, 3, InvalidRows::Raise).unwrap();
        assert_eq!(columns[0], expected);
        // A put's delta is in (−1, 0), its div_rho positive.
        assert!(columns[1].iter().all(|&d| -1.0 < d && d < 0.0), "{:?}", columns[1]);
        assert!(columns[9].iter().all(|&q| q > 0.0), "{:?}", columns[9]);
    }
}
