"""What the app's model overlays cost: the opponent model watching a human (predict before a move, observe after
it, the learning and logging after a game) and the autoencoder view in watch (one frame's reconstruction, from a
pixels observation and from a big render that must be scaled down first).

The "human" is the built-in random opponent, playing through HumanWatcher exactly as the play screens drive it.

    python bench/bench_ui_predict.py [--games 20]

Prints a table (milliseconds) and, last, one JSON line.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402

from agents.common import make_env  # noqa: E402
from agents.games.opponent_games import build_opponent, make_game_env  # noqa: E402
from nets.autoencoder import AutoencoderConfig, ConvAutoencoder  # noqa: E402
from ui.prediction import HumanWatcher  # noqa: E402
from ui.reconstruction import Reconstruction  # noqa: E402
from ui.session import View  # noqa: E402


def watcher_costs(env_id: str, games: int, runs_dir: Path) -> dict[str, float]:
    """Median ms of expect() and observe() per human move, and median and max ms of settle() per game."""
    env = make_game_env(env_id, {})
    watcher = HumanWatcher(env_id, {}, env.observation_space.shape, int(env.action_space.n), runs_dir=runs_dir)
    rng = np.random.default_rng(0)
    human, agent = build_opponent(env_id, "random", rng), build_opponent(env_id, "random", rng)
    expect, observe, settle = [], [], []
    tron = env_id == "dojo/Tron-v0"
    for game in range(games):
        env.reset()
        watcher.new_game()
        human_seat = 0 if tron else game % 2
        moves: list[list[int]] = []
        done = False
        while not done:
            seat = 0 if tron else env.current_player
            board = env.observation_for(1 - human_seat)
            mask = env.action_mask_for(human_seat) if tron else env.action_masks()
            if seat == human_seat:
                started = time.perf_counter()
                watcher.expect(board, mask)
                expect.append(time.perf_counter() - started)
            move = int(human(env.observation_for(human_seat), mask)) if seat == human_seat else \
                int(agent(env.observation_for(seat), env.action_masks()))
            if seat == human_seat:
                started = time.perf_counter()
                watcher.observe(board, move, mask)
                observe.append(time.perf_counter() - started)
            if tron:
                other = int(agent(env.observation_for(1), env.action_mask_for(1)))
                moves += [[0, move], [1, other]]
                done = any(env.joint_step(move, other)[3:5])
            else:
                moves.append([seat, move])
                done = env.step(move)[2]
        watcher.game_over(moves, human_seat, int(env.winner))
        watcher.settle()
        settle.append(watcher.learn_seconds)
    return {"expect_ms": 1000 * float(np.median(expect)), "observe_ms": 1000 * float(np.median(observe)),
            "learn_ms_median": 1000 * float(np.median(settle)), "learn_ms_max": 1000 * max(settle)}


def reconstruction_ms(env_id: str, env_kwargs: dict, frames: int = 60) -> float:
    """Median ms of one Reconstruction.update on the frames of a random episode (the default AE's size)."""
    config = AutoencoderConfig()
    view_of = Reconstruction(ConvAutoencoder((3, 64, 64), config.channels, config.latent).eval(), config.latent,
                             env_id)
    env = make_env(env_id, env_kwargs, render_mode="rgb_array")
    obs, _ = env.reset(seed=0)
    costs = []
    for _ in range(frames):
        view_of.update(View(env.render(), obs, None, 0.0, "training"))
        costs.append(view_of.seconds)
        view_of._next = 0.0  # time every frame, whatever the throttle would skip
        obs, _, terminated, truncated, _ = env.step(env.action_space.sample())
        if terminated or truncated:
            obs, _ = env.reset()
    env.close()
    return 1000 * float(np.median(costs))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--games", type=int, default=20, help="games per opponent-model line (default 20)")
    args = parser.parse_args()
    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as runs:
        for env_id in ("dojo/ConnectFour-v0", "dojo/Tron-v0"):
            results[env_id] = watcher_costs(env_id, args.games, Path(runs))
    ae = {"snake_pixels_obs_ms": reconstruction_ms("dojo/Snake-v0", {"obs_mode": "pixels"}),
          "cartpole_render_ms": reconstruction_ms("CartPole-v1", {})}
    print(f"{'opponent model':<22} {'predict':>8} {'observe':>8} {'learn med':>10} {'learn max':>10}")
    for env_id, row in results.items():
        print(f"{env_id:<22} {row['expect_ms']:>8.2f} {row['observe_ms']:>8.2f} {row['learn_ms_median']:>10.1f} "
              f"{row['learn_ms_max']:>10.1f}")
    print(f"{'autoencoder frame':<22} {'ms':>8}")
    for name, value in ae.items():
        print(f"{name:<22} {value:>8.2f}")
    print(json.dumps({"games": args.games, "opponent_model": results, "autoencoder": ae}))


if __name__ == "__main__":
    main()
