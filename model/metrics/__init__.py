"""Economic-geography metrics: pure functions of numpy arrays.

Specialisation (RCA, M, diversity, absolute diversity, ubiquity, Herfindahl, Krugman,
locational Gini), relatedness (co-occurrence, proximity, relatedness density, entries and
exits, persistent entries and exits, revealed relatedness),
variety (entropy, related and unrelated variety), complexity (KCI, TCI), cognitive
distance and technological heterogeneity, and novelty of combinations. Matrices have
regions in rows and industries in columns unless a docstring says otherwise.
"""

from clusterlab.model.metrics._validation import MetricError
from clusterlab.model.metrics.complexity import ComplexityMethod, complexity
from clusterlab.model.metrics.entries import classify_by_density, classify_entries, entry_exit
from clusterlab.model.metrics.heterogeneity import (
    cognitive_distance,
    cognitive_distance_rows,
    group_heterogeneity,
    knowledge_entropy,
    pairwise_cognitive_distance,
    technological_heterogeneity,
)
from clusterlab.model.metrics.novelty import (
    atypicality_z,
    classify_novelty,
    combination_incidence,
    first_combinations,
    recent_combinations,
)
from clusterlab.model.metrics.persistence import (
    PersistentPath,
    PersistentUpdate,
    persistent_specialisation,
    persistent_update,
)
from clusterlab.model.metrics.relatedness import (
    RelatednessMethod,
    co_occurrence,
    density_inside_outside,
    proximity,
    relatedness,
    relatedness_density,
)
from clusterlab.model.metrics.revealed import (
    RevealedMethod,
    relatedness_correlation,
    revealed_relatedness,
    unit_incidence,
)
from clusterlab.model.metrics.specialisation import (
    absolute_diversity,
    diversity,
    herfindahl,
    krugman_index,
    locational_gini,
    rca,
    specialisation_matrix,
    ubiquity,
)
from clusterlab.model.metrics.variety import entropy, variety_decomposition

__all__ = [
    "ComplexityMethod",
    "MetricError",
    "PersistentPath",
    "PersistentUpdate",
    "RelatednessMethod",
    "RevealedMethod",
    "absolute_diversity",
    "atypicality_z",
    "classify_by_density",
    "classify_entries",
    "classify_novelty",
    "co_occurrence",
    "cognitive_distance",
    "cognitive_distance_rows",
    "combination_incidence",
    "complexity",
    "density_inside_outside",
    "diversity",
    "entropy",
    "entry_exit",
    "first_combinations",
    "group_heterogeneity",
    "herfindahl",
    "knowledge_entropy",
    "krugman_index",
    "locational_gini",
    "pairwise_cognitive_distance",
    "persistent_specialisation",
    "persistent_update",
    "proximity",
    "rca",
    "recent_combinations",
    "relatedness",
    "relatedness_correlation",
    "relatedness_density",
    "revealed_relatedness",
    "specialisation_matrix",
    "technological_heterogeneity",
    "ubiquity",
    "unit_incidence",
    "variety_decomposition",
]
