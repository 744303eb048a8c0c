"""The knowledge space: fields, their proximity, cognitive distance and absorptive capacity.

Fields have latent positions in a plane: the families sit evenly on a unit circle and the
fields of a family on a small circle around their family's centre. True proximity between
two fields decays with their latent distance, so fields of one family are close, fields of
neighbouring families are somewhat related and fields of opposite families unrelated.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from clusterlab.model.kernels import node_distance_gap
from clusterlab.model.metrics.heterogeneity import cognitive_distance_rows

__all__ = [
    "FIELD_RING_RADIUS",
    "KnowledgeSpace",
    "NodeKnowledge",
    "absorptive_capacity",
    "build_knowledge_space",
    "cognitive_distance_rows",
    "recipe_fit",
    "recipe_relatedness",
]

FIELD_RING_RADIUS = 0.2
"""Radius of the small circle on which a family's fields sit (latent units)."""

ABSORPTION_SHARPNESS = 4.0
"""Exponent gamma of the absorptive-capacity curve (how narrow the inverted U is)."""


@dataclass(frozen=True, slots=True)
class KnowledgeSpace:
    """Fields of knowledge and their true proximity.

    Attributes
    ----------
    positions : ndarray, shape (K, 2)
        Latent position of each field.
    family : ndarray of int, shape (K,)
        Family index of each field.
    proximity : ndarray, shape (K, K)
        ``exp(-distance / scale)``; 1 on the diagonal, symmetric, positive definite.
    field_names, family_names : tuple of str
        Labels for tables and the app.
    """

    positions: npt.NDArray[np.float64]
    family: npt.NDArray[np.int64]
    proximity: npt.NDArray[np.float64]
    field_names: tuple[str, ...]
    family_names: tuple[str, ...]

    @property
    def n_fields(self) -> int:
        """Number of fields K."""
        return int(self.family.size)


def build_knowledge_space(
    n_families: int,
    fields_per_family: int,
    scale: float,
    family_names: tuple[str, ...] | None = None,
    field_names: tuple[str, ...] | None = None,
) -> KnowledgeSpace:
    r"""Lay out the fields and compute their proximity.

    Parameters
    ----------
    n_families, fields_per_family : int
        Shape of the space: K = n_families * fields_per_family fields.
    scale : float
        Length scale of proximity, in latent units.
    family_names, field_names : tuple of str, optional
        Labels; generated ("F1", "F1.2") when not given.

    Returns
    -------
    KnowledgeSpace

    Notes
    -----
    Family f sits at angle :math:`2\pi f / F` on the unit circle; its field j at angle
    :math:`2\pi j / J` on a circle of radius 0.2 around it. Proximity is the Laplacian
    kernel :math:`\psi_{kl} = \exp(-\lVert x_k - x_l \rVert / s)`, positive definite in
    any dimension, so the cognitive distance built on it is well defined.
    """
    fam = np.repeat(np.arange(n_families), fields_per_family)
    j = np.tile(np.arange(fields_per_family), n_families)
    fam_angle = 2 * np.pi * fam / n_families
    field_angle = 2 * np.pi * j / fields_per_family
    positions = np.column_stack(
        [
            np.cos(fam_angle) + FIELD_RING_RADIUS * np.cos(field_angle),
            np.sin(fam_angle) + FIELD_RING_RADIUS * np.sin(field_angle),
        ]
    )
    dist = np.linalg.norm(positions[:, None, :] - positions[None, :, :], axis=-1)
    if family_names is None:
        family_names = tuple(f"F{f + 1}" for f in range(n_families))
    if field_names is None:
        field_names = tuple(f"{family_names[f]}.{k + 1}" for f, k in zip(fam, j, strict=True))
    return KnowledgeSpace(
        positions=positions,
        family=fam,
        proximity=np.exp(-dist / scale),
        field_names=tuple(field_names),
        family_names=tuple(family_names),
    )


@dataclass(frozen=True, slots=True)
class NodeKnowledge:
    """Knowledge of the network's nodes, firms then universities, with its Psi products.

    Node i is firm row i for i < ``n_firms`` and university ``i - n_firms`` after. Built
    once for many pairs: the products with Psi are one matrix product for all nodes
    instead of two per pair.
    """

    knowledge: npt.NDArray[np.float64]  # (nodes, K)
    projected: npt.NDArray[np.float64]  # (nodes, K): knowledge @ proximity
    n_firms: int

    @classmethod
    def of(
        cls,
        firms: npt.NDArray[np.float64],
        universities: npt.NDArray[np.float64],
        proximity: npt.NDArray[np.float64],
    ) -> NodeKnowledge:
        """Stack firm and university knowledge rows and project them on Psi."""
        knowledge = np.concatenate([firms, universities])
        return cls(knowledge, knowledge @ proximity, firms.shape[0])

    def node(
        self, index: npt.NDArray[np.int64], university: npt.NDArray[np.bool_]
    ) -> npt.NDArray[np.int64]:
        """Node of each firm row or (where ``university``) university row."""
        return np.where(university, self.n_firms + index, index)

    def distance_and_gap(
        self, a: npt.NDArray[np.int64], b: npt.NDArray[np.int64]
    ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
        """Cognitive distance from node a[i] to b[i] and the mean gap max(0, k_b - k_a).

        The distance is :func:`cognitive_distance_rows` of the two rows.
        """
        return node_distance_gap(self.knowledge, self.projected, a, b, True)

    def distance(
        self, a: npt.NDArray[np.int64], b: npt.NDArray[np.int64]
    ) -> npt.NDArray[np.float64]:
        """Cognitive distance from node a[i] to b[i] (as :meth:`distance_and_gap`)."""
        return node_distance_gap(self.knowledge, self.projected, a, b, False)[0]


def absorptive_capacity(
    distance: npt.NDArray[np.float64] | float, optimum: float
) -> npt.NDArray[np.float64]:
    r"""Share of a partner's knowledge gap a firm can absorb, by cognitive distance.

    Parameters
    ----------
    distance : array_like, values in [0, 1]
        Cognitive distance to the partner.
    optimum : float in (0, 1)
        Distance at which absorption peaks (value 1).

    Returns
    -------
    ndarray
        Values in [0, 1]; 0 at distance 0 (nothing new to learn), falling toward 0 far
        beyond the optimum (nothing understood).

    Notes
    -----
    An inverted U (Nooteboom 2007: learning = novelty x understandability) written as a
    gamma kernel,

    .. math:: A(d) = \left[\frac{d}{d^*}\, e^{\,1 - d/d^*}\right]^{\gamma},
              \qquad \gamma = 4,

    which is 1 at :math:`d = d^*`; its width is proportional to :math:`d^*`, so the
    shape does not change with the optimum (A = 0.46 at half and 0.29 at twice the
    optimum).

    References
    ----------
    Nooteboom, B. et al. (2007). Optimal cognitive distance and absorptive capacity.
    Research Policy 36(7), 1016-1034. doi:10.1016/j.respol.2007.04.003

    Examples
    --------
    >>> float(absorptive_capacity(0.5, 0.5))
    1.0
    >>> round(float(absorptive_capacity(0.25, 0.5)), 4)  # (0.5 * e**0.5) ** 4
    0.4618
    """
    d = np.clip(np.asarray(distance, dtype=np.float64), 0.0, 1.0)
    x = d / optimum
    return (x * np.exp(1.0 - x)) ** ABSORPTION_SHARPNESS


def recipe_fit(
    knowledge: npt.NDArray[np.float64], recipes: npt.NDArray[np.float64]
) -> npt.NDArray[np.float64]:
    r"""Fit of each actor's knowledge with each industry's recipe.

    Parameters
    ----------
    knowledge : ndarray, shape (n, K), values in [0, 1]
    recipes : ndarray, shape (P, K), rows sum to 1

    Returns
    -------
    ndarray, shape (n, P)
        :math:`\mathrm{fit}_{ip} = \sum_k R_{pk} k_{ik}`, in [0, 1].
    """
    return knowledge @ recipes.T


def recipe_relatedness(
    recipes: npt.NDArray[np.float64], proximity: npt.NDArray[np.float64]
) -> npt.NDArray[np.float64]:
    r"""Skill relatedness between industries from the proximity of their recipes.

    Parameters
    ----------
    recipes : ndarray, shape (P, K)
    proximity : ndarray, shape (K, K)

    Returns
    -------
    ndarray, shape (P, P)
        :math:`\phi_{pq} = r_p^\top \Psi r_q / \sqrt{r_p^\top \Psi r_p \; r_q^\top
        \Psi r_q}`, in [0, 1], with a zero diagonal (as relatedness matrices have).

    Notes
    -----
    With only a handful of regions, co-occurrence relatedness is too noisy to drive a
    model, so the model measures relatedness as the overlap of the knowledge industries
    need (skill relatedness, Neffke & Henning 2013). The co-occurrence measures are in
    :mod:`clusterlab.model.metrics.relatedness` for analysing outputs.
    """
    g = recipes @ proximity @ recipes.T
    norm = np.sqrt(np.diag(g))
    phi = g / np.outer(norm, norm)
    np.fill_diagonal(phi, 0.0)
    return phi
