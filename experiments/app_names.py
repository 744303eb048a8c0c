"""Readable names of regions, industries and clusters for the teaching app.

The generic economy names its industries by value chain and stage (``C2.3``: chain 2,
stage 3) and its regions ``R1``, ``R2``...; a student reads "Value chain 2: final goods"
and "Region 1" instead. Names are derived from the model's own tables (the chain of each
industry and its position in the chain); the Marche-like economy's hand-written names
("Footwear", "Marche-like") are kept as they are.
"""

from __future__ import annotations

import re

from clusterlab.model.cluster_model import ClusterModel

__all__ = ["cluster_names", "industry_names", "region_names", "stage_word"]

_GENERIC_INDUSTRY = re.compile(r"^C(\d+)\.(\d+)$")
_GENERIC_REGION = re.compile(r"^R(\d+)$")
_CHALLENGE = re.compile(r"^Challenge (\d+)$")


def stage_word(stage: int, length: int) -> str:
    """Name of stage ``stage`` (0-based) of a value chain of ``length`` stages.

    The first stage makes inputs, the last final goods, any stage between parts:
    ``stage_word(0, 3) == "inputs"``, ``stage_word(1, 3) == "parts"``,
    ``stage_word(2, 3) == "final goods"``.
    """
    if stage == length - 1:
        return "final goods"
    return "inputs" if stage == 0 else "parts"


def industry_names(model: ClusterModel) -> list[str]:
    """Readable name of every industry, in index order."""
    ind = model.state.industries
    out = []
    for p, name in enumerate(ind.names):
        if (m := _GENERIC_INDUSTRY.match(name)) is not None:
            chain = int(ind.chain[p])
            stages = ind.chain_industries(chain).tolist()
            word = stage_word(stages.index(p), len(stages))
            out.append(f"Value chain {m.group(1)}: {word}")
        elif (m := _CHALLENGE.match(name)) is not None:
            out.append(f"Green/digital challenge {m.group(1)}")
        else:
            out.append(name)
    return out


def region_names(model: ClusterModel) -> list[str]:
    """Readable name of every region (``R1`` -> ``Region 1``), in index order."""
    return [
        f"Region {m.group(1)}" if (m := _GENERIC_REGION.match(name)) else name
        for name in model.state.geo.region_names
    ]


def cluster_names(model: ClusterModel) -> list[str]:
    """Readable name of every cluster: its value chain's final goods and region.

    E.g. "Value chain 2 cluster, Region 1" (generic economy) or "Footwear cluster,
    Marche-like" (the Marche-like economy names the chain by its final industry).
    """
    ws = model.state
    industries, regions = industry_names(model), region_names(model)
    out = []
    for chain, region in zip(ws.orgs.chain, ws.orgs.region, strict=True):
        if (
            chain < 0
        ):  # founded during the run around the challenge industries (clusterlab.model.emergence)
            out.append(f"Challenge industries cluster, {regions[int(region)]}")
            continue
        downstream = int(ws.industries.chain_industries(int(chain))[-1])
        name = industries[downstream]
        if _GENERIC_INDUSTRY.match(ws.industries.names[downstream]):
            name = f"Value chain {int(chain) + 1}"
        out.append(f"{name} cluster, {regions[int(region)]}")
    return out
