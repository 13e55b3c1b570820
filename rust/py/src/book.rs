//! A book's legs as the core reads them, and their trader-unit risk: `book_risk` with the names
//! of its metrics and maturity buckets.

use crate::convert::{NumberArg, column, slice};
use crate::errors::{InputError, compute};
use alvh_core::book::legs::{self, LegInputs, LinkInputs, Metric};
use alvh_core::book::risk::{self, LegOutputs};
use numpy::{IntoPyArray, PyArray2, PyArrayMethods, PyReadonlyArray1, PyReadwriteArray2, PyUntypedArrayMethods};
use pyo3::prelude::*;

/// A book's legs as a dict of 1-D arrays (keys as in `LegInputs`), built by `alvh.risk.valuation`.
#[derive(FromPyObject)]
#[pyo3(from_item_all)]
pub(crate) struct LegArrays<'py> {
    kind: PyReadonlyArray1<'py, u8>,
    quantity: PyReadonlyArray1<'py, f64>,
    multiplier: PyReadonlyArray1<'py, f64>,
    underlying: PyReadonlyArray1<'py, f64>,
    strike: PyReadonlyArray1<'py, f64>,
    time_to_expiry: PyReadonlyArray1<'py, f64>,
    vol: PyReadonlyArray1<'py, f64>,
    rate: NumberArg<'py>,
    div_yield: PyReadonlyArray1<'py, f64>,
    is_call: PyReadonlyArray1<'py, bool>,
    dte: PyReadonlyArray1<'py, f64>,
    term_beta: PyReadonlyArray1<'py, f64>,
    entry_price: PyReadonlyArray1<'py, f64>,
    remaining_fraction: PyReadonlyArray1<'py, f64>,
    accrued_variance: PyReadonlyArray1<'py, f64>,
    layer: PyReadonlyArray1<'py, u32>,
}

impl LegArrays<'_> {
    pub(crate) fn inputs(&self) -> PyResult<LegInputs<'_>> {
        Ok(LegInputs {
            kind: slice(&self.kind, "kind")?,
            quantity: slice(&self.quantity, "quantity")?,
            multiplier: slice(&self.multiplier, "multiplier")?,
            underlying: slice(&self.underlying, "underlying")?,
            strike: slice(&self.strike, "strike")?,
            time_to_expiry: slice(&self.time_to_expiry, "time_to_expiry")?,
            vol: slice(&self.vol, "vol")?,
            rate: column(&self.rate, "rate")?,
            div_yield: slice(&self.div_yield, "div_yield")?,
            is_call: slice(&self.is_call, "is_call")?,
            dte: slice(&self.dte, "dte")?,
            term_beta: slice(&self.term_beta, "term_beta")?,
            entry_price: slice(&self.entry_price, "entry_price")?,
            remaining_fraction: slice(&self.remaining_fraction, "remaining_fraction")?,
            accrued_variance: slice(&self.accrued_variance, "accrued_variance")?,
            layer: slice(&self.layer, "layer")?,
        })
    }
}

/// Two arrays returned to Python.
type ArrayPair<'py> = (Bound<'py, PyArray2<f64>>, Bound<'py, PyArray2<f64>>);
/// Trader-unit risk of book legs: per-layer sums `(metrics[layers, 17], vega_by_bucket[layers, 5])`,
/// and the per-leg metrics into `per_leg[17, legs]` when given. See `alvh.risk.valuation`.
#[pyfunction]
#[pyo3(signature = (legs, layers, spx_spot, vix_spot, log_beta, per_leg=None))]
pub(crate) fn book_risk<'py>(
    py: Python<'py>,
    legs: LegArrays,
    layers: usize,
    spx_spot: f64,
    vix_spot: f64,
    log_beta: f64,
    mut per_leg: Option<PyReadwriteArray2<f64>>,
) -> PyResult<ArrayPair<'py>> {
    let inputs = legs.inputs()?;
    let link = LinkInputs { spx_spot, vix_spot, log_beta };
    let outputs = match per_leg.as_mut() {
        Some(array) => {
            let count = array.shape()[1];
            let flat = array
                .as_slice_mut()
                .map_err(|_| InputError::new_err("per_leg must be a writeable C-contiguous float64 array"))?;
            let columns = if count == 0 {
                (0..Metric::COUNT).map(|_| &mut [][..]).collect()
            } else {
                flat.chunks_mut(count).collect()
            };
            Some(LegOutputs { columns })
        }
        None => None,
    };
    let totals = compute(py, || risk::book_risk(&inputs, link, layers, outputs))?;
    let metrics: Vec<f64> = totals.metrics.iter().flatten().copied().collect();
    let buckets: Vec<f64> = totals.vega_by_bucket.iter().flatten().copied().collect();
    let metrics = metrics.into_pyarray(py).reshape([layers, Metric::COUNT])?;
    let buckets = buckets.into_pyarray(py).reshape([layers, legs::BUCKETS])?;
    Ok((metrics, buckets))
}

/// Names of the per-leg metrics of `book_risk`, in column order.
#[pyfunction]
pub(crate) fn leg_metric_names() -> Vec<&'static str> {
    Metric::ALL.iter().map(|m| m.name()).collect()
}

/// Upper DTE edges of the maturity buckets (the last bucket is open-ended).
#[pyfunction]
pub(crate) fn bucket_upper_dte() -> Vec<f64> {
    legs::BUCKET_UPPER_DTE.to_vec()
}
