//! Python arguments as core inputs: numbers and flags (a scalar or a 1-D array, borrowed without
//! a copy), output arrays, and the option arguments every pricing function shares.

use crate::errors::InputError;
use alvh_core::option::european::Model;
use alvh_core::option::inputs::{Column, Flags, InvalidRows, OptionInputs};
use numpy::{PyReadonlyArray1, PyReadwriteArray1};
use pyo3::prelude::*;

/// A numeric argument: one float for every row, or a 1-D float64 array.
#[derive(FromPyObject)]
pub(crate) enum NumberArg<'py> {
    Array(PyReadonlyArray1<'py, f64>),
    Scalar(f64),
}

/// The call/put flag: one bool, or a 1-D bool array.
#[derive(FromPyObject)]
pub(crate) enum FlagArg<'py> {
    Array(PyReadonlyArray1<'py, bool>),
    Scalar(bool),
}

pub(crate) fn column<'a>(arg: &'a NumberArg, name: &str) -> PyResult<Column<'a>> {
    Ok(match arg {
        NumberArg::Scalar(v) => Column::Scalar(*v),
        NumberArg::Array(a) => Column::Values(
            a.as_slice().map_err(|_| InputError::new_err(format!("{name} must be a C-contiguous float64 array")))?,
        ),
    })
}

pub(crate) fn flags<'a>(arg: &'a FlagArg) -> PyResult<Flags<'a>> {
    Ok(match arg {
        FlagArg::Scalar(v) => Flags::Scalar(*v),
        FlagArg::Array(a) => {
            Flags::Values(a.as_slice().map_err(|_| InputError::new_err("is_call must be a C-contiguous bool array"))?)
        }
    })
}

pub(crate) fn output<'a>(arr: &'a mut PyReadwriteArray1<f64>, name: &str) -> PyResult<&'a mut [f64]> {
    arr.as_slice_mut()
        .map_err(|_| InputError::new_err(format!("{name} must be a writeable C-contiguous float64 array")))
}

pub(crate) fn model(name: &str) -> PyResult<Model> {
    match name {
        "bsm" => Ok(Model::Bsm),
        "black76" => Ok(Model::Black76),
        other => Err(InputError::new_err(format!("model = '{other}' is not allowed: use 'bsm' or 'black76'"))),
    }
}

pub(crate) fn invalid_rows(name: &str) -> PyResult<InvalidRows> {
    match name {
        "raise" => Ok(InvalidRows::Raise),
        "nan" => Ok(InvalidRows::Nan),
        other => Err(InputError::new_err(format!("on_invalid = '{other}' is not allowed: use 'raise' or 'nan'"))),
    }
}

/// The per-option arguments shared by every pricing function.
pub(crate) struct Args<'a> {
    pub(crate) underlying: &'a NumberArg<'a>,
    pub(crate) strike: &'a NumberArg<'a>,
    pub(crate) time_to_expiry: &'a NumberArg<'a>,
    pub(crate) vol: &'a NumberArg<'a>,
    pub(crate) rate: &'a NumberArg<'a>,
    pub(crate) div_yield: &'a NumberArg<'a>,
    pub(crate) is_call: &'a FlagArg<'a>,
}

impl<'a> Args<'a> {
    pub(crate) fn inputs(&self, model_name: &str) -> PyResult<OptionInputs<'a>> {
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

pub(crate) fn slice<'a, T: numpy::Element>(arr: &'a PyReadonlyArray1<T>, name: &str) -> PyResult<&'a [T]> {
    arr.as_slice().map_err(|_| InputError::new_err(format!("{name} must be a C-contiguous 1-D array")))
}
