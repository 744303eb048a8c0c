"""Named presets: policy mixes (and one stylised teaching economy) as parameter overrides.

Every policy preset keeps the default yearly budget per region (5 M€) and allocation
(``pro_rata``): the presets share the same budget **cap**, not the same cost. A budget is
a cap: each mix spends what its claims come to, up to the cap, so the presets do *not*
compare at equal realised cost. Measured at 1,000 firms over 50 years, seeds 0-2 (M€
over the run, all four regions; cap 1,000; clusters founded during the run claim too):
``intra_cluster`` 540-596, ``ris3_relatedness`` 934-951, ``ris3_targeted`` 885-918,
``outward_looking`` 843-883, ``governance`` 996-998, ``mission`` 800; under
``allocation="call"`` within 7% of that in the same seed (``intra_cluster`` 527-557,
``ris3_relatedness`` 930-944, ``ris3_targeted`` 865-907, ``outward_looking`` 825-881,
``governance`` 993-998, ``mission`` 800). For equal realised cost, either run the mixes
with ``allocation="call"`` and a budget that every mix's demand exceeds (a call spends
exactly the budget then; the demo, experiments/files/demo.toml, does this at
``policy_budget=0.4``, where every preset spends 78.4-80 M€ over 50 years and the report
says whether the spends are equal within 5%), or calibrate each lever's intensity to a
spend target (``clusterlab calibrate``, :mod:`clusterlab.experiments.calibrate`).
"""

from __future__ import annotations

from typing import Any

from clusterlab.model.errors import ParameterError
from clusterlab.model.params import ModelParams, suggest

__all__ = ["PRESETS", "preset", "preset_names"]

PRESETS: dict[str, tuple[str, dict[str, Any]]] = {
    "baseline": ("No cluster policy: every lever at zero.", {}),
    "intra_cluster": (
        "Old-style cluster policy: subsidised networking inside clusters and funded cluster "
        "organizations.",
        {"intra_cluster_subsidy": 0.5, "cluster_org_funding": 0.2},
    ),
    "ris3_relatedness": (
        "RIS3 relatedness: subsidised links across clusters and with universities.",
        {"cross_cluster_subsidy": 0.5, "university_link_subsidy": 0.5},
    ),
    "ris3_targeted": (
        "RIS3 relatedness with missing-link targeting: only links bringing fields of related "
        "industries the region lacks are subsidised.",
        {
            "cross_cluster_subsidy": 0.5,
            "university_link_subsidy": 0.5,
            "subsidy_targeting": "missing_link",
        },
    ),
    "outward_looking": (
        "Outward-looking RIS3: subsidised links with firms of other regions.",
        {"interregional_subsidy": 0.5},
    ),
    "governance": (
        "Cluster governance: funded cluster organizations pool SME R&D, broker links, "
        "partner abroad and steer toward their roadmaps; SME R&D grants.",
        {"cluster_org_funding": 0.5, "sme_rd_grant": 0.3},
    ),
    "mission": (
        "Mission-oriented: public procurement pulls demand for challenge (green/digital) "
        "industries.",
        {"challenge_demand": 4.0},
    ),
    "marche_teaching": (
        "STYLISED TEACHING SET, NOT CALIBRATED: a Marche-like region (footwear, furniture, "
        "home appliances) and a partner region (machinery, electronics), no policy.",
        {"economy": "marche", "n_regions": 2, "n_firms": 600},
    ),
}
"""name -> (one-line description, parameter overrides)."""


def preset_names() -> list[str]:
    """Names of all presets."""
    return list(PRESETS)


def preset(name: str, **overrides: Any) -> ModelParams:
    """Parameters of a named preset, with further overrides by name.

    Raises
    ------
    ParameterError
        If the preset or a parameter name is unknown, or a value out of range.
    """
    if name not in PRESETS:
        raise ParameterError(
            f"Unknown preset '{name}'.{suggest(name, list(PRESETS))} "
            f"Choose one of: {', '.join(PRESETS)}."
        )
    return ModelParams().replace(**{**PRESETS[name][1], **overrides})
