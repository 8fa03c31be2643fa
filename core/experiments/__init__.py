"""Experiments that outgrow one solve: sweeps over scenarios × algorithms × seeds, and end-to-end
simulations with any algorithm, run as independent tasks on Dask (`dask.distributed`).

Every task is a plain function of core (an instance or population model, an algorithm, options,
a seed → a small result record), so the same code runs on a laptop's `LocalCluster` and on any
cluster reached through a scheduler address.
"""
