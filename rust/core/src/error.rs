//! Errors of the core. Each names the argument, the row and the value, and says what is allowed;
//! the Python bindings map each variant to one exception class of `alvh.exceptions`.

use std::fmt;

/// A structural or domain problem with the inputs of a batch call.
#[derive(Clone, Debug, PartialEq)]
pub enum CoreError {
    /// An array's length differs from the batch length.
    Length {
        /// Argument name.
        argument: &'static str,
        /// Its length.
        length: usize,
        /// The batch length.
        expected: usize,
    },
    /// A value outside its domain (for example a negative volatility).
    Domain {
        /// Argument name.
        argument: &'static str,
        /// Row index.
        row: usize,
        /// The offending value.
        value: f64,
        /// What is allowed, in words.
        allowed: &'static str,
    },
}

impl fmt::Display for CoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CoreError::Length { argument, length, expected } => write!(
                f,
                "{argument} has length {length} but the other inputs have length {expected}; \
                 pass one value or one per row"
            ),
            CoreError::Domain { argument, row, value, allowed } => {
                write!(f, "{argument}[{row}] = {value:?} is not allowed: {argument} must be {allowed}")
            }
        }
    }
}

impl std::error::Error for CoreError {}
