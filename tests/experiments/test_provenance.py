"""Tests of experiments/provenance.py: whose commit is recorded, and the float setting."""

import importlib.util
import subprocess
from pathlib import Path

import pytest

from clusterlab.experiments import provenance as prov


def _git_repo(root: Path, name: str) -> Path:
    root.mkdir()
    (root / "pyproject.toml").write_text(f'[project]\nname = "{name}"\n')
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    return root


def test_only_a_checkout_of_clusterlab_itself_gives_a_commit(tmp_path):
    # An installed ClusterLab inside a user's project (say .venv/lib/.../site-packages)
    # must not record that project's commit.
    users = _git_repo(tmp_path / "thesis", "thesis")
    assert not prov._is_clusterlab_checkout(users)
    site = users / ".venv" / "site-packages"
    site.mkdir(parents=True)
    assert not prov._is_clusterlab_checkout(site)  # inside the user's repo, not its top
    ours = _git_repo(tmp_path / "clusterlab", "clusterlab")
    assert prov._is_clusterlab_checkout(ours)


def test_git_commit_is_none_outside_a_clusterlab_checkout(monkeypatch):
    monkeypatch.setattr(prov, "_is_clusterlab_checkout", lambda root: False)
    assert prov.git_commit() is None


def test_provenance_records_versions_and_the_floating_point_setting():
    record = prov.provenance()
    assert {"clusterlab", "numpy", "numba", "mesa"} <= record["versions"].keys()
    fp = record["floating_point"]
    assert fp["machine"]
    assert fp["numpy"] == record["versions"]["numpy"]
    assert isinstance(fp["blas"], list)
    # numba is optional: without it there is no CPU it compiles for
    assert bool(fp["numba_cpu"]) == (importlib.util.find_spec("numba") is not None)


def test_provenance_records_the_kernel_backend(monkeypatch):
    from clusterlab.model import kernels

    monkeypatch.setattr(kernels, "_chosen", {})
    monkeypatch.setenv(kernels.ENV_VAR, "numpy")
    assert prov.provenance()["kernels"] == {
        "backend": "numpy",
        "requested": "numpy",
        "reason": "requested",
        "numba": None,
    }


def test_provenance_records_the_numba_backend(monkeypatch):
    pytest.importorskip("numba", reason="numba (the fast extra) is not installed")
    from clusterlab.model import kernels

    monkeypatch.setattr(kernels, "_chosen", {})
    monkeypatch.setenv(kernels.ENV_VAR, "numba")
    record = prov.kernel_backend()
    assert record["backend"] == "numba"
    assert record["numba"] == prov._version("numba")


@pytest.mark.parametrize("value", ["host", "generic"])
def test_the_numba_cpu_is_the_one_configured(value, monkeypatch):
    numba = pytest.importorskip("numba", reason="numba (the fast extra) is not installed")

    monkeypatch.setattr(numba.config, "CPU_NAME", None if value == "host" else value)
    assert prov.floating_point()["numba_cpu"] == value
