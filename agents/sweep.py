"""``python main.py sweep``: hyperparameter search over ordinary Dojo training runs, on Ray Tune with Optuna.

Every trial is a ``Trainer`` run (the preset, plus the trial's settings as ``--set`` overrides, on one torch thread)
in its own folder under the sweep's run dir, loadable by eval, watch and play. It reports each evaluation to Tune,
whose pruner (ASHA by default) stops hopeless trials early. The sweep dir holds ``sweep.json`` (what was asked, and
the outcome), ``tune/`` (Tune's state, for ``--resume``), one ``trial-<id>/`` per trial and ``best_preset.toml``.
Ray is imported here only, and only once a sweep is about to run.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import time
import warnings
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from agents.errors import DojoError
from agents.ray_cluster import start_ray
from agents.sweep_space import SearchSpace, build_space, read_space_file

SWEEP_FILE = "sweep.json"
TUNE_DIR = "tune"
METRIC = "best_eval"  # a trial's best evaluation so far: what the pruner compares and Optuna maximizes
INSTALL = "pip install -r requirements-dev.txt (or: pip install 'ray[tune]' optuna)"
RESUME_FIXED = ("env", "agent", "trials", "steps", "space", "search", "concurrent", "grace", "pruner", "seed",
                "run_dir")


@dataclass
class SweepJob:
    """What a sweep was asked to do, saved in sweep.json so that ``--resume`` runs the same sweep."""

    env: str
    agent: str
    trials: int
    steps: int
    eval_every: int
    seed: int
    search: str
    pruner: str
    grace: int
    concurrent: int | None
    run_dir: str
    space: dict[str, Any]
    space_source: str

    def search_space(self) -> SearchSpace:
        return build_space(self.agent, self.space, self.space_source)


def sweep(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    job = resumed_job(args) if args.resume else new_job(args)
    space = job.search_space()
    ray = import_ray(job.search)
    if not args.resume:
        Path(job.run_dir).mkdir(parents=True, exist_ok=True)
        save_job(job)
    owns_ray = start_ray(ray, args.address, "--address")
    previous_sigterm = signal.signal(signal.SIGTERM, _sigterm_as_sigint)
    try:
        tuner = make_tuner(job, space, resume=bool(args.resume))
        print(f"Sweeping {job.agent} on {job.env}: {job.trials} trials of up to {job.steps:,} steps, {job.search} "
              f"search, {job.pruner} pruner (grace {job.grace:,} steps), {space.describe()}; run dir {job.run_dir}",
              flush=True)
        tuner.fit()
    finally:
        signal.signal(signal.SIGTERM, previous_sigterm)
        if owns_ray:
            ray.shutdown()
    from agents.sweep_report import report_sweep

    return report_sweep(job, space, time.perf_counter() - started, Path(job.run_dir) / TUNE_DIR, save_job)


# ---- the job ---------------------------------------------------------------------------------------------------
def new_job(args: argparse.Namespace) -> SweepJob:
    """Check everything the user gave before Ray starts (a bad space or env fails in seconds, as one line)."""
    from agents.config import preset_for
    from agents.rundir import new_run_dir

    if not args.env or not args.agent:
        raise DojoError("sweep needs --env and --agent (or --resume DIR); see: python main.py list")
    for name in ("trials", "steps", "concurrent", "grace"):
        value = getattr(args, name)
        if value is not None and value < 1:
            raise DojoError(f"--{name} must be at least 1, got {value}")
    entries, source = read_space_file(args.agent, args.space)
    space = build_space(args.agent, entries, source)
    _, preset = preset_for(args.agent, args.env)
    trainer = dry_run(args.agent, args.env, args.steps, space.overrides(space.baseline(preset) or space.corner()))
    run_dir = Path(args.run_dir) if args.run_dir else new_run_dir(f"sweep-{args.env}-{args.agent}")
    if (run_dir / TUNE_DIR / "tuner.pkl").exists():
        raise DojoError(f"{run_dir} already holds a sweep: continue it with --resume {run_dir}, or pick another "
                        f"--run-dir")
    if args.grace is not None and args.grace > trainer.total_steps:
        raise DojoError(f"--grace {args.grace:,} is past the trials' {trainer.total_steps:,} steps")
    # A quarter of the budget before the first cut: RL curves start slow (RL Zoo's pruner waits a third).
    grace = args.grace or min(trainer.total_steps, max(trainer.eval_every, trainer.total_steps // 4))
    job = SweepJob(env=args.env, agent=args.agent, trials=args.trials or 16, steps=trainer.total_steps,
                   eval_every=trainer.eval_every, seed=args.seed or 0, search=args.search or "optuna",
                   pruner=args.pruner or "asha", grace=grace, concurrent=args.concurrent,
                   run_dir=str(run_dir.resolve()), space=entries, space_source=source)
    return job


def dry_run(agent: str, env: str, steps: int | None, overrides: list[str]) -> Any:
    """Build (and close) the trainer one trial would build: an env the agent cannot handle fails here, not N times."""
    from agents.trainer import Trainer

    trainer = Trainer(agent, env, steps=steps, device="cpu", overrides=overrides, write_logs=False)
    trainer.close()
    return trainer


def resumed_job(args: argparse.Namespace) -> SweepJob:
    given = [f"--{name.replace('_', '-')}" for name in RESUME_FIXED if getattr(args, name, None) is not None]
    if given:
        raise DojoError(f"--resume continues a sweep with its own settings; leave out {', '.join(given)}")
    run_dir = Path(args.resume)
    try:
        saved = json.loads((run_dir / SWEEP_FILE).read_text())
        job = SweepJob(**{key: saved[key] for key in SweepJob.__dataclass_fields__})
    except FileNotFoundError:
        raise DojoError(f"{run_dir} is not a sweep dir (no {SWEEP_FILE}); give the --run-dir of a sweep") from None
    except (json.JSONDecodeError, KeyError, TypeError) as error:
        raise DojoError(f"{run_dir / SWEEP_FILE} is damaged ({error})") from None
    if not (run_dir / TUNE_DIR / "tuner.pkl").exists():
        raise DojoError(f"{run_dir} has no Tune state to resume ({TUNE_DIR}/tuner.pkl is missing)")
    job.run_dir = str(run_dir.resolve())  # the folder may have moved since
    return job


def save_job(job: SweepJob, outcome: dict[str, Any] | None = None) -> None:
    data = {**asdict(job), **({"outcome": outcome} if outcome else {})}
    (Path(job.run_dir) / SWEEP_FILE).write_text(json.dumps(data, indent=2) + "\n")


# ---- Ray ---------------------------------------------------------------------------------------------------------
def import_ray(search: str) -> Any:
    try:
        import ray
        import ray.tune  # noqa: F401  (ray alone may be installed without Tune's extras)
    except ImportError:
        raise DojoError(f"sweeps run on Ray Tune, which is not installed: {INSTALL}") from None
    if search == "optuna":
        try:
            import optuna
        except ImportError:
            raise DojoError(f"--search optuna needs Optuna, which is not installed: {INSTALL}") from None
        optuna.logging.set_verbosity(optuna.logging.WARNING)
    return ray


def _sigterm_as_sigint(signum: int, frame: Any) -> None:
    # Tune stops cleanly on SIGINT (saving its state for --resume); a SIGTERM gets the same treatment.
    signal.raise_signal(signal.SIGINT)


def make_tuner(job: SweepJob, space: SearchSpace, resume: bool) -> Any:
    from ray import tune

    from agents.sweep_report import LiveTable
    from agents.sweep_space import tune_space

    os.environ.setdefault("RAY_AIR_NEW_OUTPUT", "0")  # Tune's own console output: our table replaces it
    # A failed trial is a line in the table and a traceback in its error.txt, not a traceback on the console.
    for name in ("ray.tune.execution.tune_controller", "ray.tune.tune"):
        logging.getLogger(name).addFilter(_drop_trial_failures)
    # The baseline trial replays the preset, which a range may leave out: expected, so Optuna need not warn.
    warnings.filterwarnings("ignore", message=r"Fixed parameter .* is out of range", category=UserWarning)
    trainable = tune.with_resources(tune.with_parameters(run_trial, job=asdict(job)), {"cpu": 1})
    tune_dir = Path(job.run_dir) / TUNE_DIR
    if resume:
        return tune.Tuner.restore(str(tune_dir), trainable, resume_unfinished=True, resume_errored=False)
    from agents.config import preset_for

    baseline = space.baseline(preset_for(job.agent, job.env)[1])
    first = [baseline] if baseline else None
    if job.search == "optuna":
        from optuna.samplers import TPESampler
        from ray.tune.search.optuna import OptunaSearch

        # TPE models the results once a few random trials are in: a quarter of the sweep, 3 to 10 (Optuna: 10).
        sampler = TPESampler(seed=job.seed, n_startup_trials=max(3, min(10, job.trials // 4)))
        searcher = OptunaSearch(sampler=sampler, points_to_evaluate=first)
    else:
        from ray.tune.search import BasicVariantGenerator

        searcher = BasicVariantGenerator(points_to_evaluate=first, random_state=job.seed)
    tune_config = tune.TuneConfig(metric=METRIC, mode="max", num_samples=job.trials, search_alg=searcher,
                                  scheduler=make_pruner(job), max_concurrent_trials=job.concurrent,
                                  reuse_actors=True, trial_dirname_creator=trial_folder)
    run_config = tune.RunConfig(name=TUNE_DIR, storage_path=job.run_dir, verbose=0,
                                callbacks=[LiveTable(space.names, job.trials)])
    return tune.Tuner(trainable, param_space=tune_space(space), tune_config=tune_config, run_config=run_config)


def _drop_trial_failures(record: logging.LogRecord) -> bool:
    return not str(record.msg).startswith(("Trial task failed", "Trials did not complete"))


def make_pruner(job: SweepJob) -> Any:
    from ray.tune.schedulers import ASHAScheduler, FIFOScheduler, MedianStoppingRule

    if job.pruner == "asha":
        return ASHAScheduler(time_attr="step", max_t=job.steps, grace_period=job.grace, reduction_factor=3)
    if job.pruner == "median":
        return MedianStoppingRule(time_attr="step", grace_period=job.grace, min_samples_required=3)
    return FIFOScheduler()


def trial_folder(trial: Any) -> str:
    """Tune's folder for a trial (results, errors); the Dojo run folder beside it has the same id."""
    return f"trial-{trial.trial_id}"


# ---- one trial (runs in a Ray worker) ----------------------------------------------------------------------------
def run_trial(settings: dict[str, Any], job: dict[str, Any]) -> None:
    """One trial: an ordinary Trainer run in ``<sweep dir>/trial-<id>/``, reporting each evaluation to Tune.

    A trial that Ctrl-C interrupted continues from its last.pt when the sweep resumes.
    """
    import ray
    from ray import tune

    from agents.trainer import Trainer

    space = SweepJob(**job).search_space()
    run_dir = Path(job["run_dir"]) / f"trial-{tune.get_context().get_trial_id()}"
    last = run_dir / "checkpoints" / "last.pt"
    trainer = Trainer(job["agent"], job["env"], steps=job["steps"], seed=job["seed"], device="cpu",
                      run_dir=run_dir, resume=last if last.exists() else None, overrides=space.overrides(settings))
    node = ray.get_runtime_context().get_node_id()

    def report(finished: bool) -> None:
        tune.report({"step": trainer.steps, "eval": trainer.last_eval, METRIC: trainer.best_eval,
                     "finished": finished, "solved": trainer.solved_at is not None, "node": node,
                     "run_dir": str(run_dir)})

    train_and_report(trainer, report)


def train_and_report(trainer: Any, report: Callable[[bool], None]) -> None:
    """Drive ``trainer`` to its end like ``Trainer.run`` (less the progress bar), calling ``report(False)`` after
    each evaluation and ``report(True)`` once the run is over and saved.

    The sweep's one coupling to the Trainer's loop: with an evaluation hook on the Trainer this becomes a call to
    ``run``. Tune stops a pruned trial by raising SystemExit inside ``report``; the logs are closed either way.
    """
    evaluations = len(trainer.history.eval_steps)
    try:
        while not trainer.done:
            trainer.step()
            if len(trainer.history.eval_steps) > evaluations and not trainer.done:
                evaluations = len(trainer.history.eval_steps)
                report(False)
        if trainer.last_eval is None or trainer.history.eval_steps[-1] != trainer.steps:
            trainer.evaluate_now()
        trainer.save("last")
        report(True)
    finally:
        trainer.close()
