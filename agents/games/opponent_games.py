"""Games for the opponent model: play them live or replay them from a log, log them, and ``train-opponent-model``.

Each game is one JSON line of ``games.jsonl``: the env, the opponent's name and seat, who started, and every move
in play order as ``[seat, move]`` (Tron's ticks give seat 0's move, then seat 1's). Replaying a line through the
rules rebuilds the boards, so a model can be retrained offline from the log alone.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import torch

from agents.common import make_env, set_torch_threads
from agents.config import apply_overrides
from agents.errors import DojoError
from agents.games.opponent import GAMES, save_opponent_model
from agents.opponent_model import GameSequence, OpponentModelConfig, OpponentPredictor, Scores
from agents.rundir import GAMES_LOG, OPPONENT_MODEL_FILE, new_run_dir
from agents.safe_files import prepare_run_dir
from envs.registry import make_bot

Policy = Callable[[np.ndarray, np.ndarray], int]
BLOCK = 10  # games per row of the accuracy table; top1_accuracy is over the last BLOCK games


def game_of(env_id: str) -> str:
    """The rules family of an env the opponent model supports; a one-line error for any other."""
    if env_id not in GAMES:
        raise DojoError(f"the opponent model plays {' and '.join(GAMES)}, not {env_id!r}")
    return GAMES[env_id]


def build_opponent(env_id: str, spec: str, rng: np.random.Generator) -> Policy:
    try:
        game_of(env_id)
        return make_bot(env_id, spec, rng)
    except ValueError as error:
        raise DojoError(str(error)) from None


def make_game_env(env_id: str, env_kwargs: dict[str, Any]) -> Any:
    """The raw env with both seats driven from outside (``opponent=None``); an illegal Connect Four move raises (a
    log that replays one is corrupt) instead of losing the game."""
    rules = {"illegal_move": "raise"} if game_of(env_id) == "connect_four" else {}
    return make_env(env_id, {**env_kwargs, **rules, "opponent": None}).unwrapped


def play_game(env: Any, env_id: str, opponent: Policy, ours: Policy, opponent_seat: int,
              predictor: OpponentPredictor) -> tuple[list[list[int]], int]:
    """One game; the predictor observes every opponent move. Returns the moves as [seat, move] and the winner."""
    moves: list[list[int]] = []
    our_seat = 1 - opponent_seat
    env.reset()
    if game_of(env_id) == "connect_four":
        terminated = False
        while not terminated:
            seat, mask = env.current_player, env.action_masks()
            move = int((opponent if seat == opponent_seat else ours)(env.observation_for(seat), mask))
            if seat == opponent_seat:
                predictor.observe(env.observation_for(our_seat), move, mask)
            moves.append([seat, move])
            terminated = env.step(move)[2]
        return moves, int(env.winner)
    while True:
        board, opponent_mask = env.observation_for(our_seat), env.action_mask_for(opponent_seat)
        opponent_move = int(opponent(env.observation_for(opponent_seat), opponent_mask))
        our_move = int(ours(board, env.action_mask_for(our_seat)))
        predictor.observe(board, opponent_move, opponent_mask)
        tick = [our_move, opponent_move] if our_seat == 0 else [opponent_move, our_move]
        moves += [[0, tick[0]], [1, tick[1]]]
        terminated, truncated = env.joint_step(*tick)[3:5]
        if terminated or truncated:
            return moves, int(env.winner)


class Scripted:
    """A policy that replays one seat's logged moves in order."""

    def __init__(self, moves: Iterable[int]) -> None:
        self.moves: Iterator[int] = iter(moves)

    def __call__(self, obs: np.ndarray, action_mask: np.ndarray) -> int:
        move = next(self.moves, None)
        if move is None:
            raise DojoError("the log's moves end before its game does (truncated or edited log?)")
        return move

    def finished(self) -> bool:
        return next(self.moves, None) is None


def game_record(env_id: str, env_kwargs: dict[str, Any], opponent: str, opponent_seat: int,
                moves: list[list[int]], winner: int) -> dict[str, Any]:
    """One games.jsonl line (as a dict)."""
    starter = "both" if game_of(env_id) == "tron" else ("opponent" if opponent_seat == 0 else "us")
    return {"env": env_id, "env_kwargs": env_kwargs, "opponent": opponent, "opponent_seat": opponent_seat,
            "starter": starter, "moves": moves, "winner": winner}


MAX_LOG_GAMES = 100_000
MAX_GAME_MOVES = 10_000  # a Tron game on the largest board is well under this
ACTIONS = {"connect_four": 7, "tron": 3}


def check_record(record: Any, where: str) -> dict[str, Any]:
    """A games.jsonl line with the fields a replay needs, each of the right type and range."""
    if not isinstance(record, dict) or not {"env", "opponent", "opponent_seat", "moves"} <= set(record):
        raise DojoError(f"{where} is not a game record (needs env, opponent, opponent_seat, moves)")
    env_id, opponent, seat = record["env"], record["opponent"], record["opponent_seat"]
    if not isinstance(env_id, str) or env_id not in GAMES:
        raise DojoError(f"{where}: env must be one of {', '.join(GAMES)}, got {str(env_id)[:60]!r}")
    if not isinstance(opponent, str) or len(opponent) > 200:
        raise DojoError(f"{where}: opponent must be a name (text)")
    if isinstance(seat, bool) or seat not in (0, 1):
        raise DojoError(f"{where}: opponent_seat must be 0 or 1, got {str(seat)[:40]}")
    if not isinstance(record.get("env_kwargs", {}), dict):
        raise DojoError(f"{where}: env_kwargs must be a mapping")
    moves = record["moves"]
    if not isinstance(moves, list) or len(moves) > MAX_GAME_MOVES:
        raise DojoError(f"{where}: moves must be a list of at most {MAX_GAME_MOVES:,} [seat, move] pairs")
    actions = ACTIONS[GAMES[env_id]]
    for pair in moves:
        if not isinstance(pair, list) or len(pair) != 2 or any(isinstance(x, bool) or not isinstance(x, int)
                                                               for x in pair) or pair[0] not in (0, 1):
            raise DojoError(f"{where}: each move must be [seat 0 or 1, move], got {str(pair)[:60]}")
        if not 0 <= pair[1] < actions:
            who = "opponent" if pair[0] == seat else "our"
            raise DojoError(f"{where}: {who} move {pair[1]} is outside 0..{actions - 1}")
    return record


def read_log(path: str | Path | list[str]) -> list[dict[str, Any]]:
    """The games of one or more games.jsonl files, every line checked for the fields a replay needs."""
    from agents.safe_files import load_json, read_text

    if isinstance(path, list):
        records = [record for one in path for record in read_log(one)]
        where = " and ".join(str(one) for one in path)
    else:
        path, where = Path(path), str(path)
        records = []
        for number, line in enumerate(read_text(path, "game log").splitlines(), start=1):
            if line.strip():
                records.append(check_record(load_json(line, f"{path}:{number}"), f"{path}:{number}"))
            if len(records) > MAX_LOG_GAMES:
                raise DojoError(f"game log {path} holds more than {MAX_LOG_GAMES:,} games")
    if not records:
        raise DojoError(f"game log {where} holds no games")
    if len({record["env"] for record in records}) > 1:
        raise DojoError(f"game log {where} mixes envs; one model learns one game")
    if len({json.dumps(record.get("env_kwargs", {}), sort_keys=True) for record in records}) > 1:
        raise DojoError(f"game log {where} mixes board settings (env_kwargs); one model reads one board")
    return records


def replay_game(env: Any, record: dict[str, Any], predictor: OpponentPredictor) -> tuple[list[list[int]], int]:
    """Play a logged game again through the rules, the predictor observing the opponent's moves."""
    seat = int(record["opponent_seat"])
    try:
        per_seat = {s: [int(move) for who, move in record["moves"] if int(who) == s] for s in (0, 1)}
        opponent, ours = Scripted(per_seat[seat]), Scripted(per_seat[1 - seat])
        result = play_game(env, record["env"], opponent, ours, seat, predictor)
    except (ValueError, TypeError, IndexError) as error:
        raise DojoError(f"a logged game does not replay: {error}") from None
    if not (opponent.finished() and ours.finished()):
        raise DojoError("a logged game has moves after its end (edited log, or other rules?)")
    return result


def train_opponent_model(args: argparse.Namespace) -> int:
    """``train-opponent-model``: play (or replay) games, learning online; print the table, save, JSON line."""
    from tqdm import tqdm

    set_torch_threads(torch.device("cpu"), 1)
    config = apply_overrides(OpponentModelConfig(), args.set or [])
    logs = [args.from_log] if isinstance(args.from_log, str) else list(args.from_log or [])
    records = read_log(logs) if logs else None
    env_id, opponent_name, games = resolve_source(args, records)
    if records is None:  # a log replays its moves: its opponent (a human in the app) need not be a built-in
        build_opponent(env_id, opponent_name, np.random.default_rng(0))  # fail fast on a bad name
    env_kwargs = dict(records[0].get("env_kwargs", {})) if records else {}
    env = make_game_env(env_id, env_kwargs)
    predictor = OpponentPredictor(env.observation_space.shape, int(env.action_space.n), config, seed=args.seed)
    run_dir = prepare_run_dir(args.run_dir if args.run_dir else new_run_dir(f"{env_id}-opponent-model"), ())
    if records and any((run_dir / GAMES_LOG).resolve() == Path(log).resolve() for log in logs):
        raise DojoError("--from-log reads the run dir's own games.jsonl; give another --run-dir")
    source = f"replaying {games} games from {' '.join(logs)}" if records else f"playing {games} games"
    print(f"Opponent model for {env_id} vs {opponent_name}: {source}; run dir {run_dir}")
    print(f"{'games':>9} {'model top-1':>12} {'baseline':>9} {'moves':>6}")
    history = [Scores()]
    sequences: list[GameSequence] = []
    printed = 0
    with (run_dir / GAMES_LOG).open("a") as log, tqdm(total=games, unit="game", leave=False, dynamic_ncols=True,
                                                      disable=args.quiet) as bar:
        for index in range(games):
            if records:
                seat = int(records[index]["opponent_seat"])
                moves, winner = replay_game(env, records[index], predictor)
            else:
                rng = np.random.default_rng([args.seed, index])
                seat = 1 - index % 2  # we take seat 0 in even games, seat 1 in odd ones
                opponent = build_opponent(env_id, opponent_name, rng)
                moves, winner = play_game(env, env_id, opponent, build_opponent(env_id, "random", rng), seat,
                                          predictor)
            sequence = predictor.finish_game()
            if sequence is not None:
                sequences.append(sequence)
            log.write(json.dumps(game_record(env_id, env_kwargs, opponent_name, seat, moves, winner)) + "\n")
            log.flush()
            history.append(dataclasses.replace(predictor.scores))
            bar.update()
            bar.set_postfix(top1=f"{predictor.accuracy:.2f}", baseline=f"{predictor.baseline_accuracy:.2f}")
            played = index + 1
            if played % BLOCK == 0 or played == games:
                row = window(history, played - printed)
                tqdm.write(f"{f'{printed + 1}-{played}':>9} {row.accuracy():>12.3f} {row.baseline_accuracy():>9.3f} "
                           f"{row.predictions:>6}")
                printed = played
    if records and config.offline_epochs:
        predictor.fit(sequences, config.offline_epochs)
    save_opponent_model(predictor, run_dir / OPPONENT_MODEL_FILE, env_id, env_kwargs, opponent_name)
    last = window(history, BLOCK)
    print(f"Saved {run_dir / OPPONENT_MODEL_FILE} and {run_dir / GAMES_LOG}")
    print(json.dumps({"top1_accuracy": round(last.accuracy(), 4),
                      "baseline_accuracy": round(last.baseline_accuracy(), 4),
                      "games": games, "env": env_id, "opponent": opponent_name,
                      "overall_top1_accuracy": round(predictor.accuracy, 4),
                      "overall_baseline_accuracy": round(predictor.baseline_accuracy, 4),
                      "predictions_last_games": last.predictions, "mode": "offline" if records else "online",
                      "run_dir": str(run_dir)}))
    return 0


def resolve_source(args: argparse.Namespace, records: list[dict[str, Any]] | None) -> tuple[str, str, int]:
    """(env id, opponent name, games to play) from the arguments, or from the log where one is given."""
    if args.games is not None and args.games < 1:
        raise DojoError(f"--games must be at least 1, got {args.games}")
    if records is None:
        if not args.env:
            raise DojoError("train-opponent-model needs --env (or --from-log games.jsonl)")
        return args.env, args.opponent or "pattern", args.games or 50
    env_id, opponent_name = records[0]["env"], records[0]["opponent"]
    if args.env and args.env != env_id:
        raise DojoError(f"--env {args.env} does not match the log's env {env_id}")
    if args.opponent and args.opponent != opponent_name:
        raise DojoError(f"--opponent {args.opponent} does not match the log's opponent {opponent_name}")
    return env_id, opponent_name, min(args.games or len(records), len(records))


def window(history: list[Scores], games: int) -> Scores:
    """The scores over the last ``games`` games, from cumulative snapshots (one per game, plus the start)."""
    end, start = history[-1], history[max(0, len(history) - 1 - games)]
    return Scores(end.predictions - start.predictions, end.correct - start.correct,
                  end.baseline_correct - start.baseline_correct)
