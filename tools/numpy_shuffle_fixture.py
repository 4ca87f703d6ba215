#!/usr/bin/env python3
"""Prints the fixtures of RenderingTests.numpyShuffleMatchesRandomState: the orders that NumPy's
legacy RandomState.shuffle gives, which the official setup_snapshot_image_grid uses to pick the
reals grid (stylegan2-ada-pytorch training/training_loop.py). RandomState's streams are frozen by
NumPy's compatibility policy; made with NumPy 2.4.6."""
import numpy as np

for seed, n, shown in [(0, 10, 10), (7, 1000, 10), (123, 70000, 10)]:
    order = list(range(n))
    np.random.RandomState(seed).shuffle(order)
    print(f"seed {seed}, {n} items, first {shown}: {order[:shown]}")
