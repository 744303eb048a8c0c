"""NACE Rev. 2 divisions mapped to the model's value chains and knowledge families.

A region table (:mod:`clusterlab.model.regions`) names industries by their NACE Rev. 2 division:
the section letter followed by the two-digit division, e.g. ``C20`` (chemicals) or
``J62`` (computer programming). The model needs, for every industry, a value chain (its
suppliers and customers) and a knowledge family (the fields its recipe draws on). This
module holds the small, documented mapping (docs/regions.md):

- every division belongs to one of :data:`CHAIN_GROUPS`, a stylised value chain (e.g.
  C24 basic metals -> C25 metal products -> C28 machinery -> C33 repair); inside a chain
  the industries are ordered by division number, upstream first, and each buys from the
  previous one;
- every chain group draws on one knowledge family (:data:`GROUP_FAMILY`, for the default
  six families; with another number of families the family is taken modulo that number).

The grouping follows the usual value-chain readings of NACE (agri-food, textiles and
fashion, wood and furniture, chemicals and materials, metals and machinery, electronics,
transport equipment, energy and environment, construction, trade and logistics,
tourism, digital, business services, public and social services); it is a stylised
choice to give the model's recipes a structure, not an input-output table.
"""

from __future__ import annotations

import re

__all__ = ["CHAIN_GROUPS", "GROUP_FAMILY", "SECTIONS", "chain_group", "division_of"]

SECTIONS: dict[str, tuple[int, int]] = {
    "A": (1, 3),
    "B": (5, 9),
    "C": (10, 33),
    "D": (35, 35),
    "E": (36, 39),
    "F": (41, 43),
    "G": (45, 47),
    "H": (49, 53),
    "I": (55, 56),
    "J": (58, 63),
    "K": (64, 66),
    "L": (68, 68),
    "M": (69, 75),
    "N": (77, 82),
    "O": (84, 84),
    "P": (85, 85),
    "Q": (86, 88),
    "R": (90, 93),
    "S": (94, 96),
    "T": (97, 98),
    "U": (99, 99),
}
"""NACE Rev. 2 sections and their first and last division."""

MISSING_DIVISIONS = frozenset({4, 34, 40, 44, 48, 54, 57, 67, 76, 83, 89})
"""Numbers inside a section's range that are no division (gaps of NACE Rev. 2)."""

CHAIN_GROUPS: tuple[tuple[str, tuple[int, ...]], ...] = (
    ("Agri-food", (1, 2, 3, 10, 11, 12)),
    ("Textiles and fashion", (13, 14, 15)),
    ("Wood, paper and furniture", (16, 17, 18, 31)),
    ("Chemicals and materials", (5, 6, 7, 8, 9, 19, 20, 21, 22, 23)),
    ("Metals and machinery", (24, 25, 28, 32, 33)),
    ("Electronics and electrical", (26, 27)),
    ("Transport equipment", (29, 30)),
    ("Energy and environment", (35, 36, 37, 38, 39)),
    ("Construction", (41, 42, 43)),
    ("Trade and logistics", (45, 46, 47, 49, 50, 51, 52, 53)),
    ("Tourism", (55, 56)),
    ("Digital and media", (58, 59, 60, 61, 62, 63)),
    ("Finance and business services", tuple(range(64, 83))),
    ("Public and social services", tuple(range(84, 100))),
)
"""Stylised value chains: name and NACE divisions (upstream first by division number)."""

GROUP_FAMILY = (0, 5, 5, 1, 2, 3, 2, 1, 2, 4, 4, 4, 4, 0)
"""Knowledge family of each chain group, for six families (0 bio and food, 1 materials and
chemistry, 2 mechanics, 3 electronics, 4 digital and services, 5 design and craft)."""

_CODE = re.compile(r"^([A-U])(\d{2})$")
_GROUP_OF = {d: g for g, (_, divisions) in enumerate(CHAIN_GROUPS) for d in divisions}


def division_of(code: str) -> int | None:
    """Return the division number of a NACE Rev. 2 code like ``C20``, or None if unknown.

    Examples
    --------
    >>> division_of("C20"), division_of("J62"), division_of("C62"), division_of("C")
    (20, 62, None, None)
    """
    match = _CODE.match(code)
    if match is None:
        return None
    section, division = match.group(1), int(match.group(2))
    low, high = SECTIONS[section]
    if not low <= division <= high or division in MISSING_DIVISIONS:
        return None
    return division


def chain_group(division: int) -> int:
    """Return the chain group (index into :data:`CHAIN_GROUPS`) of a NACE division.

    Examples
    --------
    >>> CHAIN_GROUPS[chain_group(20)][0]
    'Chemicals and materials'
    """
    return _GROUP_OF[division]
