"""Economic-geography metrics: pure functions of numpy arrays.

Specialisation (RCA, M, diversity, ubiquity, Herfindahl, Krugman, locational Gini),
relatedness (co-occurrence, proximity, relatedness density, entries and exits),
variety (entropy, related and unrelated variety), complexity (KCI, TCI), cognitive
distance and technological heterogeneity, and novelty of combinations. Matrices have
regions in rows and industries in columns unless a docstring says otherwise.
"""

from model.metrics._validation import MetricError
from model.metrics.complexity import ComplexityMethod, complexity
from model.metrics.entries import classify_entries, entry_exit
from model.metrics.heterogeneity import (
    cognitive_distance,
    cognitive_distance_rows,
    group_heterogeneity,
    knowledge_entropy,
    pairwise_cognitive_distance,
    technological_heterogeneity,
)
from model.metrics.novelty import (
    atypicality_z,
    classify_novelty,
    combination_incidence,
    first_combinations,
    recent_combinations,
)
from model.metrics.relatedness import (
    RelatednessMethod,
    co_occurrence,
    density_inside_outside,
    proximity,
    relatedness,
    relatedness_density,
)
from model.metrics.specialisation import (
    diversity,
    herfindahl,
    krugman_index,
    locational_gini,
    rca,
    specialisation_matrix,
    ubiquity,
)
from model.metrics.variety import entropy, variety_decomposition

__all__ = [
    "ComplexityMethod",
    "MetricError",
    "RelatednessMethod",
    "atypicality_z",
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
    "proximity",
    "rca",
    "recent_combinations",
    "relatedness",
    "relatedness_density",
    "specialisation_matrix",
    "technological_heterogeneity",
    "ubiquity",
    "variety_decomposition",
]
