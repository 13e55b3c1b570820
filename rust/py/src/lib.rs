//! `alvh._core`: the Python bindings of `alvh-core`. Bindings only — every array-sized call
//! follows the same rhythm: Python has already normalised the arguments (float64, C-contiguous,
//! one dimension, scalars as floats); here each array is borrowed without a copy, the GIL is
//! released around the core call ([`errors::compute`]), and results land in caller-provided arrays.
//!
//! One file per concern: [`convert`] (arguments as core inputs), [`errors`] (the error mapping and
//! the one boundary helper), [`pricing`], [`iv`], [`book`], [`scenario`] and [`runtime`]; this file
//! registers the module.

mod book;
mod convert;
mod errors;
mod iv;
mod pricing;
mod runtime;
mod scenario;

use pyo3::prelude::*;

#[pymodule]
fn _core(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add("CHUNK_ROWS", alvh_core::runtime::parallel::CHUNK)?;
    m.add_function(wrap_pyfunction!(pricing::price, m)?)?;
    m.add_function(wrap_pyfunction!(pricing::greeks, m)?)?;
    m.add_function(wrap_pyfunction!(iv::implied_vol, m)?)?;
    m.add_function(wrap_pyfunction!(iv::implied_vol_status_names, m)?)?;
    m.add_function(wrap_pyfunction!(book::book_risk, m)?)?;
    m.add_function(wrap_pyfunction!(scenario::scenario_pnl, m)?)?;
    m.add_function(wrap_pyfunction!(scenario::explain_terms, m)?)?;
    m.add_function(wrap_pyfunction!(book::leg_metric_names, m)?)?;
    m.add_function(wrap_pyfunction!(book::bucket_upper_dte, m)?)?;
    m.add_function(wrap_pyfunction!(runtime::simd_level, m)?)?;
    m.add_function(wrap_pyfunction!(runtime::thread_count, m)?)?;
    Ok(())
}
