"""Estimators of the validation checks, on plain arrays and tables.

Each function returns a dict of named figures (NaN where the data cannot support the
estimate); :mod:`clusterlab.experiments.validation` compares them with the thresholds. The heavy
libraries (powerlaw, networkx, scipy, statsmodels) are imported inside the functions that
use them, so importing this module costs nothing at command-line start-up.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

__all__ = [
    "growth_statistics",
    "inverted_u",
    "linear_probability",
    "network_ratios",
    "network_statistics",
    "tail_fit",
    "variety_effect",
]

NAN = float("nan")
MIN_TAIL_SAMPLE = 50
"""Fewest positive sizes a power-law fit is attempted on."""
MIN_GROWTH_SAMPLE = 50
SIZE_BINS = 10
MIN_BIN = 20
"""Size bins (equal counts, by size at the start of the year) and the fewest rates a bin needs."""
REWIRINGS = 3
"""Degree-preserving rewirings the network is compared with (averaged)."""
SWAPS_PER_EDGE = 5
"""Double edge swaps per edge in a rewiring (each swap moves two edges)."""
MAX_PATH_SOURCES = 1500
"""Above this many nodes, mean path length is estimated from this many sampled sources."""


def tail_fit(sizes: np.ndarray) -> dict[str, float]:
    r"""Clauset, Shalizi & Newman (2009) power-law fit of the upper tail of a size sample.

    Sizes are rounded to whole employees (zeros dropped) and fitted as continuous with the
    ``powerlaw`` package (Alstott, Bullmore & Plenz 2014, PLoS ONE 9(1): e85777): ``xmin``
    minimises the Kolmogorov-Smirnov distance, the exponent is the maximum-likelihood one
    above it. ``powerlaw``'s ``alpha`` is the exponent of the DENSITY,
    :math:`p(x) \propto x^{-\alpha}`; the Zipf exponent of the counter-cumulative
    distribution, :math:`P(X > x) \propto x^{-\zeta}`, the figure Axtell (2001, Science
    293: 1818) found near 1.06 for US firms, is :math:`\zeta = \alpha - 1`.

    Returns zipf_exponent (:math:`\zeta`), pdf_alpha, xmin, tail_n, tail_decades
    (:math:`\log_{10}(x_{max} / x_{min})`), and the normalised log-likelihood ratio of a
    power law against an exponential above ``xmin`` (lr_power_vs_exponential, > 0 favours
    the power law) with its p-value (lr_p; Vuong's test as in CSN section 5).
    """
    x = np.round(np.asarray(sizes, float))
    x = x[x > 0]
    keys = ("zipf_exponent", "pdf_alpha", "xmin", "tail_n", "tail_decades")
    out = dict.fromkeys((*keys, "lr_power_vs_exponential", "lr_p"), NAN)
    if x.size < MIN_TAIL_SAMPLE or np.unique(x).size < 3:
        return out
    import powerlaw  # noqa: PLC0415 - heavy, imported when used

    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")  # "integer data, consider discrete" and fit chatter
        fit = powerlaw.Fit(x, discrete=False, verbose=False)
        ratio, p = fit.distribution_compare("power_law", "exponential", normalized_ratio=True)
    alpha, xmin = float(fit.power_law.alpha), float(fit.xmin)
    out |= {
        "zipf_exponent": alpha - 1.0,
        "pdf_alpha": alpha,
        "xmin": xmin,
        "tail_n": float((x >= xmin).sum()),
        "tail_decades": float(np.log10(x.max() / xmin)),
        "lr_power_vs_exponential": float(ratio),
        "lr_p": float(p),
    }
    return out


def growth_statistics(size: np.ndarray, growth: np.ndarray) -> dict[str, float]:
    r"""Shape of growth rates and how their dispersion scales with size.

    ``growth`` are yearly log growth rates :math:`\ln(S_{t+1}/S_t)`, ``size`` the sizes
    :math:`S_t` they start from. Returns the number of rates, their excess kurtosis
    (Fisher: 0 for a normal, 3 for a Laplace), the mean log-likelihood per rate of the
    maximum-likelihood Laplace minus that of the normal (Stanley et al. 1996, Nature 379:
    804; Bottazzi & Secchi 2006, RAND J. Econ. 37: 235), and the OLS slope of
    :math:`\ln \mathrm{sd}(g)` on :math:`\ln S` across equal-count size bins (Stanley et
    al. 1996 find about -0.15: larger firms grow less erratically).
    """
    from scipy import stats  # noqa: PLC0415 - heavy, imported when used

    ok = np.isfinite(growth) & np.isfinite(size) & (size > 0)
    g, s = np.asarray(growth, float)[ok], np.asarray(size, float)[ok]
    out = {"growth_n": float(g.size), "excess_kurtosis": NAN, "loglik_laplace_minus_normal": NAN}
    out["sd_size_slope"] = NAN
    if g.size < MIN_GROWTH_SAMPLE or np.ptp(g) == 0:
        return out
    out["excess_kurtosis"] = float(stats.kurtosis(g))
    ll_laplace = stats.laplace.logpdf(g, *stats.laplace.fit(g)).sum()
    ll_normal = stats.norm.logpdf(g, *stats.norm.fit(g)).sum()
    out["loglik_laplace_minus_normal"] = float((ll_laplace - ll_normal) / g.size)
    bins = pd.qcut(np.log(s), SIZE_BINS, labels=False, duplicates="drop")
    table = pd.DataFrame({"bin": bins, "log_size": np.log(s), "g": g}).groupby("bin")
    per_bin = table.agg(n=("g", "size"), sd=("g", "std"), log_size=("log_size", "mean"))
    per_bin = per_bin[(per_bin["n"] >= MIN_BIN) & (per_bin["sd"] > 0)]
    if len(per_bin) >= 3:
        slope = np.polyfit(per_bin["log_size"], np.log(per_bin["sd"]), 1)[0]
        out["sd_size_slope"] = float(slope)
    return out


def _mean_path_length(graph: object, seed: int) -> float:
    """Mean shortest-path length of the largest connected component (unweighted)."""
    import networkx as nx  # noqa: PLC0415 - heavy, imported when used
    from scipy.sparse.csgraph import shortest_path  # noqa: PLC0415

    core = graph.subgraph(max(nx.connected_components(graph), key=len))
    n = core.number_of_nodes()
    if n < 2:
        return NAN
    adjacency = nx.to_scipy_sparse_array(core, format="csr")
    sources = np.arange(n)
    if n > MAX_PATH_SOURCES:
        sources = np.random.default_rng(seed).choice(n, MAX_PATH_SOURCES, replace=False)
    dist = shortest_path(adjacency, unweighted=True, directed=False, indices=sources)
    return float(dist.sum() / (sources.size * (n - 1)))


def network_statistics(
    edges: np.ndarray,
    seed: int,
    rewirings: int = REWIRINGS,
    first_non_firm: int | None = None,
) -> dict:
    """Clustering, path length and giant component against degree-preserving rewirings.

    Nodes are the ids that appear in ``edges`` (actors with at least one link); nodes
    from ``first_non_firm`` on are not firms (universities). The largest component's
    share counts linked firms only (all nodes when ``first_non_firm`` is None). The
    comparison graphs keep every node's degree (``networkx.double_edge_swap``,
    :data:`SWAPS_PER_EDGE` swaps per edge; Maslov & Sneppen 2002, Science 296: 910); there
    are ``rewirings`` of them, seeded ``seed``, ``seed + 1``, ..., and their clustering and
    path length are averaged.
    """
    import networkx as nx  # noqa: PLC0415 - heavy, imported when used

    g = nx.Graph()
    g.add_edges_from(map(tuple, np.asarray(edges, np.int64).tolist()))
    g.remove_edges_from(list(nx.selfloop_edges(g)))
    m = g.number_of_edges()
    keys = ("clustering", "clustering_rewired", "clustering_configuration", "clustering_ratio")
    keys += ("path_length",)
    keys += ("path_length_rewired", "path_ratio", "largest_component_share")
    out = {"nodes": float(g.number_of_nodes()), "edges": float(m)} | dict.fromkeys(keys, NAN)
    if m < 2:
        return out
    out["clustering"] = nx.average_clustering(g)
    k = np.array([d for _, d in g.degree()], float)
    # expected clustering of a random graph with this degree sequence (Newman 2003, SIAM
    # Review 45: 167, eq. 3.11): the floor of the null when the rewirings hold no triangle
    out["clustering_configuration"] = float(
        (np.mean(k**2) - k.mean()) ** 2 / (k.size * k.mean() ** 3)
    )
    out["path_length"] = _mean_path_length(g, seed)
    giant = max(nx.connected_components(g), key=len)
    if first_non_firm is None:
        out["largest_component_share"] = len(giant) / g.number_of_nodes()
    else:
        firms = sum(1 for v in g if v < first_non_firm)
        in_giant = sum(1 for v in giant if v < first_non_firm)
        out["largest_component_share"] = in_giant / firms if firms else NAN
    clustering, paths = [], []
    for i in range(rewirings):
        h = g.copy()
        try:
            nx.double_edge_swap(h, nswap=SWAPS_PER_EDGE * m, max_tries=100 * m, seed=seed + i)
        except (nx.NetworkXError, nx.NetworkXAlgorithmError):
            continue  # too few edges to swap: no comparison graph
        clustering.append(nx.average_clustering(h))
        paths.append(_mean_path_length(h, seed + i))
    if clustering:
        out["clustering_rewired"] = float(np.mean(clustering))
        out["path_length_rewired"] = float(np.nanmean(paths))
    return network_ratios(out)


def network_ratios(figures: dict[str, float]) -> dict[str, float]:
    """Set clustering_ratio and path_ratio from the clustering and path figures.

    The clustering null is the rewirings' mean clustering, but never below the expected
    clustering of the configuration model: rewirings of a sparse graph often hold no
    triangle at all, and a ratio to zero would pass on a single triangle. Also applied to
    figures averaged over runs (ratios of the means).
    """
    c, path = figures["clustering"], figures["path_length"]
    nulls = [figures["clustering_rewired"], figures["clustering_configuration"]]
    c_rand = max((v for v in nulls if np.isfinite(v)), default=NAN)
    path_rand = figures["path_length_rewired"]
    ratio = c / c_rand if c_rand > 0 else NAN
    return figures | {
        "clustering_ratio": float(ratio),
        "path_ratio": float(path / path_rand) if path_rand > 0 else NAN,
    }


def _ols(formula: str, df: pd.DataFrame, cluster: str) -> pd.DataFrame:
    """OLS with standard errors clustered by ``cluster``: columns coef, se, p by term."""
    import statsmodels.formula.api as smf  # noqa: PLC0415 - heavy, imported when used

    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")  # fixed-effect dummies are often collinear
        fit = smf.ols(formula, data=df).fit(cov_type="cluster", cov_kwds={"groups": df[cluster]})
        return pd.DataFrame({"coef": fit.params, "se": fit.bse, "p": fit.pvalues})


def linear_probability(df: pd.DataFrame, outcome: str) -> dict[str, float]:
    """LPM of ``outcome`` on relatedness density with region x period and run x industry FE.

    ``df`` has columns outcome, density (0..100), region_id (unique across runs), t, run,
    industry. Standard errors are clustered by region. Returns coef, se, p, the mean of the
    outcome and the relative change of its probability for +10 points of density
    (``10 coef / mean``).
    """
    out = {"coef": NAN, "se": NAN, "p": NAN, "mean": float(df[outcome].mean()) if len(df) else NAN}
    out["change_per_10_points"] = NAN
    if len(df) < 10 or df[outcome].sum() < 3 or df["density"].std() == 0:
        return out
    df = df.assign(
        region_t=df["region_id"].astype(str) + ":" + df["t"].astype(str),
        run_industry=df["run"].astype(str) + ":" + df["industry"].astype(str),
    )
    fit = _ols(f"{outcome} ~ density + C(region_t) + C(run_industry)", df, "region_id")
    out |= {k: float(fit.loc["density", k]) for k in ("coef", "se", "p")}
    coef = out["coef"]
    out["change_per_10_points"] = 10.0 * coef / out["mean"] if out["mean"] > 0 else NAN
    return out


def inverted_u(df: pd.DataFrame) -> dict[str, float]:
    r"""Quadratic in age of heterogeneity within units: :math:`h = b_1 a + b_2 a^2 + u_c`.

    ``df`` has columns unit (a cluster, unique across runs), age and heterogeneity. Unit
    fixed effects, standard errors clustered by unit. The peak
    :math:`a^* = -b_1 / (2 b_2)` is reported as a position in the observed ages,
    ``(a^* - min) / (max - min)`` (inside the ages: between 0 and 1), NaN if
    :math:`b_2 \ge 0`. All figures are NaN with fewer than 10 rows, 3 distinct ages or 2
    units (standard errors clustered by unit need two; a run may found one cluster).
    """
    out = dict.fromkeys(("age_coef", "age2_coef", "age2_p", "peak_age", "peak_position"), NAN)
    out["observations"] = float(len(df))
    if len(df) < 10 or df["age"].nunique() < 3 or df["unit"].nunique() < 2:
        return out
    a0, a1 = float(df["age"].min()), float(df["age"].max())
    scaled = df.assign(x=(df["age"] - a0) / (a1 - a0), x2=lambda d: d["x"] ** 2)
    fit = _ols("heterogeneity ~ x + x2 + C(unit)", scaled, "unit")
    b1, b2 = float(fit.loc["x", "coef"]), float(fit.loc["x2", "coef"])
    out |= {"age_coef": b1 / (a1 - a0), "age2_coef": b2 / (a1 - a0) ** 2}
    out["age2_p"] = float(fit.loc["x2", "p"])
    if b2 < 0:
        peak = -b1 / (2 * b2)
        out["peak_position"], out["peak_age"] = peak, a0 + peak * (a1 - a0)
    return out


def variety_effect(panel: pd.DataFrame) -> dict[str, float]:
    """Radical innovations on lagged unrelated (and related) variety, region and year FE.

    ``panel`` has columns radical, uv_lag, rv_lag, region_id (unique across runs) and
    step; standard errors clustered by region (Castaldi, Frenken & Los 2015, Regional
    Studies 49: 767).
    """
    out = {"uv_coef": NAN, "uv_p": NAN, "rv_coef": NAN, "rv_p": NAN}
    out["observations"] = float(len(panel))
    if len(panel) < 10 or panel["uv_lag"].std() == 0:
        return out
    fit = _ols("radical ~ uv_lag + rv_lag + C(region_id) + C(step)", panel, "region_id")
    for name, term in (("uv", "uv_lag"), ("rv", "rv_lag")):
        out[f"{name}_coef"], out[f"{name}_p"] = (
            float(fit.loc[term, "coef"]),
            float(fit.loc[term, "p"]),
        )
    return out
