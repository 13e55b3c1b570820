//! `alvh._core`: the Python bindings of `alvh-core`. Bindings only — every array-sized call
//! follows the same rhythm: Python has already normalised the arguments (float64, C-contiguous,
//! one dimension, scalars as floats); here each array is borrowed without a copy, the GIL is
//! released around the core call ([`compute`]), and results land in caller-provided arrays.

use alvh_core::legs::{self, LegInputs, LegOutputs, LinkInputs, Metric};
use alvh_core::{
    Column, CoreError, Flags, GreeksOutput, InvalidRows, Model, OptionInputs, batch, dispatch, iv, parallel,
};
use numpy::{
    IntoPyArray, PyArray2, PyArrayMethods, PyReadonlyArray1, PyReadwriteArray1, PyReadwriteArray2,
    PyUntypedArrayMethods,
};
use pyo3::prelude::*;

pyo3::import_exception!(alvh.exceptions, InputError);
pyo3::import_exception!(alvh.exceptions, DomainError);

/// Maps a core error to the matching `alvh.exceptions` class.
struct BindingError(CoreError);

impl From<BindingError> for PyErr {
    fn from(e: BindingError) -> PyErr {
        match &e.0 {
            CoreError::Length { .. } => InputError::new_err(e.0.to_string()),
            CoreError::Domain { .. } => DomainError::new_err(e.0.to_string()),
        }
    }
}

/// Release the GIL around a core computation and map its error. Every array-sized function
/// goes through here.
fn compute<T: Send>(py: Python<'_>, work: impl FnOnce() -> Result<T, CoreError> + Send) -> PyResult<T> {
    py.detach(work).map_err(|e| BindingError(e).into())
}

/// A numeric argument: one float for every row, or a 1-D float64 array.
#[derive(FromPyObject)]
enum NumberArg<'py> {
    Array(PyReadonlyArray1<'py, f64>),
    Scalar(f64),
}

/// The call/put flag: one bool, or a 1-D bool array.
#[derive(FromPyObject)]
enum FlagArg<'py> {
    Array(PyReadonlyArray1<'py, bool>),
    Scalar(bool),
}

fn column<'a>(arg: &'a NumberArg, name: &str) -> PyResult<Column<'a>> {
    Ok(match arg {
        NumberArg::Scalar(v) => Column::Scalar(*v),
        NumberArg::Array(a) => Column::Values(
            a.as_slice().map_err(|_| InputError::new_err(format!("{name} must be a C-contiguous float64 array")))?,
        ),
    })
}

fn flags<'a>(arg: &'a FlagArg) -> PyResult<Flags<'a>> {
    Ok(match arg {
        FlagArg::Scalar(v) => Flags::Scalar(*v),
        FlagArg::Array(a) => {
            Flags::Values(a.as_slice().map_err(|_| InputError::new_err("is_call must be a C-contiguous bool array"))?)
        }
    })
}

fn output<'a>(arr: &'a mut PyReadwriteArray1<f64>, name: &str) -> PyResult<&'a mut [f64]> {
    arr.as_slice_mut()
        .map_err(|_| InputError::new_err(format!("{name} must be a writeable C-contiguous float64 array")))
}

fn model(name: &str) -> PyResult<Model> {
    match name {
        "bsm" => Ok(Model::Bsm),
        "black76" => Ok(Model::Black76),
        other => Err(InputError::new_err(format!("model = '{other}' is not allowed: use 'bsm' or 'black76'"))),
    }
}

fn invalid_rows(name: &str) -> PyResult<InvalidRows> {
    match name {
        "raise" => Ok(InvalidRows::Raise),
        "nan" => Ok(InvalidRows::Nan),
        other => Err(InputError::new_err(format!("on_invalid = '{other}' is not allowed: use 'raise' or 'nan'"))),
    }
}

/// The per-option arguments shared by every pricing function.
struct Args<'a> {
    underlying: &'a NumberArg<'a>,
    strike: &'a NumberArg<'a>,
    time_to_expiry: &'a NumberArg<'a>,
    vol: &'a NumberArg<'a>,
    rate: &'a NumberArg<'a>,
    div_yield: &'a NumberArg<'a>,
    is_call: &'a FlagArg<'a>,
}

impl<'a> Args<'a> {
    fn inputs(&self, model_name: &str) -> PyResult<OptionInputs<'a>> {
        Ok(OptionInputs {
            model: model(model_name)?,
            underlying: column(self.underlying, "underlying")?,
            strike: column(self.strike, "strike")?,
            time_to_expiry: column(self.time_to_expiry, "time_to_expiry")?,
            vol: column(self.vol, "vol")?,
            rate: column(self.rate, "rate")?,
            div_yield: column(self.div_yield, "div_yield")?,
            is_call: flags(self.is_call)?,
        })
    }
}

/// Present values into `out` (float64, one per row). See `alvh.price`.
#[pyfunction]
#[pyo3(signature = (model, underlying, strike, time_to_expiry, vol, rate, div_yield, is_call, on_invalid, out))]
fn price(
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
fn greeks(
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

/// Implied volatilities into `vol` and status codes into `status` (uint8). See `alvh.implied_vol`.
#[pyfunction]
#[pyo3(signature = (model, price, underlying, strike, time_to_expiry, rate, div_yield, is_call, vol, status))]
fn implied_vol(
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

fn slice<'a, T: numpy::Element>(arr: &'a PyReadonlyArray1<T>, name: &str) -> PyResult<&'a [T]> {
    arr.as_slice().map_err(|_| InputError::new_err(format!("{name} must be a C-contiguous 1-D array")))
}

/// Trader-unit risk of book legs: per-layer sums `(metrics[layers, 17], vega_by_bucket[layers, 5])`,
/// and the per-leg metrics into `per_leg[17, legs]` when given. See `alvh.valuation`.
#[pyfunction]
#[pyo3(signature = (kind, quantity, multiplier, underlying, strike, time_to_expiry, vol, rate, div_yield, is_call,
    dte, term_beta, entry_price, remaining_fraction, accrued_variance, layer, layers, spx_spot, vix_spot, log_beta,
    per_leg=None))]
#[allow(clippy::type_complexity)]
fn book_risk<'py>(
    py: Python<'py>,
    kind: PyReadonlyArray1<u8>,
    quantity: PyReadonlyArray1<f64>,
    multiplier: PyReadonlyArray1<f64>,
    underlying: PyReadonlyArray1<f64>,
    strike: PyReadonlyArray1<f64>,
    time_to_expiry: PyReadonlyArray1<f64>,
    vol: PyReadonlyArray1<f64>,
    rate: NumberArg,
    div_yield: PyReadonlyArray1<f64>,
    is_call: PyReadonlyArray1<bool>,
    dte: PyReadonlyArray1<f64>,
    term_beta: PyReadonlyArray1<f64>,
    entry_price: PyReadonlyArray1<f64>,
    remaining_fraction: PyReadonlyArray1<f64>,
    accrued_variance: PyReadonlyArray1<f64>,
    layer: PyReadonlyArray1<u32>,
    layers: usize,
    spx_spot: f64,
    vix_spot: f64,
    log_beta: f64,
    mut per_leg: Option<PyReadwriteArray2<f64>>,
) -> PyResult<(Bound<'py, PyArray2<f64>>, Bound<'py, PyArray2<f64>>)> {
    let inputs = LegInputs {
        kind: slice(&kind, "kind")?,
        quantity: slice(&quantity, "quantity")?,
        multiplier: slice(&multiplier, "multiplier")?,
        underlying: slice(&underlying, "underlying")?,
        strike: slice(&strike, "strike")?,
        time_to_expiry: slice(&time_to_expiry, "time_to_expiry")?,
        vol: slice(&vol, "vol")?,
        rate: column(&rate, "rate")?,
        div_yield: slice(&div_yield, "div_yield")?,
        is_call: slice(&is_call, "is_call")?,
        dte: slice(&dte, "dte")?,
        term_beta: slice(&term_beta, "term_beta")?,
        entry_price: slice(&entry_price, "entry_price")?,
        remaining_fraction: slice(&remaining_fraction, "remaining_fraction")?,
        accrued_variance: slice(&accrued_variance, "accrued_variance")?,
        layer: slice(&layer, "layer")?,
    };
    let link = LinkInputs { spx_spot, vix_spot, log_beta };
    let outputs = match per_leg.as_mut() {
        Some(array) => {
            let legs = array.shape()[1];
            let flat = array
                .as_slice_mut()
                .map_err(|_| InputError::new_err("per_leg must be a writeable C-contiguous float64 array"))?;
            if legs == 0 {
                Some(LegOutputs { columns: (0..Metric::COUNT).map(|_| &mut [][..]).collect() })
            } else {
                Some(LegOutputs { columns: flat.chunks_mut(legs).collect() })
            }
        }
        None => None,
    };
    let totals = compute(py, || legs::book_risk(&inputs, link, layers, outputs))?;
    let metrics: Vec<f64> = totals.metrics.iter().flatten().copied().collect();
    let buckets: Vec<f64> = totals.vega_by_bucket.iter().flatten().copied().collect();
    let metrics = metrics.into_pyarray(py).reshape([layers, Metric::COUNT])?;
    let buckets = buckets.into_pyarray(py).reshape([layers, legs::BUCKETS])?;
    Ok((metrics, buckets))
}

/// Names of the per-leg metrics of `book_risk`, in column order.
#[pyfunction]
fn leg_metric_names() -> Vec<&'static str> {
    Metric::ALL.iter().map(|m| m.name()).collect()
}

/// Upper DTE edges of the maturity buckets (the last bucket is open-ended).
#[pyfunction]
fn bucket_upper_dte() -> Vec<f64> {
    legs::BUCKET_UPPER_DTE.to_vec()
}

/// Names of the implied-volatility status codes, indexed by code.
#[pyfunction]
fn implied_vol_status_names() -> Vec<&'static str> {
    iv::Status::ALL.iter().map(|s| s.name()).collect()
}

/// The instruction set the kernels run with: "avx512", "avx2" or "baseline".
#[pyfunction]
fn simd_level() -> &'static str {
    dispatch::active_level().name()
}

/// The number of threads alvh's kernels use (`ALVH_NUM_THREADS` caps it).
#[pyfunction]
fn thread_count() -> usize {
    parallel::thread_count()
}

#[pymodule]
fn _core(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add("CHUNK_ROWS", parallel::CHUNK)?;
    m.add_function(wrap_pyfunction!(price, m)?)?;
    m.add_function(wrap_pyfunction!(greeks, m)?)?;
    m.add_function(wrap_pyfunction!(implied_vol, m)?)?;
    m.add_function(wrap_pyfunction!(implied_vol_status_names, m)?)?;
    m.add_function(wrap_pyfunction!(book_risk, m)?)?;
    m.add_function(wrap_pyfunction!(leg_metric_names, m)?)?;
    m.add_function(wrap_pyfunction!(bucket_upper_dte, m)?)?;
    m.add_function(wrap_pyfunction!(simd_level, m)?)?;
    m.add_function(wrap_pyfunction!(thread_count, m)?)?;
    Ok(())
}
