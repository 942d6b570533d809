"""Sweeps on a real Ray: a local two-node cluster (ray.cluster_utils), started once for the module. The driver joins
it as a local Ray for most tests; one test sends a sweep to it with --address instead. Trials are ordinary run
folders, the pruner stops a hopeless trial, Ctrl-C keeps what finished and --resume completes the sweep."""

import json
import signal
import tomllib

import pytest

ray = pytest.importorskip("ray")

import main  # noqa: E402
from agents import load_agent  # noqa: E402
from agents.sweep_report import LiveTable  # noqa: E402

QUIET = {"log_to_driver": False, "logging_level": "ERROR"}


@pytest.fixture(scope="module")
def cluster():
    from ray.cluster_utils import Cluster

    # A head without CPUs and one 2-CPU node: every trial must run on the second node.
    cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 0, "include_dashboard": False})
    worker = cluster.add_node(num_cpus=2)
    cluster.wait_for_nodes()
    ray.init(address=cluster.address, **QUIET)
    yield cluster, worker
    ray.shutdown()
    cluster.shutdown()


def last_json(capsys) -> dict:
    return json.loads(capsys.readouterr().out.strip().splitlines()[-1])


def trial_dirs(run_dir):
    return sorted(path for path in run_dir.iterdir() if path.name.startswith("trial-"))


def test_pruner_stops_a_hopeless_trial(cluster, tmp_path, capsys):
    # Trial 1 is the preset (it learns); every other trial's step size is too small to change a float32 weight,
    # so at the 2,000-step rung it scores below the preset and ASHA stops it.
    space = tmp_path / "frozen.toml"
    space.write_text("learning_rate = { low = 1e-12, high = 1e-11, log = true }\n")
    run_dir = tmp_path / "sweep"
    code = main.main(["sweep", "--env", "CartPole-v1", "--agent", "dqn", "--trials", "2", "--steps", "3000",
                      "--grace", "2000", "--concurrent", "1", "--space", str(space), "--run-dir", str(run_dir)])
    assert code == 0
    out = capsys.readouterr().out
    summary = json.loads(out.strip().splitlines()[-1])
    assert summary["trials"] == 2 and summary["finished"] == 1 and summary["pruned"] == 1
    assert summary["best_config"] == {"learning_rate": 0.003}  # the preset's, not a frozen net's
    assert "pruned" in out and '[dqn."CartPole-v1"]' in out
    folders = trial_dirs(run_dir)
    assert len(folders) == 2
    for folder in folders:  # each trial is an ordinary run: config, metrics, TensorBoard, checkpoints
        assert (folder / "config.json").exists() and (folder / "metrics.csv").exists()
        assert list(folder.glob("events.out.tfevents.*"))
        assert load_agent(str(folder / "checkpoints" / "best.pt")).env_id == "CartPole-v1"
    pruned = next(f for f in folders if json.loads((f / "config.json").read_text())["config"]["learning_rate"] < 1e-9)
    evals = [line for line in (pruned / "metrics.csv").read_text().splitlines() if line.startswith("eval,")]
    assert [int(line.split(",")[1]) for line in evals] == [1000, 2000]  # stopped at the rung, logs intact
    block = tomllib.loads((run_dir / "best_preset.toml").read_text())["dqn"]["CartPole-v1"]
    assert block["learning_rate"] == 0.003 and block["hidden"] == [128, 128]


def test_interrupted_sweep_keeps_finished_trials_and_resumes(cluster, tmp_path, capsys, monkeypatch):
    run_dir = tmp_path / "sweep"
    complete = LiveTable.on_trial_complete

    def complete_then_ctrl_c(self, iteration, trials, trial, **info):
        complete(self, iteration, trials, trial, **info)
        signal.raise_signal(signal.SIGINT)  # what Ctrl-C sends; Tune stops cleanly and saves its state

    monkeypatch.setattr(LiveTable, "on_trial_complete", complete_then_ctrl_c)
    argv = ["sweep", "--env", "FrozenLake-v1", "--agent", "qlearning", "--trials", "2", "--steps", "4000",
            "--concurrent", "1", "--run-dir", str(run_dir)]
    assert main.main(argv) == 130
    first = last_json(capsys)
    assert first["finished"] == 1 and first["unfinished"] == 1 and first["best_run"]
    [kept] = trial_dirs(run_dir)
    kept_metrics = (kept / "metrics.csv").read_text()

    monkeypatch.undo()
    assert main.main(["sweep", "--resume", str(run_dir)]) == 0
    summary = last_json(capsys)
    assert summary["trials"] == 2 and summary["finished"] == 2 and summary["unfinished"] == 0
    assert set(summary["best_config"]) == {"learning_rate", "learning_rate_end", "gamma", "epsilon_end",
                                           "decay_steps", "initial_q"}
    folders = trial_dirs(run_dir)
    assert len(folders) == 2 and kept in folders
    assert (kept / "metrics.csv").read_text() == kept_metrics  # the finished trial was not trained again
    saved = json.loads((run_dir / "sweep.json").read_text())
    assert saved["outcome"]["best_eval"] == summary["best_eval"]
    new = next(folder for folder in folders if folder != kept)
    config = json.loads((new / "config.json").read_text())["config"]
    assert config["learning_rate"] != 0.1 or config["decay_steps"] != 60000  # a sampled trial, not the preset


def test_address_sends_the_trials_to_the_cluster(cluster, tmp_path, capsys):
    head, worker = cluster
    ray.shutdown()  # the sweep joins the cluster by itself, as from another machine, and leaves it at the end
    try:
        code = main.main(["sweep", "--env", "FrozenLake-v1", "--agent", "qlearning", "--trials", "1",
                          "--steps", "2000", "--address", head.address, "--run-dir", str(tmp_path / "sweep")])
        left = not ray.is_initialized()
    finally:
        ray.init(address=head.address, **QUIET)
    assert code == 0 and left
    assert last_json(capsys)["finished"] == 1
    [trial] = json.loads((tmp_path / "sweep" / "sweep.json").read_text())["outcome"]["per_trial"]
    assert trial["node"] == worker.node_id != head.head_node.node_id
    assert (tmp_path / "sweep" / trial["run_dir"].rsplit("/", 1)[-1] / "checkpoints" / "best.pt").exists()
