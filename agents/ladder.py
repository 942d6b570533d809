"""The difficulty ladder of the two-player games: level specs, the players they name, the ladder file, the Elo fit
and the human's rating.

A level spec names one player:

- a built-in bot, as ``envs.registry.make_bot`` reads it (``random``, ``minimax:4``, ``solver``, ``voronoi:50``...);
- a checkpoint with an optional search budget: ``PATH``, ``PATH@depth=N`` (a DQN agent's lookahead, its
  ``search_depth``: plies in Connect Four, joint ticks in Tron) or ``PATH@sims=N`` (an agent whose policy has
  ``with_budget(simulations)``, as AlphaZero's).

The ladder file (``assets/ladder.json``, written by ``bench/bench_ladder.py``) holds, per game, the levels from the
weakest to the strongest with the Elo the round robin measured (Bradley-Terry, maximum likelihood, anchored at one
level), the ± of each Elo, the games behind it and the command that measured it. Relative checkpoint paths in it are
relative to the repository root.

The human's rating (``runs/ratings.json``) starts at the ladder's middle level and moves after every finished game
against a rated level by the Elo rule ``R += K (score - expected)``, ``expected = 1 / (1 + 10^((L - R) / 400))``,
with ``K = 40`` for the first 10 games (a provisional rating finds its place fast) and ``K = 20`` after (FIDE's
factors for new and established players). The levels' Elos are fixed: only the human's moves.
"""

from __future__ import annotations

import dataclasses
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from agents.errors import DojoError
from agents.rundir import RUNS_DIR
from agents.safe_files import load_json, read_text, write_json
from envs import registry

ROOT = Path(__file__).resolve().parent.parent
LADDER_FILE = ROOT / "assets" / "ladder.json"
RATINGS_FILE = "ratings.json"  # under the runs folder
LADDER_FORMAT, RATINGS_FORMAT, FORMAT_VERSION = "dojo-ladder", "dojo-ratings", 1
BUDGETS = ("depth", "sims")
MAX_SPEC_CHARS, MAX_LEVELS, MAX_ELO = 300, 64, 10_000.0
ELO_SCALE = 400.0 / math.log(10.0)  # Elo points per natural-log unit of odds
PROVISIONAL_GAMES, PROVISIONAL_K, ESTABLISHED_K = 10, 40.0, 20.0
_BUDGET = re.compile(r"^(depth|sims)=(\d{1,6})$")


# ---- specs -----------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Spec:
    """A parsed level spec: a bot name, or a checkpoint path with an optional (kind, amount) search budget."""

    text: str
    bot: str | None = None
    path: str | None = None
    budget: tuple[str, int] | None = None


def is_checkpoint(text: str) -> bool:
    """Whether a spec names a checkpoint (a ``.pt`` file or a path) rather than a built-in bot."""
    head, at, budget = text.rpartition("@")
    if at and "=" in budget:
        return True  # a budget: only checkpoints take one (bots never hold an @)
    return text.endswith(".pt") or "/" in text or Path(text).is_file()


def parse_spec(env_id: str, text: Any) -> Spec:
    """``text`` as a Spec for ``env_id``; a one-line DojoError for anything that names no player (bots are built
    once here to check them)."""
    if not isinstance(text, str) or not text.strip() or len(text) > MAX_SPEC_CHARS:
        raise DojoError(f"a level spec must be a bot name or a checkpoint path (up to {MAX_SPEC_CHARS} characters), "
                        f"got {str(text)[:60]!r}")
    if not is_checkpoint(text):
        try:
            registry.make_bot(env_id, text, np.random.default_rng(0))
        except ValueError as error:
            raise DojoError(f"level {text[:60]!r}: {error}") from None
        return Spec(text, bot=text)
    path, at, budget_text = text.rpartition("@")
    if not at or "=" not in budget_text:  # no budget (a folder's name may hold an @)
        return Spec(text, path=text)
    match = _BUDGET.match(budget_text)
    if match is None or not path:
        raise DojoError(f"level {text[:60]!r}: the budget after @ must be depth=N or sims=N, e.g. agent.pt@depth=2")
    return Spec(text, path=path, budget=(match.group(1), int(match.group(2))))


def with_budget(agent: Any, budget: tuple[str, int] | None, where: str) -> Any:
    """``agent`` searching with ``budget``: ``("depth", N)`` recomposes a DQN agent's lookahead at N,
    ``("sims", N)`` asks the agent's ``with_budget(N)``; None: the agent as trained."""
    if budget is None:
        return agent
    kind, amount = budget
    if kind == "sims":
        if not hasattr(agent, "with_budget"):
            raise DojoError(f"{where}: a {agent.name} agent has no simulation budget; use @depth=N or none")
        return agent.with_budget(amount)
    from agents.games.lookahead import LookaheadPolicy, check_lookahead
    from agents.games.play import compose

    play = getattr(agent, "play", None)
    if play is None:
        raise DojoError(f"{where}: a {agent.name} agent has no lookahead to set; give the checkpoint without @depth")
    if play.opponent_model:
        raise DojoError(f"{where}: an agent with an opponent model keeps the depth it was trained with")
    check_lookahead(agent.env_id, str(agent.env_kwargs.get("obs_mode", "planes")), amount, False)
    inner = agent.inner if isinstance(agent, LookaheadPolicy) else agent
    env_kwargs = dict(agent.env_kwargs)
    composed = compose(inner, dataclasses.replace(play, search_depth=amount), agent.env_id, None)
    composed.env_kwargs = env_kwargs
    return composed


def resolve_path(path: str) -> str:
    """A checkpoint path from a spec: as given where it exists, else relative to the repository root (the ladder
    file's paths)."""
    given = Path(path)
    return str(ROOT / given if not given.exists() and not given.is_absolute() and (ROOT / given).exists()
               else given)


def load_level_agent(env_id: str, spec: Spec) -> Any:
    """The agent a checkpoint spec names, with its budget, checked to play ``env_id`` (a fresh copy every call)."""
    from agents import load_agent

    agent = load_agent(resolve_path(spec.path))
    if agent.env_id != env_id:
        raise DojoError(f"level {spec.text[:60]!r} was trained on {agent.env_id}, not {env_id}")
    return with_budget(agent, spec.budget, spec.text[:60])


class Contestant:
    """One level in the bench's games: ``start(seed)`` before each game (bots keep per-game state), then
    ``act(obs, mask)``. ``territory``: whether it reads Tron's territory planes (a bot reads the plain planes)."""

    def __init__(self, env_id: str, text: str) -> None:
        self.env_id, self.spec = env_id, parse_spec(env_id, text)
        self.name = text
        self.agent = load_level_agent(env_id, self.spec) if self.spec.path is not None else None
        kwargs = self.agent.env_kwargs if self.agent is not None else {}
        if str(kwargs.get("obs_mode", "planes")) != "planes":
            raise DojoError(f"level {text[:60]!r} sees pixels; the ladder's games give every player planes")
        if getattr(self.agent, "env_wrapper", None) is not None:
            raise DojoError(f"level {text[:60]!r} needs its own env wrapper (an opponent model); not on the ladder")
        self.territory = bool(kwargs.get("territory_plane", False))
        self._move: Any = self.agent

    def start(self, seed: int) -> None:
        if self.spec.bot is not None:
            self._move = registry.make_bot(self.env_id, self.spec.bot, np.random.default_rng(seed))

    def act(self, obs: np.ndarray, action_mask: np.ndarray) -> int:
        if self.agent is not None:
            return int(self.agent.act(obs, action_mask=action_mask))
        return int(self._move(obs, action_mask))


# ---- the Elo fit -------------------------------------------------------------------------------------------------
def fit_elo(count: int, games: dict[tuple[int, int], tuple[float, float]], anchor: int = 0,
            prior_draws: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """Bradley-Terry ratings of ``count`` players, by maximum likelihood over all games, in Elo points with
    player ``anchor`` at 0; and each rating's standard error from the likelihood's curvature (the games' counts).

    ``games[(i, j)] = (games played, points of i)`` (a win 1, a draw 1/2). ``prior_draws`` virtual drawn games per
    pair that played keep a clean sweep finite (its MLE is infinitely far) and pull such pairs together a little.
    Newton's method on the concave log-likelihood; the players must be connected by games.
    """
    played = np.zeros((count, count))
    points = np.zeros((count, count))
    for (i, j), (n, score) in games.items():
        if i == j or not (0 <= i < count and 0 <= j < count) or n < 0 or not 0 <= score <= n:
            raise ValueError(f"bad result for pair ({i}, {j}): {score} points of {n} games")
        if n == 0:
            continue
        played[i, j] += n + prior_draws
        played[j, i] += n + prior_draws
        points[i, j] += score + prior_draws / 2
        points[j, i] += n - score + prior_draws / 2
    _check_connected(played > 0)
    free = [index for index in range(count) if index != anchor]
    theta = np.zeros(count)
    for _ in range(100):
        expected = 1.0 / (1.0 + np.exp(theta[None, :] - theta[:, None]))  # P(i beats j)
        gradient = (points - played * expected).sum(axis=1)
        weight = played * expected * (1.0 - expected)
        hessian = weight - np.diag(weight.sum(axis=1))
        step = np.linalg.solve(hessian[np.ix_(free, free)], -gradient[free])
        theta[free] += step
        if np.max(np.abs(step)) < 1e-10:
            break
    expected = 1.0 / (1.0 + np.exp(theta[None, :] - theta[:, None]))
    weight = played * expected * (1.0 - expected)
    information = np.diag(weight.sum(axis=1)) - weight
    errors = np.zeros(count)
    errors[free] = np.sqrt(np.diag(np.linalg.inv(information[np.ix_(free, free)])))
    return theta * ELO_SCALE, errors * ELO_SCALE


def _check_connected(linked: np.ndarray) -> None:
    seen, todo = {0}, [0]
    while todo:
        for other in np.flatnonzero(linked[todo.pop()]):
            if int(other) not in seen:
                seen.add(int(other))
                todo.append(int(other))
    if len(seen) < len(linked):
        raise ValueError("the players are not all connected by games: their Elos cannot share one scale")


# ---- the ladder file ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Level:
    """One rung: who plays (a spec), its Elo with its ±, and how many games measured it."""

    spec: str
    elo: float
    se: float = 0.0
    games: int = 0


@dataclass(frozen=True)
class GameLadder:
    """A game's levels from the weakest to the strongest, the level its Elos are anchored at, and the command."""

    levels: tuple[Level, ...]
    anchor: str
    command: str = ""


def _number(value: Any, where: str, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
        raise DojoError(f"{where} must be a number from {low:g} to {high:g}, got {str(value)[:40]}")
    return float(value)


def _text(value: Any, where: str, limit: int = MAX_SPEC_CHARS) -> str:
    if not isinstance(value, str) or len(value) > limit:
        raise DojoError(f"{where} must be text of at most {limit} characters")
    return value


def parse_ladder(data: Any, where: str) -> dict[str, GameLadder]:
    """A ladder file's values as {env id: GameLadder}; a one-line DojoError naming ``where`` for anything else.
    Specs are checked for form here; a bot or checkpoint is built only when its level is played."""
    if not isinstance(data, dict) or data.get("format") != LADDER_FORMAT or data.get("version") != FORMAT_VERSION:
        raise DojoError(f"{where} is not a Dojo ladder file (format {LADDER_FORMAT} version {FORMAT_VERSION})")
    games = data.get("games")
    if not isinstance(games, dict):
        raise DojoError(f"{where}: 'games' must map env ids to their ladders")
    ladders = {}
    for env_id, entry in games.items():
        game = registry.game(env_id)
        if game is None or not game.two_player:
            raise DojoError(f"{where}: {str(env_id)[:40]!r} is not a two-player Dojo game")
        if not isinstance(entry, dict) or not isinstance(entry.get("levels"), list) \
                or not 1 <= len(entry["levels"]) <= MAX_LEVELS:
            raise DojoError(f"{where}: {env_id} needs a list of 1 to {MAX_LEVELS} levels")
        levels = []
        for index, level in enumerate(entry["levels"]):
            at = f"{where}: {env_id} level {index + 1}"
            if not isinstance(level, dict):
                raise DojoError(f"{at} must be an object with spec, elo, se and games")
            spec = _text(level.get("spec"), f"{at} spec")
            if not spec.strip():
                raise DojoError(f"{at} spec is empty")
            levels.append(Level(spec, _number(level.get("elo"), f"{at} elo", -MAX_ELO, MAX_ELO),
                                _number(level.get("se", 0.0), f"{at} se", 0.0, MAX_ELO),
                                int(_number(level.get("games", 0), f"{at} games", 0, 10**9))))
        if any(later.elo < earlier.elo for earlier, later in zip(levels, levels[1:])):
            raise DojoError(f"{where}: {env_id}'s levels must go from the lowest Elo to the highest")
        if len({level.spec for level in levels}) != len(levels):
            raise DojoError(f"{where}: {env_id} lists a level twice")
        ladders[env_id] = GameLadder(tuple(levels), _text(entry.get("anchor", ""), f"{where}: {env_id} anchor"),
                                     _text(entry.get("command", ""), f"{where}: {env_id} command", 2000))
    return ladders


def read_ladder(path: str | Path | None = None) -> dict[str, GameLadder]:
    """The ladder file at ``path`` (default the shipped one, LADDER_FILE), validated; {} when there is none."""
    path = LADDER_FILE if path is None else path
    if not Path(path).exists():
        return {}
    return parse_ladder(load_json(read_text(path, "ladder file", 1 << 20), f"ladder file {path}"), f"{path}")


def ladder_for(env_id: str, path: str | Path | None = None) -> GameLadder | None:
    return read_ladder(path).get(env_id)


def write_ladder(path: str | Path, env_id: str, ladder: GameLadder) -> Path:
    """Write ``env_id``'s ladder into the file at ``path`` (the other games' ladders kept), atomically."""
    current = read_ladder(path)
    current[env_id] = ladder
    data = {"format": LADDER_FORMAT, "version": FORMAT_VERSION,
            "games": {env: {"anchor": one.anchor, "command": one.command,
                            "levels": [dataclasses.asdict(level) for level in one.levels]}
                      for env, one in sorted(current.items())}}
    parse_ladder(data, str(path))
    return write_json(path, data, "ladder file")


# ---- the human's rating -------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Rating:
    elo: float
    games: int = 0


def k_factor(games: int) -> float:
    """How far one game moves a rating: more while it is provisional (see the module docstring)."""
    return PROVISIONAL_K if games < PROVISIONAL_GAMES else ESTABLISHED_K


def expected_score(rating: float, opponent: float) -> float:
    return 1.0 / (1.0 + 10.0 ** ((opponent - rating) / 400.0))


def updated(rating: Rating, opponent_elo: float, score: float) -> Rating:
    """The rating after one game scoring ``score`` (1 win, 0.5 draw, 0 loss) against a level of ``opponent_elo``."""
    if score not in (0.0, 0.5, 1.0):
        raise ValueError(f"a game scores 0, 0.5 or 1, got {score}")
    change = k_factor(rating.games) * (score - expected_score(rating.elo, opponent_elo))
    return Rating(max(-MAX_ELO, min(MAX_ELO, rating.elo + change)), rating.games + 1)


def starting_rating(ladder: GameLadder) -> Rating:
    """A newcomer's rating: the middle level's Elo."""
    return Rating(ladder.levels[len(ladder.levels) // 2].elo, 0)


def _ratings_path(runs_dir: str | Path) -> Path:
    return Path(runs_dir) / RATINGS_FILE


def read_ratings(runs_dir: str | Path = RUNS_DIR) -> dict[str, Rating]:
    """The human's ratings per game; {} when none is saved. A damaged file is a one-line DojoError."""
    path = _ratings_path(runs_dir)
    if not path.exists():
        return {}
    data = load_json(read_text(path, "ratings file", 1 << 20), f"ratings file {path}")
    if not isinstance(data, dict) or data.get("format") != RATINGS_FORMAT or not isinstance(data.get("ratings"), dict):
        raise DojoError(f"{path} is not a Dojo ratings file (format {RATINGS_FORMAT})")
    ratings = {}
    for env_id, entry in data["ratings"].items():
        if registry.game(env_id) is None or not isinstance(entry, dict):
            raise DojoError(f"{path}: {str(env_id)[:40]!r} is not a Dojo game with a rating")
        ratings[env_id] = Rating(_number(entry.get("elo"), f"{path}: {env_id} elo", -MAX_ELO, MAX_ELO),
                                 int(_number(entry.get("games"), f"{path}: {env_id} games", 0, 10**9)))
    return ratings


def rating_of(env_id: str, ladder: GameLadder, runs_dir: str | Path = RUNS_DIR) -> Rating:
    """The human's saved rating for ``env_id``, else a newcomer's."""
    return read_ratings(runs_dir).get(env_id) or starting_rating(ladder)


def record_game(env_id: str, ladder: GameLadder, opponent_elo: float, score: float,
                runs_dir: str | Path = RUNS_DIR) -> Rating:
    """Update and save (atomically) the human's rating after one game; the new rating."""
    ratings = read_ratings(runs_dir)
    rating = updated(ratings.get(env_id) or starting_rating(ladder), opponent_elo, score)
    ratings[env_id] = rating
    write_json(_ratings_path(runs_dir), {"format": RATINGS_FORMAT, "version": FORMAT_VERSION,
                                         "ratings": {env: dataclasses.asdict(one) for env, one in ratings.items()}},
               "ratings file")
    return rating
