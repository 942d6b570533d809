"""Opponent-model benchmark: top-1 accuracy of the online LSTM vs the frequency baseline, per game and opponent.

For each of Connect Four and Tron against `pattern`, `random` and a scripted human-like player (`human`: in Tron
it mostly goes straight, in Connect Four it takes a win, blocks a threat, else leans to the centre), and for each
seed: 50 games (our side plays uniformly among safe moves, alternating seats), learning online after every game,
exactly as `python main.py train-opponent-model` does. Reported over the last 10 games, and (`after 3`, `after 5`)
over the first 3 and 5 games, as the play screen's panel shows them (the question: does the model beat the
baseline within a few games?):

- model: the LSTM's top-1 accuracy; baseline: the most frequent move after the same previous move;
- ceiling: the best any predictor can do on those moves. Against `pattern` it is an oracle that reads the
  opponent's hidden position in its cycle and misses only its 10% random moves; against `random` it is chance,
  the mean of 1 / (number of legal moves).

Prints a table and a final JSON line.

    python bench/bench_opponent_model.py [--games 50] [--seeds 0,1,2]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from agents.games.opponent_games import BLOCK, build_opponent, make_game_env, play_game  # noqa: E402
from agents.opponent_model import OpponentPredictor  # noqa: E402
from envs.connect_four.bots import PatternBot as ConnectFourPattern  # noqa: E402
from envs.connect_four.rules import Board, has_four  # noqa: E402
from envs.tron.bots import PatternBot as TronPattern  # noqa: E402
from envs.tron.bots import safe_moves  # noqa: E402
from envs.tron.rules import STRAIGHT, TronGame  # noqa: E402

ENVS = ("dojo/ConnectFour-v0", "dojo/Tron-v0")
OPPONENTS = ("pattern", "random", "human")
EARLY_GAMES = (3, 5)


class HumanLikeTron:
    """A newcomer's Tron: straight on most moves (as people play), a random safe turn otherwise or when blocked."""

    def __init__(self, rng: np.random.Generator, straight: float = 0.8) -> None:
        self.rng, self.straight = rng, straight

    def __call__(self, obs: np.ndarray, action_mask: np.ndarray) -> int:
        safe = safe_moves(TronGame.from_planes(obs), action_mask)
        if safe[STRAIGHT] and self.rng.random() < self.straight:
            return STRAIGHT
        turns = [move for move, ok in enumerate(safe) if ok and move != STRAIGHT] or \
            [move for move, ok in enumerate(safe) if ok]
        return int(self.rng.choice(turns))


class HumanLikeConnectFour:
    """A newcomer's Connect Four: a win or a block when one is there (GreedyBot), else a centre-leaning column."""

    WEIGHTS = np.array([1.0, 2.0, 4.0, 6.0, 4.0, 2.0, 1.0])

    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng

    def __call__(self, obs: np.ndarray, action_mask: np.ndarray) -> int:
        mask = np.asarray(action_mask, dtype=bool)
        board = Board.from_planes(obs)
        for player in (0, 1):  # own win first, then the other's threat (as envs.connect_four.bots.GreedyBot)
            columns = [col for col in np.flatnonzero(mask)
                       if has_four(board.pieces[player] | (1 << board.heights[col]))]
            if columns:
                return int(columns[0])
        weights = np.where(mask, self.WEIGHTS, 0.0)
        return int(self.rng.choice(len(weights), p=weights / weights.sum()))


def make_opponent(env_id: str, name: str, rng: np.random.Generator) -> object:
    if name == "human":
        return HumanLikeTron(rng) if "Tron" in env_id else HumanLikeConnectFour(rng)
    return build_opponent(env_id, name, rng)


class CeilingProbe:
    """Wraps a scripted opponent; before each of its moves, adds up what the best possible guess would score."""

    def __init__(self, opponent: object) -> None:
        self.opponent = opponent
        self.total = 0.0
        self.moves = 0

    def __call__(self, obs: np.ndarray, action_mask: np.ndarray) -> int:
        mask = np.asarray(action_mask, dtype=bool)
        guess = self.oracle_guess(mask)
        move = int(self.opponent(obs, action_mask))
        self.total += float(guess == move) if guess is not None else 1.0 / max(1, int(mask.sum()))
        self.moves += 1
        return move

    def oracle_guess(self, mask: np.ndarray) -> int | None:
        """The pattern opponent's noise-free move from its hidden cycle position; None for other opponents."""
        opponent = self.opponent
        if isinstance(opponent, ConnectFourPattern):
            cycle = opponent.SEQUENCE
            upcoming = [cycle[(opponent.index + k) % len(cycle)] for k in range(len(cycle))]
            return next((col for col in upcoming if mask[col]), None)
        if isinstance(opponent, TronPattern):
            planned = opponent.SEQUENCE[opponent.index]
            return planned if mask[planned] else int(np.argmax(mask))  # a dodge is random among the safe moves
        return None


def measure(env_id: str, opponent_name: str, games: int, seed: int) -> dict[str, float]:
    """Online learning over ``games`` games; accuracies over the last BLOCK of them."""
    env = make_game_env(env_id, {})
    predictor = OpponentPredictor(env.observation_space.shape, int(env.action_space.n), seed=seed)
    first_scored = max(0, games - BLOCK)
    before = (0, 0, 0)
    ceiling_total, ceiling_moves = 0.0, 0
    begin = time.perf_counter()
    early: dict[str, float] = {}
    for index in range(games):
        if index == first_scored:
            before = (predictor.scores.predictions, predictor.scores.correct, predictor.scores.baseline_correct)
        rng = np.random.default_rng([seed, index])
        probe = CeilingProbe(make_opponent(env_id, opponent_name, rng))
        play_game(env, env_id, probe, build_opponent(env_id, "random", rng), 1 - index % 2, predictor)
        predictor.finish_game()
        if index + 1 in EARLY_GAMES:
            early[f"model_after_{index + 1}"] = predictor.scores.accuracy()
            early[f"baseline_after_{index + 1}"] = predictor.scores.baseline_accuracy()
        if index >= first_scored:
            ceiling_total, ceiling_moves = ceiling_total + probe.total, ceiling_moves + probe.moves
    predictions = predictor.scores.predictions - before[0]
    return {"model": (predictor.scores.correct - before[1]) / predictions,
            "baseline": (predictor.scores.baseline_correct - before[2]) / predictions,
            "ceiling": ceiling_total / ceiling_moves, "moves": predictions, "seconds": time.perf_counter() - begin,
            **early}


def early_cells(run: dict[str, float]) -> str:
    return "".join(f"{run[f'model_after_{n}']:>7.3f}/{run[f'baseline_after_{n}']:.3f}" for n in EARLY_GAMES
                   if f"model_after_{n}" in run)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--games", type=int, default=50, help="games per run (default 50)")
    parser.add_argument("--seeds", default="0,1,2", help="comma-separated seeds (default 0,1,2)")
    args = parser.parse_args()
    torch.set_num_threads(1)
    seeds = [int(text) for text in args.seeds.split(",")]
    print(f"top-1 accuracy over the last {BLOCK} of {args.games} games, online learning; seeds {seeds}")
    early_heads = "".join(f"{f'after {n}':>13}" for n in EARLY_GAMES)
    print(f"{'env':<20}{'opponent':<10}{'seed':>5}{'model':>8}{'baseline':>10}{'ceiling':>9}{'moves':>7}{'s':>7}"
          f"{early_heads}   (after N: model/baseline over the first N games)")
    results: dict[str, dict] = {}
    for env_id in ENVS:
        for opponent_name in OPPONENTS:
            runs = []
            for seed in seeds:
                run = measure(env_id, opponent_name, args.games, seed)
                runs.append(run)
                print(f"{env_id:<20}{opponent_name:<10}{seed:>5}{run['model']:>8.3f}{run['baseline']:>10.3f}"
                      f"{run['ceiling']:>9.3f}{run['moves']:>7}{run['seconds']:>7.1f}{early_cells(run)}", flush=True)
            keys = ["model", "baseline", "ceiling", *(f"{who}_after_{n}" for n in EARLY_GAMES if n <= args.games
                                                       for who in ("model", "baseline"))]
            mean = {key: float(np.mean([run[key] for run in runs])) for key in keys}
            print(f"{env_id:<20}{opponent_name:<10}{'mean':>5}{mean['model']:>8.3f}{mean['baseline']:>10.3f}"
                  f"{mean['ceiling']:>9.3f}{'':>14}{early_cells(mean)}")
            results[f"{env_id}/{opponent_name}"] = {
                **{key: round(value, 4) for key, value in mean.items()},
                "per_seed_model": [round(run["model"], 4) for run in runs],
                "reaches_90": [run["model"] >= 0.9 for run in runs]}
    print(json.dumps({"games": args.games, "seeds": seeds, "last_games": BLOCK, "results": results}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
