"""Env speed: single-env steps per second (no rendering, resets included, the built-in random opponent in the
two-player games), milliseconds per rendered frame, and each engine's copy + apply cost (what a tree search pays
per node).

Targets on a 2-core CPU: >= 50,000 steps/s for Snake, Maze and Tron, >= 20,000 for Connect Four (with its win
check), and under 2 ms a frame; Tron with its territory planes (a flood fill per tick) >= 10,000 steps/s.
Prints the tables and a final JSON line.

    python bench/bench_envs.py [--seconds 2]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import gymnasium as gym
import numpy as np

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")  # classic-control frames are drawn with pygame surfaces
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import envs  # noqa: E402,F401  (registers the dojo envs)
from envs.connect_four.rules import Board  # noqa: E402
from envs.snake.rules import SnakeRules  # noqa: E402
from envs.tron.rules import TronGame  # noqa: E402

TARGETS = {"dojo/Snake-v0": 50_000, "dojo/Maze-v0": 50_000, "dojo/Tron-v0": 50_000, "dojo/ConnectFour-v0": 20_000}
# Extra rows: (label, env id, env kwargs, steps/s target) for env options that cost speed.
VARIANTS = [("Tron+territory", "dojo/Tron-v0", {"territory_plane": True}, 10_000)]


def steps_per_second(env_id: str, seconds: float, **kwargs) -> float:
    """env.step through gym.make (wrappers included) with uniformly random legal actions, resets counted."""
    env = gym.make(env_id, **kwargs)
    env.action_space.seed(0)
    _, info = env.reset(seed=0)
    actions = [env.action_space.sample() for _ in range(1 << 16)]
    # An untimed warm-up first: the first thousands of steps pay for caches and lazy imports.
    warm_until = time.perf_counter() + 0.5
    while time.perf_counter() < warm_until:
        mask = info.get("action_mask")
        action = actions[0] if mask is None or mask[actions[0]] else int(np.flatnonzero(mask)[0])
        _, _, terminated, truncated, info = env.step(action)
        if terminated or truncated:
            _, info = env.reset()
    steps, start = 0, time.perf_counter()
    deadline = start + seconds
    while time.perf_counter() < deadline:
        for _ in range(1000):
            mask = info.get("action_mask")
            action = actions[steps & 0xFFFF]
            if mask is not None and not mask[action]:
                action = int(np.flatnonzero(mask)[0])
            _, _, terminated, truncated, info = env.step(action)
            steps += 1
            if terminated or truncated:
                _, info = env.reset()
    return steps / (time.perf_counter() - start)


def ms_per_frame(env_id: str, frames: int = 300) -> tuple[float, float]:
    """Mean and 99th-percentile milliseconds of env.render() on changing states."""
    env = gym.make(env_id, render_mode="rgb_array")
    _, info = env.reset(seed=0)
    times = []
    for _ in range(frames):
        mask = info.get("action_mask")
        action = int(np.flatnonzero(mask)[0]) if mask is not None else env.action_space.sample()
        _, _, terminated, truncated, info = env.step(action)
        start = time.perf_counter()
        env.render()
        times.append((time.perf_counter() - start) * 1000)
        if terminated or truncated:
            _, info = env.reset()
    return float(np.mean(times)), float(np.percentile(times, 99))


def positions(engine: str, count: int = 64) -> list:
    """``count`` positions a few random moves into games (search nodes look like these)."""
    rng = np.random.default_rng(0)
    found = []
    while len(found) < count:
        if engine == "snake":
            game = SnakeRules(10)
            game.reset(rng)
            for _ in range(6):
                game.step((game.direction + int(rng.integers(-1, 2))) % 4)
                if game.over:
                    break
            if not game.over:
                found.append(game.copy())
            continue
        game = Board() if engine == "connect_four" else TronGame(16)
        for _ in range(8):
            if game.is_over():
                break
            game.apply([int(rng.choice(np.flatnonzero(game.legal_actions(seat)))) for seat in game.movers()])
        if not game.is_over():
            found.append(game)
    return found


def copy_apply_us(engine: str, seconds: float) -> float:
    """Microseconds per copy() + one move (apply for the two-player engines, step for Snake's rules)."""
    games = positions(engine)
    if engine == "snake":
        moves = [game.direction for game in games]
        play = lambda game, move: game.copy().step(move)
    else:
        moves = [[int(np.flatnonzero(game.legal_actions(seat))[0]) for seat in game.movers()] for game in games]
        play = lambda game, move: game.copy().apply(move)
    done, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        for game, move in zip(games, moves):
            play(game, move)
        done += len(games)
    return (time.perf_counter() - start) / done * 1e6


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=2.0, help="timing window per env (default 2)")
    args = parser.parse_args()
    results = {}
    print(f"{'env':<22}{'steps/s':>12}{'target':>10}{'ok':>5}{'ms/frame':>10}{'p99 ms':>8}")
    for env_id in [*envs.GRID_GAMES, *envs.CLASSIC_CONTROL]:
        rate = steps_per_second(env_id, args.seconds)
        mean_ms, p99_ms = ms_per_frame(env_id)
        target = TARGETS.get(env_id)
        ok = "-" if target is None else ("yes" if rate >= target and mean_ms < 2.0 else "NO")
        print(f"{env_id:<22}{rate:>12,.0f}{target or 0:>10,}{ok:>5}{mean_ms:>10.2f}{p99_ms:>8.2f}", flush=True)
        results[env_id] = {"steps_per_s": round(rate), "target": target, "ms_per_frame": round(mean_ms, 3),
                           "p99_ms": round(p99_ms, 3)}
    for label, env_id, kwargs, target in VARIANTS:
        rate = steps_per_second(env_id, args.seconds, **kwargs)
        print(f"{label:<22}{rate:>12,.0f}{target:>10,}{'yes' if rate >= target else 'NO':>5}", flush=True)
        results[label] = {"steps_per_s": round(rate), "target": target, "env_kwargs": kwargs}
    print(f"\n{'engine':<22}{'copy+apply us':>14}")
    for engine in ("connect_four", "tron", "snake"):
        cost = copy_apply_us(engine, args.seconds / 2)
        print(f"{engine:<22}{cost:>14.2f}", flush=True)
        results[f"{engine} copy+apply"] = {"us": round(cost, 3)}
    print(json.dumps({"bench": "envs", "results": results}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
