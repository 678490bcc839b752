"""Per-trial seeds: reproducible trial by trial, never the same stream in two workers."""

from __future__ import annotations

import optuna

from kagglekit.tuning.samplers import PerTrialSeedSampler, seeded


def _objective(trial: optuna.Trial) -> float:
    return trial.suggest_float("x", 0, 1) + trial.suggest_int("n", 0, 1000)


def _random(seed: int | None) -> optuna.samplers.BaseSampler:
    return optuna.samplers.RandomSampler(seed=seed)


def _two_workers(
    make_sampler: object, storage: optuna.storages.BaseStorage
) -> list[dict[str, float]]:
    """Two workers (two study objects, each with its own sampler) alternate on one study."""
    workers = [
        optuna.load_study(study_name="s", storage=storage, sampler=make_sampler())  # type: ignore[operator]
        for _ in range(2)
    ]
    for _ in range(4):
        for study in workers:
            study.optimize(_objective, n_trials=1)
    return [t.params for t in workers[0].trials]


def test_workers_with_one_seed_do_not_replay_each_other() -> None:
    storage = optuna.storages.InMemoryStorage()
    optuna.create_study(study_name="s", storage=storage)
    plain = _two_workers(lambda: optuna.samplers.RandomSampler(seed=7), storage)
    # the problem: both workers draw the same sequence
    assert plain[0] == plain[1]

    storage = optuna.storages.InMemoryStorage()
    optuna.create_study(study_name="s", storage=storage)
    per_trial = _two_workers(lambda: PerTrialSeedSampler(_random, 7), storage)
    assert len({tuple(sorted(p.items())) for p in per_trial}) == len(per_trial)


def test_same_seed_same_trial_number_same_parameters() -> None:
    runs = []
    for _ in range(2):
        study = optuna.create_study(sampler=seeded(_random, 3))
        study.optimize(_objective, n_trials=5)
        runs.append([t.params for t in study.trials])
    assert runs[0] == runs[1]
    assert seeded(_random, None).__class__ is optuna.samplers.RandomSampler


def test_tpe_through_the_wrapper_still_learns() -> None:
    study = optuna.create_study(
        sampler=seeded(lambda s: optuna.samplers.TPESampler(seed=s, n_startup_trials=5), 0)
    )
    study.optimize(lambda t: (t.suggest_float("x", -10, 10) - 2) ** 2, n_trials=40)
    assert study.best_value < 1.0
