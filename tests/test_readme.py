"""Every command in the README's bash blocks works when pasted, whatever is in runs/.

The commands are read from README.md (so this test follows it) and run in README order through main's entry point,
in-process, headless, with tiny budgets: a first pass from an empty runs/ (a command whose input does not exist yet
must say so in one line), then a second pass once runs/ holds two runs of each kind (globs that expand to several
files, ``latest`` forms) and a broken run folder. Bench commands are checked for their arguments only.
"""

import glob
import json
import re
import runpy
import shlex
import shutil
import sys
from pathlib import Path

import pytest

import main

REPO = Path(__file__).resolve().parent.parent
ALPHAZERO_TINY = ("games=4", "simulations=8", "fast_simulations=4", "eval_simulations=8", "min_replay=32")
TINY = {"eval": ["--episodes", "2"], "train-ae": ["--frames", "24", "--steps", "2"],
        "train-opponent-model": ["--games", "2"]}
# Set-up steps, and a Ray cluster's own commands (tests/test_sweep.py runs a sweep on a simulated cluster instead).
SKIPPED = ("python3 -m venv", ". .venv/bin/activate", "pip install", "python -m pytest", "ray start", "ray stop")
MISSING_INPUT = re.compile(r"no file matches|does not exist")


def readme_commands() -> list[list[str]]:
    """The commands of the README's ```bash blocks, one argv each (continuations joined, comments dropped)."""
    text = (REPO / "README.md").read_text()
    commands = []
    for block in re.findall(r"```bash\n(.*?)```", text, re.S):
        for line in block.replace("\\\n", " ").splitlines():
            for part in line.split("&&"):
                part = part.strip()
                if part and not part.startswith(SKIPPED):
                    commands.append(shlex.split(part, comments=True))
    return commands


COMMANDS = readme_commands()
# A sweep runs its trials in Ray's worker processes, out of reach of the tiny budgets set here, and so does
# self-play on Ray workers: those commands are parsed here, and tests/test_sweep.py runs real sweeps,
# tests/test_selfplay_workers.py real workers.
SWEEP_COMMANDS = [argv for argv in COMMANDS if argv[:3] == ["python", "main.py", "sweep"]
                  or (argv[:3] == ["python", "main.py", "train"] and any(a.startswith("workers=") for a in argv))]
MAIN_COMMANDS = [argv for argv in COMMANDS if argv[:2] == ["python", "main.py"] and argv not in SWEEP_COMMANDS]
BENCH_COMMANDS = [argv for argv in COMMANDS if argv[:1] == ["python"] and argv[1].startswith("bench/")]


def test_the_readme_has_commands_and_each_is_checked_here():
    assert len(MAIN_COMMANDS) >= 20 and len(BENCH_COMMANDS) >= 5
    checked = len(MAIN_COMMANDS) + len(SWEEP_COMMANDS) + len(BENCH_COMMANDS)
    assert checked == len(COMMANDS), "a README command this test cannot run"


def expand(argv: list[str]) -> list[str]:
    """What the shell passes: each glob replaced by its matches (sorted), or left as typed where none match."""
    expanded = []
    for arg in argv:
        matches = sorted(glob.glob(arg)) if glob.has_magic(arg) and not arg.startswith("--set") else []
        expanded.extend(matches or [arg])
    return expanded


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    """A fresh checkout's working directory: the shipped agents, no runs."""
    root = tmp_path_factory.mktemp("readme")
    shutil.copytree(REPO / "assets" / "agents", root / "assets" / "agents")
    return root


@pytest.fixture
def tiny(workspace, monkeypatch):
    """Headless and tiny: trainings stop at 200 steps, evaluations play 2 episodes, windows run 3 frames."""
    import agents.trainer
    import ui
    import ui.app

    monkeypatch.chdir(workspace)
    original_init = agents.trainer.Trainer.__init__

    def small_init(self, *args, **kwargs):
        kwargs.update(steps=min(kwargs.get("steps") or 200, 200), eval_every=100, eval_episodes=2)
        if kwargs.get("agent", args[0] if args else None) == "alphazero":  # its preset searches 160 sims x 64 games
            kwargs["overrides"] = [*kwargs.get("overrides", ()), *ALPHAZERO_TINY]
        original_init(self, *args, **kwargs)

    monkeypatch.setattr(agents.trainer.Trainer, "__init__", small_init)
    monkeypatch.setattr(agents.trainer, "CONFIRM_EPISODES", 2)
    original_run = ui.app.App.run
    monkeypatch.setattr(ui.app.App, "run", lambda self, frames=None, dt=None: original_run(self, 3, 1 / 60))
    monkeypatch.setattr(ui, "display_available", lambda: True)
    import ui.runs

    monkeypatch.setattr(ui.runs, "SINGLE_PLAYER_REFERENCE", ui.runs.Reference(None, 0, 2, max_steps=20))
    monkeypatch.setattr(ui.runs, "REFERENCES", {env: ui.runs.Reference(ref.opponent, ref.opening_moves, 2)
                                                for env, ref in ui.runs.REFERENCES.items()})
    return workspace


def run_main(argv: list[str], monkeypatch) -> int:
    argv = expand(argv[2:])
    if not argv:  # `python main.py` alone: headless, it trains DQN on CartPole (the app when a display exists)
        import ui

        monkeypatch.setattr(ui, "display_available", lambda: False)
    return main.main([*argv, *TINY.get(argv[0] if argv else "", [])] + (["--quiet"] if argv and argv[0] in (
        "train", "train-ae", "train-opponent-model") else []))


@pytest.mark.parametrize("argv", MAIN_COMMANDS, ids=[" ".join(argv[2:])[:80] for argv in MAIN_COMMANDS])
def test_first_pass_from_an_empty_runs_folder(tiny, capsys, monkeypatch, argv):
    code = run_main(argv, monkeypatch)
    err = capsys.readouterr().err
    assert "Traceback" not in err, err
    if code != 0:  # allowed only for an input that a later command makes: said in one line
        assert code == 2 and "runs/" in " ".join(argv) and MISSING_INPUT.search(err), err
        assert len(err.strip().splitlines()) == 1, err


def test_runs_folder_then_holds_two_of_each_and_a_broken_one(tiny):
    """What a user's runs/ looks like after a while: every run twice (globs match several), a play session's log
    and model, and a run folder that cannot be read."""
    runs = tiny / "runs"
    # A play session against the shipped Tron agent logs boards as that agent sees them (its env_kwargs: planes
    # only, or with territory planes): replaying a log so labelled writes the same files (games.jsonl,
    # opponent_model.pt) as such a session.
    from agents import load_agent

    shipped = load_agent(REPO / "assets" / "agents" / "tron.pt", device="cpu").env_kwargs
    view = {key: value for key, value in shipped.items() if key in ("territory_plane", "obs_mode")}
    assert main.main(["train-opponent-model", "--env", "dojo/Tron-v0", "--games", "2", "--quiet",
                      "--run-dir", "scratch"]) == 0
    games = [json.loads(line) for line in (tiny / "scratch" / "games.jsonl").read_text().splitlines()]
    log = tiny / "scratch" / "session.jsonl"
    log.write_text("".join(json.dumps({**game, "env_kwargs": view, "opponent": "human"}) + "\n"
                           for game in games))
    assert main.main(["train-opponent-model", "--from-log", str(log), "--quiet",
                      "--run-dir", "runs/play-tron-20260101-000000"]) == 0
    for folder in sorted(runs.iterdir()):
        shutil.copytree(folder, folder.with_name(folder.name + "-copy"))
    (runs / "broken" / "checkpoints").mkdir(parents=True)
    (runs / "broken" / "checkpoints" / "best.pt").write_bytes(b"not a checkpoint")
    assert len(list(runs.glob("CartPole-v1-dqn-*"))) >= 2


PATH_COMMANDS = [argv for argv in MAIN_COMMANDS if "runs/" in " ".join(argv)]


@pytest.mark.parametrize("argv", PATH_COMMANDS, ids=[" ".join(argv[2:])[:80] for argv in PATH_COMMANDS])
def test_second_pass_with_several_runs_of_each_kind(tiny, capsys, monkeypatch, argv):
    assert run_main(argv, monkeypatch) == 0, capsys.readouterr().err
    assert "Traceback" not in capsys.readouterr().err


class Parsed(Exception):
    """Raised once a bench script's arguments have parsed: the bench itself is not run here."""


@pytest.mark.parametrize("argv", BENCH_COMMANDS, ids=[" ".join(argv[1:])[:80] for argv in BENCH_COMMANDS])
def test_bench_commands_parse(argv, monkeypatch):
    import argparse

    original = argparse.ArgumentParser.parse_args

    def parse_then_stop(self, args=None, namespace=None):
        original(self, args, namespace)
        raise Parsed

    monkeypatch.setattr(argparse.ArgumentParser, "parse_args", parse_then_stop)
    monkeypatch.setattr(sys, "argv", argv[1:])
    assert (REPO / argv[1]).is_file()
    with pytest.raises(Parsed):
        runpy.run_path(str(REPO / argv[1]), run_name="__main__")


@pytest.mark.parametrize("argv", SWEEP_COMMANDS, ids=[" ".join(argv[2:])[:80] for argv in SWEEP_COMMANDS])
def test_sweep_commands_parse(argv):
    args = main.build_parser().parse_args(argv[2:])
    assert args.command in ("sweep", "train")
