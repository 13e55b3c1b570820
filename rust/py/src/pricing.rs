//! Prices and Greeks of many options: `price` and `greeks`.

use crate::convert::{Args, FlagArg, NumberArg, invalid_rows, output};
use crate::errors::compute;
use alvh_core::option::batch::{self, GreeksOutput};
use numpy::PyReadwriteArray1;
use pyo3::prelude::*;

/// Present values into `out` (float64, one per row). See `alvh.price`.
#[pyfunction]
#[pyo3(signature = (model, underlying, strike, time_to_expiry, vol, rate, div_yield, is_call, on_invalid, out))]
pub(crate) fn price(
    py: Python<'_>,
    model: &str,
    underlying: NumberArg,
    strike: NumberArg,
    time_to_expiry: NumberArg,
    vol: NumberArg,
    rate: NumberArg,
    div_yield: NumberArg,
    is_call: FlagArg,
    on_invalid: &str,
    mut out: PyReadwriteArray1<f64>,
) -> PyResult<()> {
    let args = Args {
        underlying: &underlying,
        strike: &strike,
        time_to_expiry: &time_to_expiry,
        vol: &vol,
        rate: &rate,
        div_yield: &div_yield,
        is_call: &is_call,
    };
    let inputs = args.inputs(model)?;
    let invalid = invalid_rows(on_invalid)?;
    let out = output(&mut out, "out")?;
    compute(py, || batch::price(&inputs, invalid, out))
}

/// Values and Greeks into the given arrays (float64, one per row; `div_rho` may be None).
/// See `alvh.greeks`.
#[pyfunction]
#[pyo3(signature = (model, underlying, strike, time_to_expiry, vol, rate, div_yield, is_call, on_invalid,
    price, delta, gamma, vega, theta, rho, vanna, volga, charm, div_rho))]
pub(crate) fn greeks(
    py: Python<'_>,
    model: &str,
    underlying: NumberArg,
    strike: NumberArg,
    time_to_expiry: NumberArg,
    vol: NumberArg,
    rate: NumberArg,
    div_yield: NumberArg,
    is_call: FlagArg,
    on_invalid: &str,
    mut price: PyReadwriteArray1<f64>,
    mut delta: PyReadwriteArray1<f64>,
    mut gamma: PyReadwriteArray1<f64>,
    mut vega: PyReadwriteArray1<f64>,
    mut theta: PyReadwriteArray1<f64>,
    mut rho: PyReadwriteArray1<f64>,
    mut vanna: PyReadwriteArray1<f64>,
    mut volga: PyReadwriteArray1<f64>,
    mut charm: PyReadwriteArray1<f64>,
    mut div_rho: Option<PyReadwriteArray1<f64>>,
) -> PyResult<()> {
    let args = Args {
        underlying: &underlying,
        strike: &strike,
        time_to_expiry: &time_to_expiry,
        vol: &vol,
        rate: &rate,
        div_yield: &div_yield,
        is_call: &is_call,
    };
    let inputs = args.inputs(model)?;
    let invalid = invalid_rows(on_invalid)?;
    let out = GreeksOutput {
        price: output(&mut price, "price")?,
        delta: output(&mut delta, "delta")?,
        gamma: output(&mut gamma, "gamma")?,
        vega: output(&mut vega, "vega")?,
        theta: output(&mut theta, "theta")?,
        rho: output(&mut rho, "rho")?,
        vanna: output(&mut vanna, "vanna")?,
        volga: output(&mut volga, "volga")?,
        charm: output(&mut charm, "charm")?,
        div_rho: match div_rho.as_mut() {
            Some(d) => Some(output(d, "div_rho")?),
            None => None,
        },
    };
    compute(py, || batch::greeks(&inputs, invalid, out))
}
