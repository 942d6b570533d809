"""UI benchmark: frames per second while training, and the learner's steps/s in the watch screen at max and fast
speed against headless training (a Trainer.run-like loop), for DQN on CartPole under the dummy video driver.

Headless, max and fast each train a fresh run from step 0 over the same step window, so they do the same work (the
same evaluations, the same warm-up before learning starts); realtime runs for ``--seconds``.

    python bench/bench_ui.py [--steps 12000] [--agent dqn] [--env CartPole-v1]

Prints a table and, last, one JSON line.
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
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from agents.trainer import Trainer  # noqa: E402


def headless(agent: str, env_id: str, steps: int, run_dir: Path) -> float:
    """Steps per second of the plain training loop (what `main.py train` does, without the progress bar)."""
    trainer = Trainer(agent, env_id, steps=steps, seed=0, device="cpu", run_dir=run_dir, early_stop=False)
    start = time.perf_counter()
    while not trainer.done:
        trainer.step()
    rate = trainer.steps / (time.perf_counter() - start)
    trainer.close()
    return rate


def watched(agent: str, env_id: str, steps: int, speed: str, run_dir: Path,
            seconds: float | None = None) -> tuple[float, float]:
    """(frames per second, learner steps per second) of the watch screen, on the real clock."""
    from ui.app import App
    from ui.watch import WatchScreen, start_training

    app = App(size=(1280, 800))
    session = start_training(env_id, agent, steps=steps, seed=0, device="cpu", run_dir=run_dir, speed=speed)
    session.trainer.early_stop = False
    app.push(WatchScreen(session))
    start = time.perf_counter()
    frames = 0
    while not session.finished and (seconds is None or time.perf_counter() - start < seconds):
        app.run(frames=1)
        frames += 1
    elapsed = time.perf_counter() - start
    learned = session.trainer.steps
    app.close()
    return frames / elapsed, learned / elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agent", default="dqn")
    parser.add_argument("--env", default="CartPole-v1")
    parser.add_argument("--steps", type=int, default=12_000, help="training steps per measurement")
    parser.add_argument("--seconds", type=float, default=4.0, help="length of the realtime measurement")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        base = headless(args.agent, args.env, args.steps, root / "headless")
        max_fps, max_rate = watched(args.agent, args.env, args.steps, "max", root / "max")
        fast_fps, fast_rate = watched(args.agent, args.env, args.steps, "fast", root / "fast")
        real_fps, real_rate = watched(args.agent, args.env, 10**9, "realtime", root / "realtime", args.seconds)
    rows = [("headless (no window)", "-", base), ("watch, speed max", max_fps, max_rate),
            ("watch, speed fast", fast_fps, fast_rate), ("watch, speed realtime", real_fps, real_rate)]
    print(f"{args.agent} on {args.env}, {args.steps:,} steps, dummy video driver")
    print(f"{'mode':<24}{'UI fps':>10}{'learner steps/s':>18}")
    for name, fps, rate in rows:
        shown = fps if isinstance(fps, str) else f"{fps:.1f}"
        print(f"{name:<24}{shown:>10}{rate:>18,.0f}")
    ratio, fast_ratio = max_rate / base, fast_rate / base
    print(f"the learner keeps {ratio:.0%} of headless steps/s at max, {fast_ratio:.0%} at fast (goal >= 50%); "
          f"UI fps while learning: "
          f"{max_fps:.1f} at max, {fast_fps:.1f} at fast (goal >= 30)")
    print(json.dumps({"agent": args.agent, "env": args.env, "steps": args.steps, "headless_steps_per_s": round(base),
                      "max_steps_per_s": round(max_rate), "max_ratio": round(ratio, 3), "max_fps": round(max_fps, 1),
                      "fast_fps": round(fast_fps, 1), "fast_steps_per_s": round(fast_rate),
                      "fast_ratio": round(fast_ratio, 3),
                      "realtime_fps": round(real_fps, 1), "realtime_steps_per_s": round(real_rate)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
