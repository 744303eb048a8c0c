"""``python -m clusterlab``: the ``clusterlab`` command."""

from clusterlab.experiments.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
