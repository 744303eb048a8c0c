"""Stable ordering of integer keys, by one fast unstable sort of distinct composite keys.

numpy's stable argsort of int64 keys is a merge sort; its default sort of int64 values
uses SIMD sorting networks and is several times faster. Keys made distinct by appending
the position (``key * n + i``) sort the same way under any sort, so sorting them and
taking the positions back gives exactly the stable order.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

__all__ = ["stable_order"]

IntArray = npt.NDArray[np.int64]


def stable_order(key: npt.ArrayLike) -> IntArray:
    """``np.argsort(key, kind="stable")`` for integer keys, faster.

    Examples
    --------
    >>> stable_order([2, 0, 2, 1, 0]).tolist()
    [1, 4, 3, 0, 2]
    """
    key = np.asarray(key)
    n = key.size
    if n == 0 or key.dtype.kind not in "iub":
        return np.argsort(key, kind="stable")
    key = key.astype(np.int64, copy=False)
    low, high = int(key.min()), int(key.max())
    if (high - low + 1) * n >= np.iinfo(np.int64).max:  # the composite would overflow
        return np.argsort(key, kind="stable")
    return np.sort((key - low) * n + np.arange(n)) % n
