"""Optuna's TPE on the analytic problems of the `design_vs_optuna` bench binary.

Problems (minimise; known minimum 0):
  * "sphere": sum_i (x_i - c_i)^2 over [-5, 5]^4, c = (1.3, -2.2, 0.4, 3.1);
  * "mixed": (n - 11)^2 / 10 + (ln r - ln 1e-3)^2 / 10 + [kind != "c"] + (x - 0.5)^2
    with n an integer in [1, 15], r log-uniform in [1e-5, 1], kind one of a..e and x in
    [0, 1].
For each problem and seed 1..SEEDS: TPESampler(seed, n_startup_trials=10), TRIALS
sequential trials, twice: with Optuna's defaults (multivariate TPE for one objective
since Optuna 4) and with multivariate=False (independent per-parameter TPE, the
algorithm of xas-design). Prints one JSON line: per problem and mode the best value of
every seed and the mean wall time per trial (sampler and objective; the objectives are
trivial, so this is the sampler's cost).

Usage: python tpe_optuna.py TRIALS SEEDS
"""
import json
import math
import sys
import time

import optuna

CENTRE = [1.3, -2.2, 0.4, 3.1]


def sphere(trial):
    return sum((trial.suggest_float(f"x{i}", -5.0, 5.0) - c) ** 2 for i, c in enumerate(CENTRE))


def mixed(trial):
    n = trial.suggest_int("n", 1, 15)
    r = trial.suggest_float("rate", 1e-5, 1.0, log=True)
    kind = trial.suggest_categorical("kind", ["a", "b", "c", "d", "e"])
    x = trial.suggest_float("x", 0.0, 1.0)
    return (n - 11) ** 2 / 10 + (math.log(r) - math.log(1e-3)) ** 2 / 10 + (kind != "c") + (x - 0.5) ** 2


def main():
    trials, seeds = int(sys.argv[1]), int(sys.argv[2])
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    out = {"optuna": optuna.__version__}
    for name, objective in [("sphere", sphere), ("mixed", mixed)]:
        for mode, multivariate in [("default", None), ("univariate", False)]:
            best, seconds = [], 0.0
            for seed in range(1, seeds + 1):
                sampler = optuna.samplers.TPESampler(
                    seed=seed, n_startup_trials=10, multivariate=multivariate
                )
                study = optuna.create_study(sampler=sampler)
                t = time.perf_counter()
                study.optimize(objective, n_trials=trials)
                seconds += time.perf_counter() - t
                best.append(study.best_value)
            out[f"{name}_{mode}"] = {"best": best, "seconds_per_trial": seconds / (trials * seeds)}
    print(json.dumps(out))


main()
