"""End-to-end sampling (Flanigan, Gölz, Gupta, Procaccia, NeurIPS 2020): learn who volunteers,
select volunteer i with probability proportional to 1/q_i, and simulate population -> pool -> panel.

Modules: background (read and check the background sample), participation (the participation
model and its maximum-likelihood fit), phase_one (marginals k a_i / sum a_j, capping, good-pool
checks), closest (column generation for a distribution with given marginals), selection (the
`endtoend` algorithm), simulation (end-to-end probabilities over many simulated pools).
"""
