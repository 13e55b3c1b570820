//! Implied volatilities of many options, and the names of their status codes.

use crate::convert::{Args, FlagArg, NumberArg, column, output};
use crate::errors::{InputError, compute};
use alvh_core::option::{batch, iv};
use numpy::PyReadwriteArray1;
use pyo3::prelude::*;

/// Implied volatilities into `vol` and status codes into `status` (uint8). See `alvh.implied_vol`.
#[pyfunction]
#[pyo3(signature = (model, price, underlying, strike, time_to_expiry, rate, div_yield, is_call, vol, status))]
pub(crate) fn implied_vol(
    py: Python<'_>,
    model: &str,
    price: NumberArg,
    underlying: NumberArg,
    strike: NumberArg,
    time_to_expiry: NumberArg,
    rate: NumberArg,
    div_yield: NumberArg,
    is_call: FlagArg,
    mut vol: PyReadwriteArray1<f64>,
    mut status: PyReadwriteArray1<u8>,
) -> PyResult<()> {
    let unused_vol = NumberArg::Scalar(0.0);
    let args = Args {
        underlying: &underlying,
        strike: &strike,
        time_to_expiry: &time_to_expiry,
        vol: &unused_vol,
        rate: &rate,
        div_yield: &div_yield,
        is_call: &is_call,
    };
    let inputs = args.inputs(model)?;
    let prices = column(&price, "price")?;
    let vol = output(&mut vol, "vol")?;
    let status = status
        .as_slice_mut()
        .map_err(|_| InputError::new_err("status must be a writeable C-contiguous uint8 array"))?;
    compute(py, || batch::implied_vol(&inputs, &prices, vol, status))
}

/// Names of the implied-volatility status codes, indexed by code.
#[pyfunction]
pub(crate) fn implied_vol_status_names() -> Vec<&'static str> {
    iv::Status::ALL.iter().map(|s| s.name()).collect()
}
