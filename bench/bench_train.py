"""Time-to-solve benchmark: whole-process wall clock of `python main.py train` until the env is solved.

For DQN and PPO on CartPole-v1 over several seeds it reports seconds (import time and Dojo's own periodic
evaluation included), env steps at the solve point, training steps per second, and a 100-episode `eval` of
the saved best checkpoint. It then runs every shipped classic-control preset once and reports whether and
when each reaches its solved threshold. Prints a table and a final JSON line.

    python bench/bench_train.py                 # everything, on the CPU (several minutes)
    python bench/bench_train.py --quick         # CartPole DQN and PPO only
    python bench/bench_train.py --device cuda   # the same on a GPU
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HEADLINE = [("dqn", "CartPole-v1"), ("ppo", "CartPole-v1")]
PRESETS = [("dqn", "CartPole-v1"), ("dqn", "Acrobot-v1"), ("dqn", "MountainCar-v0"), ("ppo", "CartPole-v1"),
           ("ppo", "Acrobot-v1"), ("ppo", "MountainCar-v0"), ("ppo", "Pendulum-v1"), ("qlearning", "CartPole-v1")]


def last_json(text: str) -> dict:
    for line in reversed(text.strip().splitlines()):
        if line.startswith("{"):
            return json.loads(line)
    raise RuntimeError(f"no JSON line in output:\n{text[-2000:]}")


def train_once(agent: str, env_id: str, seed: int, device: str, workdir: Path) -> dict:
    run_dir = workdir / f"{env_id}-{agent}-{seed}"
    command = [sys.executable, "main.py", "train", "--env", env_id, "--agent", agent, "--seed", str(seed),
               "--device", device, "--quiet", "--run-dir", str(run_dir)]
    start = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    wall = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{done.stderr[-2000:]}")
    result = last_json(done.stdout)
    return {"agent": agent, "env": env_id, "seed": seed, "wall_s": round(wall, 2), "solved": result["solved"],
            "solved_at_step": result["solved_at_step"], "steps": result["steps"],
            "train_steps_per_s": round(result["steps"] / max(result["elapsed_s"], 1e-9)),
            "best_eval": result["best_eval"], "best": result["best"]}


def eval_checkpoint(path: str, episodes: int) -> float:
    done = subprocess.run([sys.executable, "main.py", "eval", path, "--episodes", str(episodes)], cwd=ROOT,
                          capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(done.stderr[-2000:])
    return last_json(done.stdout)["mean_return"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, default=3, help="seeds for the CartPole headline runs (default 3)")
    parser.add_argument("--device", default="cpu", help="cpu (default), cuda, mps or auto")
    parser.add_argument("--quick", action="store_true", help="only the CartPole DQN/PPO headline runs")
    args = parser.parse_args()

    rows: list[dict] = []
    summary: dict[str, dict] = {}
    with tempfile.TemporaryDirectory(prefix="dojo-bench-") as workdir:
        print(f"{'agent':<10}{'env':<16}{'seed':>5}{'wall s':>9}{'solved@':>9}{'steps/s':>9}{'eval100':>9}")
        for agent, env_id in HEADLINE:
            runs = []
            for seed in range(args.seeds):
                row = train_once(agent, env_id, seed, args.device, Path(workdir))
                row["eval100"] = eval_checkpoint(row["best"], 100)
                runs.append(row)
                print(f"{agent:<10}{env_id:<16}{seed:>5}{row['wall_s']:>9.1f}{row['solved_at_step'] or '-':>9}"
                      f"{row['train_steps_per_s']:>9}{row['eval100']:>9.1f}", flush=True)
            solved = [r for r in runs if r["solved"]]
            summary[f"{agent}/{env_id}"] = {
                "median_wall_s": statistics.median(r["wall_s"] for r in runs),
                "median_solved_at_step": statistics.median(r["solved_at_step"] for r in solved) if solved else None,
                "solved_runs": len(solved), "runs": len(runs),
                "min_eval100": min(r["eval100"] for r in runs),
                "median_train_steps_per_s": statistics.median(r["train_steps_per_s"] for r in runs)}
            rows.extend(runs)
        if not args.quick:
            print(f"\n{'preset':<28}{'solved':>8}{'at step':>10}{'wall s':>9}{'best eval':>11}")
            presets = []
            for agent, env_id in PRESETS:
                row = train_once(agent, env_id, 0, args.device, Path(workdir))
                presets.append(row)
                print(f"{agent + '/' + env_id:<28}{str(row['solved']):>8}{row['solved_at_step'] or '-':>10}"
                      f"{row['wall_s']:>9.1f}{row['best_eval']:>11.1f}", flush=True)
            summary["presets"] = {f"{r['agent']}/{r['env']}": {"solved": r["solved"], "at_step": r["solved_at_step"],
                                                               "wall_s": r["wall_s"]} for r in presets}
    for name, values in summary.items():
        if name != "presets":
            print(f"{name}: median {values['median_wall_s']:.1f} s, median solve step "
                  f"{values['median_solved_at_step']}, solved {values['solved_runs']}/{values['runs']}, "
                  f"worst 100-episode eval {values['min_eval100']:.1f}")
    import torch

    device = torch.cuda.get_device_name(0) if args.device == "cuda" else args.device
    print(json.dumps({"bench": "train", "device": device, "summary": summary}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
