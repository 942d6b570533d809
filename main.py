"""Dojo: watch reinforcement-learning agents learn games, play against them, train them headless.

This file only parses the command line and hands over to ``agents`` (headless work) or ``ui`` (windows).
"""

from __future__ import annotations

import argparse
import importlib
import os
import signal
import sys

DESCRIPTION = "Dojo: watch RL agents learn games live, play against them, and train them headless."
EPILOG = """examples:
  python main.py                                     the app (or, with no display, train DQN on CartPole)
  python main.py watch --env CartPole-v1 --agent dqn --speed max
  python main.py play --env dojo/ConnectFour-v0 --first agent
  python main.py train --env CartPole-v1 --agent dqn
  python main.py train --env Pendulum-v1 --agent ppo --set learning_rate=1e-3
  python main.py eval runs/CartPole-v1-dqn-*/checkpoints/best.pt --episodes 100
  python main.py eval runs/latest/checkpoints/best.pt    "latest": the newest run that has the file
  python main.py train-ae --env dojo/Snake-v0 --latent 32
  python main.py train-opponent-model --env dojo/ConnectFour-v0 --opponent pattern
  python main.py sweep --env CartPole-v1 --agent dqn --trials 8 --steps 20000
  python main.py list"""


SEED = (0, 2**31 - 1)
# The sane range of every number an argument takes, by (command, option): outside it, a one-line error (exit 2).
NUMBER_RANGES: dict[tuple[str, str], tuple[int, int]] = {
    ("train", "steps"): (1, 10**10), ("train", "seed"): SEED,
    ("eval", "episodes"): (1, 10_000), ("eval", "seed"): SEED,
    ("train-ae", "latent"): (1, 1024), ("train-ae", "frames"): (2, 100_000), ("train-ae", "steps"): (1, 10**7),
    ("train-ae", "seed"): SEED,
    ("watch", "steps"): (1, 10**10), ("watch", "seed"): SEED,
    ("play", "seed"): SEED,
    ("screenshot", "steps"): (1, 10**6),
    ("train-opponent-model", "games"): (1, 100_000), ("train-opponent-model", "seed"): SEED,
}
# Options that name one input file but take several (a shell glob that matches many): the newest is used. Every
# path may also be a quoted glob or use "latest" (runs/latest/..., runs/CartPole-v1-dqn-latest/...).
ONE_PATH = {("train", "resume"), ("watch", "checkpoint"), ("watch", "ae"), ("play", "checkpoint"), ("play", "vs"),
            ("play", "opponent_model"), ("train-ae", "checkpoint"), ("export", "checkpoint")}
# Options whose every file is used: eval evaluates each checkpoint, train-opponent-model replays every log.
ALL_PATHS = {("eval", "checkpoint"), ("train-opponent-model", "from_log")}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="main.py", description=DESCRIPTION, epilog=EPILOG,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    train = commands.add_parser("train", help="train an agent headless (no window)",
                                description="Train an agent headless. Defaults come from the tuned preset for "
                                            "(env, agent); --set overrides any config field.")
    train.add_argument("--env", help="env id, e.g. CartPole-v1 or dojo/Snake-v0 (see: list)")
    train.add_argument("--agent", help="dqn, ppo, reinforce, qlearning or alphazero")
    train.add_argument("--steps", type=int, help="env-step budget (default: the preset's)")
    train.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    train.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda", "mps"),
                       help="auto picks cuda, then mps, then cpu")
    train.add_argument("--run-dir", help="where logs and checkpoints go (default runs/<env>-<agent>-<time>)")
    train.add_argument("--resume", metavar="CHECKPOINT", nargs="+", help="continue a run from its last.pt")
    train.add_argument("--set", nargs="+", metavar="KEY=VALUE", help="override config fields")
    train.add_argument("--env-kwargs", metavar="JSON",
                       help='env arguments over the preset\'s, e.g. \'{"obs_mode": "pixels"}\'')
    train.add_argument("--preset", help="a named preset variant, e.g. strong (see: list)")
    train.add_argument("--no-early-stop", action="store_true", help="keep training after the env is solved")
    train.add_argument("--quiet", action="store_true", help="no progress bar")
    train.add_argument("--address", metavar="auto|HOST:PORT",
                       help="alphazero with --set workers=N: the Ray cluster the workers join (default: a local Ray)")
    train.set_defaults(handler="agents.commands:train")

    evaluate = commands.add_parser("eval", help="play a checkpoint's greedy policy and report returns",
                                   description="Play the greedy policy; the last line printed is a JSON object.")
    evaluate.add_argument("checkpoint", nargs="+", help="one or more .pt files written by train (each is evaluated)")
    evaluate.add_argument("--episodes", type=int, default=20, help="episodes to play (default 20)")
    evaluate.add_argument("--seed", type=int, default=12345, help="seed of the first episode (default 12345)")
    evaluate.add_argument("--opponent", help="two-player games: the opponent to play against")
    evaluate.add_argument("--device", default="cpu", choices=("auto", "cpu", "cuda", "mps"))
    evaluate.set_defaults(handler="agents.commands:evaluate_checkpoint")

    train_ae = commands.add_parser("train-ae", help="train an observation autoencoder on an env's frames",
                                   description="Collect 64x64 RGB frames (random play, plus agent play with "
                                               "--checkpoint), train a convolutional autoencoder, report its "
                                               "reconstruction error on held-out frames (last line: JSON) and save "
                                               "ae.pt and reconstructions.png in the run dir.")
    train_ae.add_argument("--env", help="env id, e.g. dojo/Snake-v0 or CartPole-v1")
    train_ae.add_argument("--latent", type=int, help="floats per compressed frame (default 32)")
    train_ae.add_argument("--frames", type=int, help="frames to collect, 10%% held out (default 6000)")
    train_ae.add_argument("--steps", type=int, help="gradient steps (default 3000)")
    train_ae.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    train_ae.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda", "mps"),
                          help="auto picks cuda, then mps, then cpu")
    train_ae.add_argument("--run-dir", help="where ae.pt and the picture go (default runs/<env>-ae-<time>)")
    train_ae.add_argument("--checkpoint", metavar="AGENT_PT", nargs="+",
                          help="an agent checkpoint that plays part of the frames")
    train_ae.add_argument("--set", nargs="+", metavar="KEY=VALUE",
                          help="other AutoencoderConfig fields: channels, bottleneck (dense or keypoints), "
                               "learning_rate, batch_size, foreground_weight, test_fraction, agent_fraction, "
                               "torch_threads")
    train_ae.add_argument("--quiet", action="store_true", help="no progress bars")
    train_ae.set_defaults(handler="agents.autoencoder.command:train_ae")

    watch = commands.add_parser("watch", help="train with a window: the game live, plots, the agent's values",
                                description="Train an agent and watch it learn. Space pauses, S steps, 1/2/3 set "
                                            "the speed, Ctrl+S saves, P writes the plots, A toggles the autoencoder "
                                            "view; closing saves last.pt.")
    watch.add_argument("--env", help="env id, e.g. CartPole-v1 (see: list)")
    watch.add_argument("--agent", help="dqn, ppo, reinforce, qlearning or alphazero")
    watch.add_argument("--checkpoint", metavar="PATH", nargs="+", help="continue training from this checkpoint")
    watch.add_argument("--steps", type=int, help="env-step budget (default: the preset's)")
    watch.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    watch.add_argument("--speed", default="fast", choices=("realtime", "fast", "max"),
                       help="realtime shows every step; fast (the default) learns at nearly full speed and shows the "
                            "live game; max learns flat out and shows greedy exhibition games")
    watch.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda", "mps"))
    watch.add_argument("--run-dir", help="where logs and checkpoints go (default runs/<env>-<agent>-<time>)")
    watch.add_argument("--ae", metavar="AE_PT", nargs="+",
                       help="a train-ae checkpoint: show the 64x64 frame next to its reconstruction (default: the "
                            "agent's own with encoder=ae:PATH; A shows or hides it)")
    watch.set_defaults(handler="ui.commands:watch")

    play = commands.add_parser("play", help="play a game: against an agent, or yourself then the agent",
                               description="Two-player games: you against an agent (or --vs for agent against "
                                           "agent). Single-player games: you play, then the agent plays the same "
                                           "seed. Without --checkpoint the best saved one for the game is used.")
    play.add_argument("--env", required=True, help="env id, e.g. dojo/ConnectFour-v0 (see: list)")
    play.add_argument("--checkpoint", metavar="PATH", nargs="+", help="the agent to play (default: the best saved one)")
    play.add_argument("--opponent", metavar="NAME",
                      help="two-player games: a built-in opponent instead of a checkpoint (e.g. minimax:4, space)")
    play.add_argument("--vs", metavar="CHECKPOINT_OR_NAME", nargs="+",
                      help="agent against agent: the second player (a checkpoint or a built-in opponent)")
    play.add_argument("--first", default="human", choices=("human", "agent"), help="who moves first (default human)")
    play.add_argument("--seed", type=int, default=0, help="seed of the first game (default 0)")
    play.add_argument("--tick", default="slow", choices=("slow", "normal", "fast"),
                      help="Tron and Snake: moves per second (Tron 5/10/15, Snake 4/6/8; default slow; change it "
                           "in the game with 1/2/3)")
    play.add_argument("--opponent-model", metavar="PATH", nargs="+",
                      help="Connect Four and Tron: an opponent_model.pt that starts out predicting your moves "
                           "(default: a fresh one that learns from you as you play; P shows or hides it)")
    play.add_argument("--dry-run", action="store_true",
                      help="print the agent play would pick and why, then exit (no window needed)")
    play.set_defaults(handler="ui.commands:play")

    shots = commands.add_parser("screenshot", help="render the app's screens to PNG files, headless",
                                description="Renders the launcher, a watch-training screen (after a short real "
                                            "training run) and a Connect Four game to PNGs.")
    shots.add_argument("--out", default="shots", help="folder for the PNGs (default shots/)")
    shots.add_argument("--size", default="1280x800", help="window size WIDTHxHEIGHT (default 1280x800)")
    shots.add_argument("--steps", type=int, default=3000, help="training steps before the watch screenshot")
    shots.set_defaults(handler="ui.commands:screenshot")

    export = commands.add_parser("export", help="write a small policy-only copy of a checkpoint",
                                 description="Drop the optimizer, target net, replay buffer and history: the "
                                             "result loads with load_agent, eval, watch and play.")
    export.add_argument("checkpoint", nargs="+", help="a .pt file written by train (of several: the newest)")
    export.add_argument("--out", required=True, help="where to write the policy file")
    export.add_argument("--half", action="store_true", help="store the weights as float16 (half the size)")
    export.add_argument("--set", nargs="+", metavar="KEY=VALUE",
                        help="change config fields in the copy, e.g. search_depth=3")
    export.set_defaults(handler="agents.commands:export")

    opponent_model = commands.add_parser(
        "train-opponent-model", help="learn to predict a scripted opponent's next move (LSTM, online)",
        description="Play games against a scripted opponent (or replay a games.jsonl log), learning online to "
                    "predict its next move; prints the model's top-1 accuracy against a frequency baseline "
                    "every 10 games. The last line printed is a JSON object.")
    opponent_model.add_argument("--env", help="dojo/ConnectFour-v0 or dojo/Tron-v0 (default: the log's env)")
    opponent_model.add_argument("--opponent", help="the scripted opponent to model, e.g. pattern, random, greedy, "
                                                   "minimax:2, space (default pattern, or the log's)")
    opponent_model.add_argument("--games", type=int, help="games to play (default 50; with --from-log: all)")
    opponent_model.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    opponent_model.add_argument("--run-dir", help="where opponent_model.pt and games.jsonl go "
                                                  "(default runs/<env>-opponent-model-<time>)")
    opponent_model.add_argument("--from-log", metavar="GAMES_JSONL", nargs="+",
                                help="train offline from logged games files (all of them, in order)")
    opponent_model.add_argument("--set", nargs="+", metavar="KEY=VALUE", help="override model config fields")
    opponent_model.add_argument("--quiet", action="store_true", help="no progress bar")
    opponent_model.set_defaults(handler="agents.games.opponent_games:train_opponent_model")

    sweep = commands.add_parser(
        "sweep", help="search hyperparameters: many training runs on Ray Tune with Optuna (pip: requirements-dev)",
        description="Train many runs of one agent on one env with settings drawn from a search space (default: "
                    "agents/sweep_space.toml), on Ray Tune with Optuna; a pruner stops hopeless trials early. Each "
                    "trial is an ordinary run folder under the sweep's run dir. At the end: the best trials, a "
                    "preset block for agents/presets.toml, and a JSON last line. Ctrl-C stops; --resume continues.")
    sweep.add_argument("--env", help="env id, e.g. CartPole-v1 (see: list)")
    sweep.add_argument("--agent", help="dqn, ppo, reinforce or qlearning")
    sweep.add_argument("--trials", type=int, help="training runs to try (default 16)")
    sweep.add_argument("--steps", type=int, help="env-step budget of each trial (default: the preset's)")
    sweep.add_argument("--space", metavar="FILE.toml", help="search space replacing agents/sweep_space.toml")
    sweep.add_argument("--search", choices=("optuna", "random"), help="how settings are drawn (default optuna)")
    sweep.add_argument("--pruner", choices=("asha", "median", "none"),
                       help="what stops hopeless trials early (default asha)")
    sweep.add_argument("--grace", type=int, metavar="STEPS",
                       help="steps every trial trains before it may be pruned (default: a quarter of --steps)")
    sweep.add_argument("--concurrent", type=int, metavar="K", help="trials at once (default: one per CPU core)")
    sweep.add_argument("--seed", type=int, help="seed of every trial and of the search (default 0)")
    sweep.add_argument("--address", metavar="auto|HOST:PORT",
                       help="run the trials on an existing Ray cluster (default: start Ray on this machine)")
    sweep.add_argument("--run-dir", help="the sweep's folder (default runs/sweep-<env>-<agent>-<time>)")
    sweep.add_argument("--resume", metavar="DIR", help="continue an interrupted sweep from its run dir")
    sweep.set_defaults(handler="agents.sweep:sweep")

    listing = commands.add_parser("list", help="list envs, agents and presets")
    listing.set_defaults(handler="agents.commands:list_everything")
    return parser


def check_arguments(args: argparse.Namespace) -> None:
    """Numbers within their ranges; path options resolved (globs, ``latest``, several files for one)."""
    from agents.errors import DojoError
    from agents.safe_files import pick_one, resolve_input

    command = getattr(args, "command", None)
    for dest in ("run_dir", "out"):
        if getattr(args, dest, None) is not None and not getattr(args, dest).strip():
            raise DojoError(f"--{dest.replace('_', '-')} is empty; give a path")
    for (name, dest), (low, high) in NUMBER_RANGES.items():
        value = getattr(args, dest, None) if name == command else None
        if value is not None and not low <= value <= high:
            flag = "--" + dest.replace("_", "-")
            shown = f"a {value.bit_length()}-bit number" if abs(value) >= 10**30 else f"{value:,}"
            bound = f"at least {low:,}" if value < low else f"at most {high:,}"
            raise DojoError(f"{flag} must be {bound}, got {shown}")
    for name, dest in ONE_PATH:
        if name == command and getattr(args, dest, None) is not None:
            setattr(args, dest, pick_one(getattr(args, dest), "file", "--" + dest.replace("_", "-")))
    for name, dest in ALL_PATHS:
        if name == command and getattr(args, dest, None) is not None:
            values = getattr(args, dest)
            setattr(args, dest, [resolve_input(value, "file") for value in
                                 ([values] if isinstance(values, str) else values)])


def run_handler(handler: str, args: argparse.Namespace) -> int:
    """Import the handler lazily (a plain `list` should not load the UI) and turn user errors into one line."""
    from agents.commands import fail
    from agents.errors import DojoError

    module_name, function_name = handler.split(":")
    try:
        check_arguments(args)
        return getattr(importlib.import_module(module_name), function_name)(args)
    except DojoError as error:
        return fail(str(error))
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


def default_job(parser: argparse.ArgumentParser) -> int:
    """No arguments: the app when there is a display, else the default headless job."""
    from ui import display_available

    if display_available():
        return run_handler("ui.commands:launch", argparse.Namespace())
    print("No display available: training DQN on CartPole-v1 until solved, headless.")
    args = parser.parse_args(["train", "--env", "CartPole-v1", "--agent", "dqn"])
    return run_handler(args.handler, args)


def main(argv: list[str] | None = None) -> int:
    # SIGTERM (a closed terminal, a killed job) saves like Ctrl-C does.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        return default_job(parser)
    return run_handler(args.handler, args)


if __name__ == "__main__":
    sys.exit(main())
