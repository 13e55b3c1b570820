//! Scenario grids: `scenario_pnl` (P&L per scenario and layer, with the optional explain) and
//! the names of the explain terms.

use crate::book::LegArrays;
use crate::convert::slice;
use crate::errors::{InputError, compute};
use alvh_core::book::legs::LinkInputs;
use alvh_core::book::smile::SmileTable;
use alvh_core::scenario::{self, Dynamics, EXPLAIN_TERMS, Grid, LegSmiles};
use numpy::{
    IntoPyArray, PyArray1, PyArray2, PyArrayMethods, PyReadonlyArray1, PyReadonlyArray2, PyUntypedArrayMethods,
};
use pyo3::prelude::*;

/// The P&L, the floored-leg counts and the optional explain, returned to Python.
type ScenarioArrays<'py> = (Bound<'py, PyArray2<f64>>, Bound<'py, PyArray1<u32>>, Option<Bound<'py, PyArray2<f64>>>);

/// Scenario P&L per scenario and layer, `pnl[scenarios, layers]` (scenarios in C order over spot,
/// vol, horizon, VIX level), the number of legs valued on a floored input `floored[scenarios]`
/// (a vol raised to 0, a VIX future or VIX′ to 0.01), and the book's explain terms
/// `explain[scenarios, 7]` when asked. See `alvh.risk.scenarios`.
#[pyfunction]
#[pyo3(signature = (legs, layers, spx_spot, vix_spot, log_beta, smile_model, smile_params, k_range,
    smile_first, smile_first_weight, smile_second, smile_second_weight, smile_time,
    spot_shock, vol_shift, horizon_days, vix_level, sticky_moneyness, scale_by_sqrt_time, spot_vol_link,
    vvol_beta, explain))]
pub(crate) fn scenario_pnl<'py>(
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
) -> PyResult<ScenarioArrays<'py>> {
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
    let mut floored = vec![0; scenarios];
    let mut terms = explain.then(|| vec![0.0; scenarios * EXPLAIN_TERMS.len()]);
    compute(py, || {
        let explain = terms.as_deref_mut();
        scenario::scenario_pnl(&inputs, &smiles, link, layers, &grid, &dynamics, &mut pnl, &mut floored, explain)
    })?;
    let pnl = pnl.into_pyarray(py).reshape([scenarios, layers])?;
    let terms = match terms {
        Some(t) => Some(t.into_pyarray(py).reshape([scenarios, EXPLAIN_TERMS.len()])?),
        None => None,
    };
    Ok((pnl, floored.into_pyarray(py), terms))
}

/// Names of the explain terms of `scenario_pnl`, in column order.
#[pyfunction]
pub(crate) fn explain_terms() -> Vec<&'static str> {
    EXPLAIN_TERMS.to_vec()
}
