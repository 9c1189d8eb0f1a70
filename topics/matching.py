"""One-to-one matching of two sets of groups by a score (Hungarian): a leaf module.

Used by ``topics compare`` (topics of two runs) and by the candidate topics of an assign
(this assign's groups of novel documents against the candidates before it).
"""

from __future__ import annotations

import numpy as np


def match_one_to_one(scores: np.ndarray, floor: float) -> list[tuple[int, int]]:
    """One-to-one pairs ``(row, column)`` maximising the summed score (Hungarian), each at
    least ``floor``."""
    from scipy.optimize import linear_sum_assignment

    if not scores.size:
        return []
    rows, columns = linear_sum_assignment(scores, maximize=True)
    return [(int(i), int(j)) for i, j in zip(rows, columns, strict=True) if scores[i, j] >= floor]
