"""Block numba: with this folder on PYTHONPATH, ``import numba`` raises ImportError.

``make test-no-numba`` runs the model tests so, as on an install without the ``fast``
extra (docs/reproducibility.md).
"""

import sys

sys.modules["numba"] = None  # type: ignore[assignment]
