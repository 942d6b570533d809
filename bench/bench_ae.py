"""Autoencoder benchmark: held-out reconstruction quality of ``train-ae`` at its defaults, and (optionally) DQN on
Snake pixels through the frozen AE latent against DQN on Snake's grid planes with the same step budget.

- PSNR / MSE on held-out 64x64 frames of Snake (dojo/Snake-v0) and CartPole, latent 32 (target >= 28 dB).
- With ``--dqn-steps N``: mean apples over 100 greedy games for both DQNs (the issue's target: the AE agent
  reaches >= 70% of the grid agent's score).

Prints a table and a final JSON line.

    python bench/bench_ae.py [--envs dojo/Snake-v0 CartPole-v1] [--dqn-steps 0] [--device cpu]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import main as dojo_main  # noqa: E402
from agents import load_agent  # noqa: E402
from agents.common import play_episodes  # noqa: E402
from agents.trainer import Trainer  # noqa: E402

SNAKE = "dojo/Snake-v0"


def train_ae(env_id: str, device: str, run_dir: Path, seed: int) -> dict:
    """Run the train-ae command at its defaults and return its JSON line."""
    output = io.StringIO()
    with contextlib.redirect_stdout(output):
        code = dojo_main.main(["train-ae", "--env", env_id, "--device", device, "--seed", str(seed), "--quiet",
                               "--run-dir", str(run_dir)])
    if code != 0:
        raise SystemExit(f"train-ae on {env_id} failed with exit code {code}")
    return json.loads(output.getvalue().strip().splitlines()[-1])


def snake_score(env_kwargs: dict, overrides: list[str], steps: int, device: str, run_dir: Path) -> tuple[float, float]:
    """Mean apples of the best checkpoint over 100 greedy games, and the training seconds."""
    start = time.perf_counter()
    trainer = Trainer("dqn", SNAKE, steps=steps, seed=0, device=device, run_dir=run_dir, overrides=overrides,
                      env_kwargs=env_kwargs, eval_every=max(1, steps // 5))
    trainer.run(progress=False)
    seconds = time.perf_counter() - start
    agent = load_agent(str(run_dir / "checkpoints" / "best.pt"))
    apples = play_episodes(agent.act_batch, SNAKE, agent.env_kwargs, 100, seed=777).scores
    return float(apples.mean()), seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--envs", nargs="+", default=[SNAKE, "CartPole-v1"], help="envs to train an AE on")
    parser.add_argument("--dqn-steps", type=int, default=0, help="DQN comparison budget on Snake (0: skip)")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    results: dict[str, dict] = {}
    with tempfile.TemporaryDirectory(prefix="dojo-ae-") as workdir:
        print(f"{'env':<16}{'latent':>7}{'ratio':>7}{'frames':>8}{'MSE':>11}{'PSNR dB':>9}{'seconds':>9}")
        for env_id in args.envs:
            result = train_ae(env_id, args.device, Path(workdir) / env_id.replace("/", "-"), args.seed)
            results[env_id] = {key: result[key] for key in ("psnr_db", "mse", "compression_ratio", "latent", "frames",
                                                            "seconds")}
            print(f"{env_id:<16}{result['latent']:>7}{result['compression_ratio']:>7g}{result['frames']:>8}"
                  f"{result['mse']:>11.6f}{result['psnr_db']:>9.2f}{result['seconds']:>9.1f}", flush=True)
            if env_id == SNAKE:
                results[env_id]["checkpoint_dir"] = str(Path(workdir) / env_id.replace("/", "-"))
        if args.dqn_steps > 0:
            if SNAKE not in results:
                raise SystemExit("the DQN comparison needs the Snake autoencoder: keep dojo/Snake-v0 in --envs")
            ae_path = Path(results[SNAKE].pop("checkpoint_dir")) / "ae.pt"
            small = [f"epsilon_decay_steps={max(1, args.dqn_steps // 2)}"]
            grid, grid_s = snake_score({}, small, args.dqn_steps, args.device, Path(workdir) / "dqn-grid")
            latent, latent_s = snake_score({"obs_mode": "pixels"}, [*small, f"encoder=ae:{ae_path}"], args.dqn_steps,
                                           args.device, Path(workdir) / "dqn-ae")
            ratio = latent / grid if grid > 0 else float("nan")
            results["dqn_snake"] = {"steps": args.dqn_steps, "grid_mean_apples": grid, "grid_train_s": round(grid_s, 1),
                                    "ae_mean_apples": latent, "ae_train_s": round(latent_s, 1),
                                    "ae_over_grid": round(ratio, 3)}
            print(f"\nDQN on Snake, {args.dqn_steps:,} steps, mean apples over 100 games:")
            print(f"  grid planes        {grid:8.2f}   ({grid_s:.0f} s)")
            print(f"  pixels -> AE (32)  {latent:8.2f}   ({latent_s:.0f} s)   {ratio:.0%} of the grid score")
        results.get(SNAKE, {}).pop("checkpoint_dir", None)
    print(json.dumps(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
