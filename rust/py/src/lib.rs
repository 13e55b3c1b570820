//! `alvh._core`: the Python bindings of `alvh-core`. Bindings only — every array-sized call
//! follows the same rhythm: Python has already normalised the arguments (float64, C-contiguous,
//! one dimension, scalars as floats); here each array is borrowed without a copy, the GIL is
//! released around the core call ([`compute`]), and results land in caller-provided arrays.

use alvh_core::book::legs::{self, LegInputs, LinkInputs, Metric};
use alvh_core::book::risk::{self, LegOutputs};
use alvh_core::book::smile::SmileTable;
use alvh_core::error::CoreError;
use alvh_core::option::european::Model;
use alvh_core::option::inputs::{Column, Flags, InvalidRows, OptionInputs};
use alvh_core::option::{batch, batch::GreeksOutput, iv};
use alvh_core::runtime::{dispatch, parallel};
use alvh_core::scenario::{self, Dynamics, EXPLAIN_TERMS, Grid, LegSmiles};
use numpy::{
    IntoPyArray, PyArray2, PyArrayMethods, PyReadonlyArray1, PyReadonlyArray2, PyReadwriteArray1, PyReadwriteArray2,
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

/// Two arrays returned to Python.
type ArrayPair<'py> = (Bound<'py, PyArray2<f64>>, Bound<'py, PyArray2<f64>>);
/// An array and an optional one, returned to Python.
type ArrayAndOption<'py> = (Bound<'py, PyArray2<f64>>, Option<Bound<'py, PyArray2<f64>>>);

/// A book's legs as a dict of 1-D arrays (keys as in `LegInputs`), built by `alvh.valuation`.
#[derive(FromPyObject)]
#[pyo3(from_item_all)]
struct LegArrays<'py> {
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
    fn inputs(&self) -> PyResult<LegInputs<'_>> {
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

/// Trader-unit risk of book legs: per-layer sums `(metrics[layers, 17], vega_by_bucket[layers, 5])`,
/// and the per-leg metrics into `per_leg[17, legs]` when given. See `alvh.valuation`.
#[pyfunction]
#[pyo3(signature = (legs, layers, spx_spot, vix_spot, log_beta, per_leg=None))]
fn book_risk<'py>(
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

/// Scenario P&L per scenario and layer, `pnl[scenarios, layers]` (scenarios in C order over spot,
/// vol, horizon, VIX level), and the book's explain terms `explain[scenarios, 7]` when asked.
/// See `alvh.scenarios`.
#[pyfunction]
#[pyo3(signature = (legs, layers, spx_spot, vix_spot, log_beta, smile_model, smile_params, k_range,
    smile_first, smile_first_weight, smile_second, smile_second_weight, smile_time,
    spot_shock, vol_shift, horizon_days, vix_level, sticky_moneyness, scale_by_sqrt_time, spot_vol_link,
    vvol_beta, explain))]
fn scenario_pnl<'py>(
    py: Python<'py>,
    legs: LegArrays,
    layers: usize,
    spx_spot: f64,
    vix_spot: f64,
    log_beta: f64,
    smile_model: PyReadonlyArray1<u8>,
    smile_params: PyReadonlyArray2<f64>,
    k_range: f64,
    smile_first: PyReadonlyArray1<u32>,
    smile_first_weight: PyReadonlyArray1<f64>,
    smile_second: PyReadonlyArray1<u32>,
    smile_second_weight: PyReadonlyArray1<f64>,
    smile_time: PyReadonlyArray1<f64>,
    spot_shock: PyReadonlyArray1<f64>,
    vol_shift: PyReadonlyArray1<f64>,
    horizon_days: PyReadonlyArray1<f64>,
    vix_level: PyReadonlyArray1<f64>,
    sticky_moneyness: bool,
    scale_by_sqrt_time: bool,
    spot_vol_link: bool,
    vvol_beta: f64,
    explain: bool,
) -> PyResult<ArrayAndOption<'py>> {
    let inputs = legs.inputs()?;
    if smile_params.shape()[1] != 5 {
        return Err(InputError::new_err("smile_params must have 5 columns"));
    }
    let flat_params = smile_params
        .as_slice()
        .map_err(|_| InputError::new_err("smile_params must be a C-contiguous float64 array"))?;
    let params: Vec<[f64; 5]> = flat_params.chunks_exact(5).map(|c| [c[0], c[1], c[2], c[3], c[4]]).collect();
    let smiles = LegSmiles {
        table: SmileTable { model: slice(&smile_model, "smile_model")?, params: &params, k_range },
        first: slice(&smile_first, "smile_first")?,
        first_weight: slice(&smile_first_weight, "smile_first_weight")?,
        second: slice(&smile_second, "smile_second")?,
        second_weight: slice(&smile_second_weight, "smile_second_weight")?,
        time: slice(&smile_time, "smile_time")?,
    };
    let grid = Grid {
        spot_shock: slice(&spot_shock, "spot_shock")?,
        vol_shift: slice(&vol_shift, "vol_shift")?,
        horizon_days: slice(&horizon_days, "horizon_days")?,
        vix_level: slice(&vix_level, "vix_level")?,
    };
    let dynamics = Dynamics { sticky_moneyness, scale_by_sqrt_time, spot_vol_link, vvol_beta };
    let link = LinkInputs { spx_spot, vix_spot, log_beta };
    let scenarios = grid.len();
    let mut pnl = vec![0.0; scenarios * layers];
    let mut terms = explain.then(|| vec![0.0; scenarios * EXPLAIN_TERMS.len()]);
    compute(py, || {
        scenario::scenario_pnl(&inputs, &smiles, link, layers, &grid, &dynamics, &mut pnl, terms.as_deref_mut())
    })?;
    let pnl = pnl.into_pyarray(py).reshape([scenarios, layers])?;
    let terms = match terms {
        Some(t) => Some(t.into_pyarray(py).reshape([scenarios, EXPLAIN_TERMS.len()])?),
        None => None,
    };
    Ok((pnl, terms))
}

/// Names of the explain terms of `scenario_pnl`, in column order.
#[pyfunction]
fn explain_terms() -> Vec<&'static str> {
    EXPLAIN_TERMS.to_vec()
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
    m.add_function(wrap_pyfunction!(scenario_pnl, m)?)?;
    m.add_function(wrap_pyfunction!(explain_terms, m)?)?;
    m.add_function(wrap_pyfunction!(leg_metric_names, m)?)?;
    m.add_function(wrap_pyfunction!(bucket_upper_dte, m)?)?;
    m.add_function(wrap_pyfunction!(simd_level, m)?)?;
    m.add_function(wrap_pyfunction!(thread_count, m)?)?;
    Ok(())
}
