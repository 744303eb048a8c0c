"""Named presets: policy mixes (and one stylised teaching economy) as parameter overrides.

Every policy preset has the same yearly budget per region as the default (5 M€), so
presets compare at equal public cost: what differs is which instruments may draw on it.
"""

from __future__ import annotations

from typing import Any

from model.errors import ParameterError
from model.params import ModelParams, suggest

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
