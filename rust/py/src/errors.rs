//! The boundary between Python and the core: core errors become `alvh.exceptions` classes, and
//! [`compute`] runs every array-sized core call with the GIL released.

use alvh_core::error::CoreError;
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
pub(crate) fn compute<T: Send>(py: Python<'_>, work: impl FnOnce() -> Result<T, CoreError> + Send) -> PyResult<T> {
    py.detach(work).map_err(|e| BindingError(e).into())
}
