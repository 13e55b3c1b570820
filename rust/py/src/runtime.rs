//! Where the kernels run: the instruction set and the number of threads.

use alvh_core::runtime::{dispatch, parallel};
use pyo3::prelude::*;

/// The instruction set the kernels run with: "avx512", "avx2" or "baseline".
#[pyfunction]
pub(crate) fn simd_level() -> &'static str {
    dispatch::active_level().name()
}

/// The number of threads alvh's kernels use (`ALVH_NUM_THREADS` caps it).
#[pyfunction]
pub(crate) fn thread_count() -> usize {
    parallel::thread_count()
}
