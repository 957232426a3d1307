"""Evidence by dynesty and posterior moments by emcee on the analytic problems of the
`bayes_vs_peers` bench binary.

Reads PROBLEMS.json written by the bench:
  * "linear": x, y, sigma, prior_mean, prior_sd of y = c0 + c1 x + c2 x^2 with Gaussian
    noise and independent normal priors (exact evidence and posterior known);
  * "bimodal": centres, width and box of a 2-D likelihood that is an equal mixture of
    two isotropic Gaussians, with a uniform prior on the box (ln Z = -ln(box area)).
Prints one JSON line with, per problem: dynesty's ln Z, its error, wall time and
likelihood calls (static nested sampling, 500 live points, dlogz 0.01, seeded); emcee's
posterior means and sds, wall time and likelihood calls (32 walkers, seeded, started
from prior draws; the first third of the chain discarded).

Usage: python bayes_peers.py PROBLEMS.json
"""
import json
import sys
import time

import dynesty
import emcee
import numpy as np
from scipy.stats import norm

SEED = 1


def counted(f):
    """Wraps f and counts its calls in f.calls."""
    def g(*a):
        g.calls += 1
        return f(*a)
    g.calls = 0
    return g


def linear_problem(p):
    x, y, s = np.array(p["x"]), np.array(p["y"]), p["sigma"]
    m0, s0 = np.array(p["prior_mean"]), np.array(p["prior_sd"])
    design = np.stack([np.ones_like(x), x, x * x], axis=1)
    n = len(x)
    const = -0.5 * n * np.log(2 * np.pi * s * s)

    def loglike(t):
        r = y - design @ t
        return const - 0.5 * np.dot(r, r) / (s * s)

    def ptform(u):
        return m0 + s0 * norm.ppf(u)

    def logpost(t):
        return loglike(t) + np.sum(norm.logpdf(t, m0, s0))

    def prior_draws(rng, k):
        return m0 + s0 * rng.standard_normal((k, 3))

    return 3, loglike, ptform, logpost, prior_draws


def bimodal_problem(p):
    c = np.array(p["centres"])
    w, lo, hi = p["width"], p["lo"], p["hi"]
    lnorm = -np.log(2 * np.pi * w * w) + np.log(0.5)

    def loglike(t):
        d2 = np.sum((c - t) ** 2, axis=1) / (w * w)
        return lnorm + np.logaddexp(-0.5 * d2[0], -0.5 * d2[1])

    def ptform(u):
        return lo + (hi - lo) * u

    def logpost(t):
        if np.any(t < lo) or np.any(t > hi):
            return -np.inf
        return loglike(t)

    def prior_draws(rng, k):
        return rng.uniform(lo, hi, (k, 2))

    return 2, loglike, ptform, logpost, prior_draws


def run(ndim, loglike, ptform, logpost, prior_draws):
    out = {}
    ll = counted(loglike)
    t = time.perf_counter()
    sampler = dynesty.NestedSampler(ll, ptform, ndim, nlive=500,
                                    rstate=np.random.default_rng(SEED))
    sampler.run_nested(dlogz=0.01, print_progress=False)
    res = sampler.results
    out["dynesty"] = {
        "ln_z": float(res.logz[-1]),
        "ln_z_err": float(res.logzerr[-1]),
        "wall_s": time.perf_counter() - t,
        "calls": ll.calls,
    }
    lp = counted(logpost)
    rng = np.random.default_rng(SEED)
    walkers, steps = 32, 6000
    t = time.perf_counter()
    es = emcee.EnsembleSampler(walkers, ndim, lp)
    es.random_state = np.random.mtrand.RandomState(SEED).get_state()
    es.run_mcmc(prior_draws(rng, walkers), steps, progress=False)
    chain = es.get_chain(discard=steps // 3, flat=True)
    out["emcee"] = {
        "mean": chain.mean(axis=0).tolist(),
        "sd": chain.std(axis=0, ddof=1).tolist(),
        "wall_s": time.perf_counter() - t,
        "calls": lp.calls,
        "acceptance": float(np.mean(es.acceptance_fraction)),
        "first_coordinate_positive": float(np.mean(chain[:, 0] > 0)),
    }
    return out


def main():
    with open(sys.argv[1]) as f:
        problems = json.load(f)
    result = {
        "peer": f"dynesty {dynesty.__version__}, emcee {emcee.__version__}",
        "linear": run(*linear_problem(problems["linear"])),
        "bimodal": run(*bimodal_problem(problems["bimodal"])),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
