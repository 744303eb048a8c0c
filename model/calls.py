"""Competitive calls: proposal scores, budget clearing and the additionality of links.

A stylised budget-clearing call, the allocation rule of ``allocation = "call"``
(``model/policy.py``): every claim on a region's budget is a proposal; proposals are ranked
by a score and funded in full down the ranking until the money runs out; the marginal
proposal gets what is left and the others nothing. This is how competitive calls of
innovation and cohesion policy allocate a fixed envelope (e.g. ERDF and Interreg calls:
proposals are scored against published criteria, ranked, and funded in rank order until
the call budget is committed; European Commission 2021, Regulation (EU) 2021/1060, Art.
73), and it makes a mix whose demand exceeds the budget spend exactly the budget. The
score is the proposal's expected additionality per euro: the share of the money that pays
for activity that would not happen without it (input additionality; Cunningham, Gök &
Larédo 2016, "The impact of direct support to R&D and innovation in firms", in Edler et
al. (eds.), *Handbook of Innovation Policy Impact*, Edward Elgar), with ties broken by
lottery (partial randomisation of funding: Fang & Casadevall 2016, *mBio* 7(2),
e00422-16, doi:10.1128/mBio.00422-16). The rule is stylised: real calls score on several
criteria, fund multi-year projects and keep reserve lists.
"""

from __future__ import annotations

import itertools

import numpy as np
import numpy.typing as npt

from clusterlab.model.state import Instrument

__all__ = ["LINK_INSTRUMENTS", "call_scores", "clear_call", "viable_unsubsidised"]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


LINK_INSTRUMENTS = (
    Instrument.INTRA_CLUSTER,
    Instrument.CROSS_CLUSTER,
    Instrument.INTERREGIONAL,
    Instrument.UNIVERSITY_LINK,
)
"""Instruments that subsidise link fees."""


def viable_unsubsidised(
    side: tuple[FloatArray, FloatArray, FloatArray],
    back: tuple[FloatArray, FloatArray, FloatArray],
    university: BoolArray,
) -> BoolArray:
    r"""Whether prospective links would form without any subsidy (in-run counterfactual).

    Parameters
    ----------
    side, back : tuple of ndarray, each of shape (n,)
        ``(value, fee, expected_share)`` of each link to the searching firm and to the
        partner: the net value :math:`v = B c m - f (1 - e)` of :func:`link_value
        <clusterlab.model.networking.link_value>`, the fee :math:`f` and the expected subsidy share
        :math:`e = s \rho_r` that value counted. ``back`` is ignored where ``university``.
    university : ndarray of bool, shape (n,)
        Whether the partner is a university (which accepts every link).

    Returns
    -------
    ndarray of bool, shape (n,)
        :math:`v - f e > 0` for the firm and, for a firm partner, for the partner too:
        each end values the link above its *full* fee. A link with this flag that is
        subsidised is deadweight: the subsidy paid for a link that would have formed
        anyway. Links with no subsidy share have :math:`e = 0`, so the flag is their
        acceptance itself.

    Notes
    -----
    Counterfactual within the run: it holds the candidates and the rest of the year
    fixed, so a searcher whose best choice would change without the subsidy is not
    traced. The report-level comparison with the same-seed run without subsidy
    (``clusterlab.experiments.analysis.additionality_table``) traces those effects as well.
    """
    value, fee, expected = side
    back_value, back_fee, back_expected = back
    own = value - fee * expected > 0
    return own & (university | (back_value - back_fee * back_expected > 0))


def call_scores(instrument: IntArray, viable: BoolArray, sme_rd_grant: float) -> FloatArray:
    r"""Score of each proposal in a call: expected additionality per euro, in [0, 1].

    Parameters
    ----------
    instrument : ndarray of int, shape (n,)
        ``Instrument`` of each proposal.
    viable : ndarray of bool, shape (n,)
        For link subsidies, the link's ``viable_unsubsidised`` flag (ignored otherwise).
    sme_rd_grant : float
        The grant share :math:`g`.

    Returns
    -------
    ndarray, shape (n,)
        The share of the proposal's money that pays for activity that would not happen
        without it:

        - a link subsidy: 1 if the link needed the subsidy to form, 0 if it would have
          formed anyway (deadweight, :func:`viable_unsubsidised`);
        - an SME R&D grant: :math:`1 / (1 + g)`. The grant :math:`g\,\iota S (1 + g)`
          (§7.2 of the ODD) pays for extra R&D :math:`\iota S g`, so the extra R&D per
          euro of grant is :math:`1 / (1 + g)` (partial additionality);
        - organization funding and procurement: 1 (in the model, neither has a private
          substitute).

    Examples
    --------
    >>> call_scores(np.array([2, 2, 6, 5]), np.array([True, False, False, False]), 0.25)
    array([0. , 1. , 0.8, 1. ])
    """
    out = np.ones(instrument.shape)
    link = np.isin(instrument, LINK_INSTRUMENTS)
    out[link] = np.where(viable[link], 0.0, 1.0)
    out[instrument == Instrument.SME_RD_GRANT] = 1.0 / (1.0 + sme_rd_grant)
    return out


def clear_call(
    amount: FloatArray,
    region: IntArray,
    score: FloatArray,
    budget: float,
    lottery: FloatArray | None = None,
) -> FloatArray:
    r"""Share of each proposal a budget-clearing call funds.

    Parameters
    ----------
    amount : ndarray, shape (n,)
        M€ each proposal asks (>= 0).
    region : ndarray of int, shape (n,)
        Region whose budget the proposal draws on.
    score : ndarray, shape (n,)
        Ranking score (higher first).
    budget : float
        M€ each region may spend.
    lottery : ndarray, shape (n,), optional
        Tie-breaker among equal scores (lower first); listing order when not given.

    Returns
    -------
    ndarray, shape (n,)
        Funded share :math:`\phi_j \in [0, 1]`. In each region, proposals in ranking
        order are funded in full while the money lasts; with :math:`A_j` the sum of the
        amounts ranked before :math:`j`,
        :math:`\phi_j = \min(1, \max(0, (\bar B - A_j) / a_j))`: the marginal proposal gets
        the remainder, the rest nothing. So each region spends
        :math:`\min(\bar B, \sum_j a_j)`: the whole budget whenever demand exceeds it.

    Examples
    --------
    >>> clear_call(np.array([2.0, 1.0, 3.0]), np.array([0, 0, 0]), np.array([0.5, 1.0, 0.5]), 2.5)
    array([0.75, 1.  , 0.  ])
    """
    key = np.arange(amount.size) if lottery is None else lottery
    order = np.lexsort((key, -score, region))
    ranked = amount[order]
    bounds = np.searchsorted(region[order], np.arange(int(region.max(initial=-1)) + 2))
    before = np.empty_like(ranked)
    for lo, hi in itertools.pairwise(bounds):
        if hi > lo:  # exact prefix sums within the region, in ranking order
            before[lo:hi] = np.concatenate([[0.0], np.cumsum(ranked[lo : hi - 1])])
    left = budget - before
    # only a proposal larger than a positive remainder gets a share in (0, 1): 0 < left /
    # amount < 1, so a tiny amount never overflows the division; the others get all
    # (left > 0) or none
    partial = (left > 0) & (left < ranked)
    phi = np.divide(left, ranked, out=(left > 0).astype(float), where=partial)
    out = np.empty_like(amount)
    out[order] = np.clip(phi, 0.0, 1.0)
    return out
