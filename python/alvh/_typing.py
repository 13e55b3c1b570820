"""Type aliases shared across the package."""

import numpy as np
from numpy.typing import NDArray

__all__ = ["FloatArray"]

FloatArray = NDArray[np.float64]
"""A numpy array of float64 (any shape)."""
