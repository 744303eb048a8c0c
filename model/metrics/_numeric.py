"""Numeric steps shared by the metrics: safe division, row shares, z-scores."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

__all__ = ["row_shares", "safe_divide", "zscore"]


def safe_divide(
    numerator: npt.NDArray[np.float64], denominator: npt.NDArray[np.float64]
) -> npt.NDArray[np.float64]:
    """Divide element-wise (broadcasting); 0 where the denominator is 0."""
    num, den = np.broadcast_arrays(
        np.asarray(numerator, dtype=np.float64),
        np.asarray(denominator, dtype=np.float64),
    )
    out = np.zeros(num.shape, dtype=np.float64)
    np.divide(num, den, out=out, where=den != 0)
    return out


def row_shares(x: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """Each row divided by its sum; all-zero rows stay zero. Shape of `x`."""
    return safe_divide(x, x.sum(axis=1, keepdims=True))


def zscore(v: npt.NDArray[np.float64], tol: float = 1e-10) -> npt.NDArray[np.float64]:
    """Z-score with the population std (ddof=0); zeros if std <= tol * max|v|."""
    if v.size == 0:
        return np.zeros(0)
    std = v.std()
    if std <= tol * max(float(np.abs(v).max()), np.finfo(np.float64).tiny):
        return np.zeros_like(v)
    return (v - v.mean()) / std
