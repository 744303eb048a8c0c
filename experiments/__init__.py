"""ClusterLab experiments: running, storing, analysing and plotting simulations."""
