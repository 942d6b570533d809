"""What an alphazero checkpoint must hold beyond every agent's part, checked whole before anything is built from it.

agents/validation.py checks what all agents share (schema, counters, RNG states, the network on the meta device)
and then calls :func:`check_checkpoint` (the agent module's ``check_learner``): the spaces against the game, the
optimizer, the replay's sizes against ``replay_size``, and the games in flight: their moves replayed on the
game's engine (no tensors), their recorded positions, and their search trees' tables, whose size is bounded by the
simulations the game's moves can have run, so a file cannot make resuming build millions of tree nodes.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch

from agents.alphazero_policy import GAMES, AlphaZeroConfig, Game
from agents.validation import Checker, check_optimizer

TREE_TABLES = ("actions", "priors", "visits", "value_sums", "children", "node_visits", "node_values")
MAX_MOVERS = 2  # Tron's two seats move at once


def check_checkpoint(check: Checker, data: dict[str, Any], config: AlphaZeroConfig, resumable: bool) -> None:
    """Refuse (DojoError, one line) an alphazero file whose learner state does not fit its game and config."""
    game = GAMES.get(data["env_id"])
    if game is None:
        raise check.fail("env_id", f"must be one of {', '.join(GAMES)} for alphazero")
    try:
        start = game.new(data["env_kwargs"])
    except (TypeError, ValueError) as error:
        raise check.fail("env_kwargs", f"do not make a game ({error})") from None
    planes_shape = tuple(start.planes(0).shape)
    spaces = data["spaces"]
    if tuple(spaces["observation"].get("shape") or ()) != planes_shape:
        raise check.fail("spaces.observation.shape", f"must be the game's planes {planes_shape}")
    if spaces["action"].get("n") != game.n_actions:
        raise check.fail("spaces.action.n", f"must be the game's {game.n_actions} actions")
    learner = data.get("learner", {})
    if "optimizer" in learner:
        check_optimizer(check, learner["optimizer"], "learner.optimizer")
    for name in ("stats", "search_stats"):
        for key, value in check.dict(learner.get(name, {}), f"learner.{name}").items():
            check.text(key, f"learner.{name} key", 64)
            check.number(value, f"learner.{name}.{key}", finite=False)
    packed = (math.prod(planes_shape) + 7) // 8
    if "replay" in learner:
        check_replay(check, learner["replay"], config, packed, game.n_actions)
    if "games" in learner:
        for index, saved in enumerate(check.list(learner["games"], "learner.games", config.games)):
            check_game(check, saved, f"learner.games[{index}]", game, start, config, packed)


def check_replay(check: Checker, replay: Any, config: AlphaZeroConfig, packed: int, n_actions: int) -> None:
    where = "learner.replay"
    replay = check.dict(replay, where, ("position", "size", "capacity", "planes", "policies", "values"))
    capacity = check.int(replay["capacity"], f"{where}.capacity", 1, config.replay_size)
    if capacity != config.replay_size:
        raise check.fail(f"{where}.capacity", f"must be the config's replay_size {config.replay_size:,}")
    size = check.int(replay["size"], f"{where}.size", 0, capacity)
    check.int(replay["position"], f"{where}.position", 0, capacity - 1)
    shapes = {"planes": ((size, packed), torch.uint8), "policies": ((size, n_actions), torch.float32),
              "values": ((size,), torch.float32)}
    for name, (shape, dtype) in shapes.items():
        tensor = check.tensor(replay[name], f"{where}.{name}", dtype=dtype)
        if tuple(tensor.shape) != shape:
            raise check.fail(f"{where}.{name}", f"must have shape {shape} (the replay's size is {size:,})")


def check_game(check: Checker, saved: Any, where: str, game: Game, start: Any, config: AlphaZeroConfig,
               packed: int) -> None:
    """A game in flight: legal moves from the start, not over yet; its records and its tree."""
    saved = check.dict(saved, where, ("moves", "tree", "records"))
    engine = start.copy()
    moves = check.list(saved["moves"], f"{where}.moves", 100_000)
    for move in moves:
        if engine.is_over():
            raise check.fail(f"{where}.moves", "go on after the game ended")
        movers = engine.movers()
        move = check.list(move, f"{where}.moves", len(movers))
        if len(move) != len(movers):
            raise check.fail(f"{where}.moves", f"must give one action per mover ({len(movers)})")
        for seat, action in zip(movers, move):
            check.int(action, f"{where}.moves", 0, game.n_actions - 1)
            if not engine.legal_actions(seat)[action]:
                raise check.fail(f"{where}.moves", f"hold an illegal move {action}")
        engine.apply([int(action) for action in move])
    if engine.is_over():
        raise check.fail(f"{where}.moves", "end the game: a finished game is not in flight")
    for record in check.list(saved["records"], f"{where}.records", MAX_MOVERS * len(moves)):
        record = check.dict(record, f"{where}.records", ("planes", "policy", "seat", "value"))
        planes = check.tensor(record["planes"], f"{where}.records.planes", dtype=torch.uint8)
        policy = check.tensor(record["policy"], f"{where}.records.policy", dtype=torch.float32)
        if tuple(planes.shape) != (packed,) or tuple(policy.shape) != (game.n_actions,):
            raise check.fail(f"{where}.records", f"must hold {packed} packed bytes and {game.n_actions} visit shares")
        if bool((policy < 0).any()):
            raise check.fail(f"{where}.records.policy", "must be visit shares (not negative)")
        check.int(record["seat"], f"{where}.records.seat", 0, 1)
        if not -1.0 <= check.number(record["value"], f"{where}.records.value") <= 1.0:
            raise check.fail(f"{where}.records.value", "must be a value in [-1, 1]")
    # Each move's search adds at most its budget of nodes to the tree (a reused subtree holds earlier ones).
    most_nodes = (len(moves) + 1) * max(config.simulations, config.fast_simulations) + 1
    check_tree(check, saved["tree"], f"{where}.tree", game.n_actions, most_nodes)


def check_tree(check: Checker, tree: Any, where: str, n_actions: int, most_nodes: int) -> None:
    """A search tree's tables (agents/mcts.py ``Tree.state_dict``): one entry per node, each consistent."""
    tree = check.dict(tree, where, TREE_TABLES)
    count = len(check.list(tree["node_visits"], f"{where}.node_visits", most_nodes))
    if count < 1:
        raise check.fail(f"{where}.node_visits", "must hold the root")
    for name in TREE_TABLES:
        if len(check.list(tree[name], f"{where}.{name}", most_nodes)) != count:
            raise check.fail(f"{where}.{name}", f"must hold {count:,} nodes, as node_visits does")
    for node in range(count):
        check.int(tree["node_visits"][node], f"{where}.node_visits", 0)
        check.number(tree["node_values"][node], f"{where}.node_values")
        actions = tree["actions"][node]
        rest = [tree[name][node] for name in ("priors", "visits", "value_sums", "children")]
        if actions is None:
            if any(entry is not None for entry in rest):
                raise check.fail(f"{where}", f"node {node} has statistics but no actions")
            continue
        rows = check.list(actions, f"{where}.actions", MAX_MOVERS)
        widths = [len(check.list(row, f"{where}.actions", n_actions)) for row in rows]
        if not rows or 0 in widths:
            raise check.fail(f"{where}.actions", f"node {node} must give each mover its actions")
        for row in rows:
            for action in row:
                check.int(action, f"{where}.actions", 0, n_actions - 1)
        for name, table in zip(("priors", "visits", "value_sums"), rest):
            table = check.list(table, f"{where}.{name}", MAX_MOVERS)
            if [len(check.list(row, f"{where}.{name}", n_actions)) for row in table] != widths:
                raise check.fail(f"{where}.{name}", f"node {node} must match its actions")
            for row in table:
                for value in row:
                    if name == "visits":
                        check.int(value, f"{where}.visits", 0)
                    else:
                        check.number(value, f"{where}.{name}")
        children = check.list(rest[3], f"{where}.children", int(np.prod(widths)))
        if len(children) != int(np.prod(widths)):
            raise check.fail(f"{where}.children", f"node {node} must have one slot per joint action")
        for child in children:
            check.int(child, f"{where}.children", -1, count - 1)
            if 0 <= child <= node:
                raise check.fail(f"{where}.children", "must be made after their parents (a damaged tree)")
