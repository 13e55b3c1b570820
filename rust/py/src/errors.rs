//! The boundary between Python and the core: core errors become `alvh.exceptions` classes, and
//! [`compute`] runs every array-sized core call with the GIL released.

use alvh_core::error::CoreError;
use pyo3::prelude::*;

pyo3::import_exception!(alvh.exceptions, InputError);
pyo3::import_exception!(alvh.exceptions, DomainError);

/// Maps a core error to the matching `alvh.exceptions` class. A `DomainError` also carries the
/// `argument` and flat `row` as attributes, so that the Python layer can name the row in the
/// argument's own shape.
struct BindingError(CoreError);

impl BindingError {
    fn into_py_err(self, py: Python<'_>) -> PyErr {
        match &self.0 {
            CoreError::Length { .. } => InputError::new_err(self.0.to_string()),
            CoreError::Domain { argument, row, .. } => {
                let err = DomainError::new_err(self.0.to_string());
                let value = err.value(py);
                match value.setattr("argument", *argument).and_then(|()| value.setattr("row", *row)) {
                    Ok(()) => err,
                    Err(failed) => failed,
                }
            }
        }
    }
}

/// Release the GIL around a core computation and map its error. Every array-sized function
/// goes through here.
pub(crate) fn compute<T: Send>(py: Python<'_>, work: impl FnOnce() -> Result<T, CoreError> + Send) -> PyResult<T> {
    py.detach(work).map_err(|e| BindingError(e).into_py_err(py))
}
