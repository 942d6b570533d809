"""Opponent model: predicts the opponent's next move while playing, learns online after each game.

Use while playing::

    predictor.reset()                                  # a game starts
    probs = predictor.predict(board, opponent_mask)    # (n_actions,) before the opponent moves; state unchanged
    predictor.observe(board, opponent_move, opponent_mask)  # after it moved: scores, advances the LSTM state
    predictor.finish_game()                            # the game ends: a few gradient steps (truncated BPTT)

``board`` is the planes observation from the PREDICTING player's point of view, taken when the opponent is about
to move. ``predict`` is a pure function of the game so far, so an agent can append its probabilities to its
features and a UI can draw them; ``accuracy`` and ``baseline_accuracy`` are the running top-1 scores.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from agents.common import generator_state, restore_generator
from agents.config import build_config, config_to_dict
from agents.errors import DojoError
from nets.opponent_model import LSTMState, OpponentLSTM

AGENT_NAME = "opponent_model"
ILLEGAL_LOGIT = -1e9  # masked-out moves: finite, so a fully masked row stays NaN-free


@dataclass
class OpponentModelConfig:
    """Hyperparameters of the opponent model and its online training; every field can be set with --set."""

    hidden: int = 64
    """LSTM hidden size."""
    encoder: str = "mlp"
    """Board encoder: mlp (one hidden layer) or cnn (the shared CNNEncoder)."""
    board_features: int = 16
    """Width of the board encoding fed to the LSTM."""
    cnn_channels: tuple[int, ...] = (16, 32)
    """CNN channels per conv layer (encoder=cnn)."""
    dropout: float = 0.3
    """Dropout on the board code and the LSTM output while training."""
    learning_rate: float = 3e-3
    """Adam step size."""
    weight_decay: float = 0.0
    """AdamW decoupled weight decay."""
    updates_per_game: int = 12
    """Gradient passes over a batch after each game."""
    replay_games: int = 15
    """Recent games mixed into each batch next to the game just played."""
    replay_capacity: int = 200
    """How many recent games the replay keeps."""
    bptt_steps: int = 32
    """Truncated BPTT window: gradients flow back at most this many opponent moves."""
    max_grad_norm: float = 1.0
    """Gradient-norm clip."""
    offline_epochs: int = 10
    """Extra passes over a whole log after replaying it (offline training only)."""

    def __post_init__(self) -> None:
        for name in ("hidden", "board_features", "updates_per_game", "replay_capacity", "bptt_steps"):
            if getattr(self, name) < 1:
                raise DojoError(f"{name} must be at least 1, got {getattr(self, name)}")
        for name in ("replay_games", "offline_epochs"):
            if getattr(self, name) < 0:
                raise DojoError(f"{name} must be at least 0, got {getattr(self, name)}")
        if self.learning_rate <= 0 or self.max_grad_norm <= 0:
            raise DojoError("learning_rate and max_grad_norm must be positive")
        if self.encoder not in ("mlp", "cnn"):
            raise DojoError(f"unknown encoder {self.encoder!r}; choose mlp or cnn")


@dataclass
class GameSequence:
    """One game from the model's side: the boards the opponent moved on, its moves, and its legal moves."""

    boards: np.ndarray
    """(T, *board_shape) uint8, the predicting player's view before each opponent move."""
    moves: np.ndarray
    """(T,) int64, the opponent's moves."""
    masks: np.ndarray
    """(T, n_actions) bool, the opponent's legal moves (all True where unknown)."""


class FrequencyBaseline:
    """Predicts the opponent's most frequent legal move so far after the same previous move (else overall)."""

    def __init__(self, n_actions: int) -> None:
        self.n_actions = n_actions
        # Row n_actions is the "no previous move" context (the opponent's first move of a game).
        self.counts = np.zeros((n_actions + 1, n_actions), dtype=np.float64)

    def predict(self, previous_move: int, mask: np.ndarray) -> int:
        context = self.counts[previous_move]
        scores = context if context.sum() > 0 else self.counts.sum(axis=0)
        return int(np.argmax(np.where(mask, scores, -1.0)))

    def update(self, previous_move: int, move: int) -> None:
        self.counts[previous_move, move] += 1

    def probabilities(self, previous_move: int, mask: np.ndarray, smoothing: float = 0.5) -> np.ndarray:
        """The same counts as a distribution over the legal moves (its most likely move is ``predict``'s)."""
        context = self.counts[previous_move]
        scores = context if context.sum() > 0 else self.counts.sum(axis=0)
        weights = np.where(mask, scores + smoothing, 0.0)
        total = weights.sum()
        return weights / total if total > 0 else np.full(self.n_actions, 1.0 / self.n_actions)


class ExpertMix:
    """How much to trust the LSTM over the frequency baseline: Bayesian weights from how well each predicted the
    recent moves (the difference of their log-likelihoods, forgetting old moves), so the shown prediction follows
    whichever is ahead.

    Why: a fresh LSTM needs several games to beat "you usually go straight"; until it does, the blend is the
    baseline, and as soon as the model predicts better, it takes over (bench/bench_opponent_model.py).
    """

    DECAY = 0.97  # per move: about the last 30 moves decide
    SCALE = 1_000_000  # saved as whole micro-nats (checkpoint counters are non-negative ints)

    def __init__(self, lead: float = 0.0) -> None:
        self.lead = lead  # log-likelihood of the model's recent guesses minus the baseline's

    @property
    def model_weight(self) -> float:
        return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, self.lead))))

    def blend(self, model: np.ndarray, baseline: np.ndarray) -> np.ndarray:
        weight = self.model_weight
        return weight * model + (1.0 - weight) * baseline

    def update(self, model_probability: float, baseline_probability: float) -> None:
        self.lead = self.DECAY * self.lead + math.log(max(model_probability, 1e-6)) \
            - math.log(max(baseline_probability, 1e-6))

    def counters(self) -> dict[str, int]:
        micro = round(self.lead * self.SCALE)
        return {"mix_model_ahead": max(micro, 0), "mix_baseline_ahead": max(-micro, 0)}

    @classmethod
    def from_counters(cls, counters: dict[str, int]) -> ExpertMix:
        return cls((counters.get("mix_model_ahead", 0) - counters.get("mix_baseline_ahead", 0)) / cls.SCALE)


@dataclass
class Scores:
    """Prediction counts: the shown prediction's (the model blended with the baseline, ``ExpertMix``) and the
    baseline's correct top-1 guesses out of ``predictions``."""

    predictions: int = 0
    correct: int = 0
    baseline_correct: int = 0

    def accuracy(self) -> float:
        return self.correct / self.predictions if self.predictions else 0.0

    def baseline_accuracy(self) -> float:
        return self.baseline_correct / self.predictions if self.predictions else 0.0


@dataclass
class _Pending:
    """The step computed by predict(), reused by the observe() that follows for the same board and mask."""

    board: np.ndarray
    mask: np.ndarray
    probabilities: np.ndarray  # the blend: what predict() returns
    model: np.ndarray  # the LSTM's own
    baseline: np.ndarray  # the frequency baseline's
    state: LSTMState


class OpponentPredictor:
    """Runs an OpponentLSTM move by move during a game, scores it against a frequency baseline, learns online."""

    def __init__(self, board_shape: tuple[int, ...], n_actions: int, config: OpponentModelConfig | None = None,
                 seed: int = 0) -> None:
        self.config = config or OpponentModelConfig()
        with torch.random.fork_rng(devices=[]):  # seeded weights without touching the caller's global RNG
            torch.manual_seed(seed)
            self.model = OpponentLSTM(board_shape, n_actions, hidden=self.config.hidden,
                                      encoder=self.config.encoder, board_features=self.config.board_features,
                                      cnn_channels=self.config.cnn_channels, dropout=self.config.dropout)
        self.model.eval()  # dropout only while training
        self.board_shape = self.model.board_shape
        self.n_actions = n_actions
        self.optimizer = torch.optim.AdamW(self.model.parameters(), lr=self.config.learning_rate,
                                           weight_decay=self.config.weight_decay)
        self.baseline = FrequencyBaseline(n_actions)
        self.mix = ExpertMix()
        self.scores = Scores()
        self.games = 0
        self.replay: list[GameSequence] = []
        self.rng = np.random.default_rng(seed)
        self.reset()

    # ----- playing ---------------------------------------------------------------------------------------
    def reset(self) -> None:
        """A new game starts: fresh LSTM state, no previous move, an empty game record."""
        self.state = self.model.initial_state(1)
        self.previous_move = self.model.none_move
        self.pending: _Pending | None = None
        self.record: dict[str, list[np.ndarray]] = {"boards": [], "moves": [], "masks": []}
        # What a checkpoint saves: the counts as the game started, so a game replayed after loading (an agent's
        # resume replays its episode in flight) is not counted twice.
        self._start_scores = dataclasses.replace(self.scores)
        self._start_counts = self.baseline.counts.copy()
        self._start_mix = ExpertMix(self.mix.lead)

    @property
    def accuracy(self) -> float:
        """Running top-1 accuracy of the model over every observed opponent move."""
        return self.scores.accuracy()

    @property
    def baseline_accuracy(self) -> float:
        """Running top-1 accuracy of the frequency baseline over the same moves."""
        return self.scores.baseline_accuracy()

    def predict(self, board_obs: np.ndarray, action_mask: np.ndarray | None = None) -> np.ndarray:
        """Probabilities (n_actions,) of the opponent's next move, zero outside ``action_mask``; state unchanged.

        The LSTM's guess blended with the frequency baseline's by how well each predicted lately (``ExpertMix``)."""
        board, mask = self._check_inputs(board_obs, action_mask)
        pending = self.pending
        if pending is not None and np.array_equal(pending.board, board) and np.array_equal(pending.mask, mask):
            return pending.probabilities.copy()
        with torch.no_grad():
            moves = torch.tensor([[self.previous_move]])
            logits, state = self.model(moves, torch.as_tensor(board)[None, None], self.state)
            logits = logits[0, 0].masked_fill(~torch.as_tensor(mask), ILLEGAL_LOGIT)
            model = torch.softmax(logits, dim=-1).numpy().astype(np.float64)
        baseline = self.baseline.probabilities(self.previous_move, mask)
        probabilities = self.mix.blend(model, baseline)
        self.pending = _Pending(board, mask, probabilities, model, baseline, state)
        return probabilities.copy()

    def rollout(self, board_obs: np.ndarray, action_mask: np.ndarray | None, moves: int,
                advance: Callable[[np.ndarray, int], tuple[np.ndarray, np.ndarray] | None]) -> list[int]:
        """The opponent's most likely next ``moves`` moves, as if nothing else changed the board; state unchanged.

        Each predicted move is played by ``advance(board, move)``, which returns the next board and the opponent's
        legal moves on it, or None where that move ends its game (the line stops there, that move included).
        """
        board, mask = self._check_inputs(board_obs, action_mask)
        state, previous = self.state, self.previous_move
        line: list[int] = []
        with torch.no_grad():
            for _ in range(moves):
                logits, state = self.model(torch.tensor([[previous]]), torch.as_tensor(board)[None, None], state)
                move = int(logits[0, 0].masked_fill(~torch.as_tensor(mask), ILLEGAL_LOGIT).argmax())
                line.append(move)
                following = advance(board, move)
                if following is None:
                    break
                board, mask = following
                if not mask.any():
                    mask = np.ones(self.n_actions, dtype=bool)  # as _check_inputs: no legal move known
                previous = move
        return line

    def observe(self, board_obs: np.ndarray, opponent_move: int, action_mask: np.ndarray | None = None) -> bool:
        """The opponent played ``opponent_move`` on ``board_obs``: score both predictors, advance the state.

        Returns whether the LSTM's own top-1 prediction was right (``scores`` count the blend's).
        """
        move = int(opponent_move)
        if not 0 <= move < self.n_actions:
            raise DojoError(f"opponent move {opponent_move!r} is outside 0..{self.n_actions - 1}")
        probabilities = self.predict(board_obs, action_mask)
        pending = self.pending
        hit = int(np.argmax(pending.model)) == move
        self.scores.predictions += 1
        self.scores.correct += int(np.argmax(probabilities)) == move  # what the screen shows: the blend
        self.scores.baseline_correct += self.baseline.predict(self.previous_move, pending.mask) == move
        self.baseline.update(self.previous_move, move)
        self.mix.update(float(pending.model[move]), float(pending.baseline[move]))
        self.record["boards"].append(pending.board)
        self.record["moves"].append(np.int64(move))
        self.record["masks"].append(pending.mask)
        self.state, self.previous_move, self.pending = pending.state, move, None
        return hit

    def finish_game(self, learn: bool = True) -> GameSequence | None:
        """The game ended: store it in the replay and (``learn``) take the online gradient steps; then reset()."""
        sequence = None
        if self.record["moves"]:
            sequence = GameSequence(np.stack(self.record["boards"]), np.array(self.record["moves"], dtype=np.int64),
                                    np.stack(self.record["masks"]))
            self.replay.append(sequence)
            del self.replay[:-self.config.replay_capacity]
            if learn:
                for _ in range(self.config.updates_per_game):
                    self.train_batch([sequence, *self._sample_replay(exclude_last=True)])
        self.games += 1
        self.reset()
        return sequence

    # ----- learning --------------------------------------------------------------------------------------
    def fit(self, sequences: list[GameSequence], epochs: int) -> None:
        """Offline training: ``epochs`` shuffled passes over ``sequences`` in batches of replay_games + 1."""
        batch_size = self.config.replay_games + 1
        for _ in range(epochs):
            order = self.rng.permutation(len(sequences))
            for start in range(0, len(order), batch_size):
                self.train_batch([sequences[i] for i in order[start:start + batch_size]])

    def train_batch(self, sequences: list[GameSequence]) -> float:
        """One pass of truncated BPTT over a padded batch of games; returns the mean loss over its windows."""
        moves, boards, targets, masks = self._batch_tensors(sequences)
        state = self.model.initial_state(len(sequences))
        losses = []
        self.model.train()
        for start in range(0, targets.shape[0], self.config.bptt_steps):
            window = slice(start, start + self.config.bptt_steps)
            logits, state = self.model(moves[window], boards[window], state)
            valid = targets[window] >= 0
            if valid.any():
                logits = logits.masked_fill(~masks[window], ILLEGAL_LOGIT)
                loss = F.cross_entropy(logits[valid], targets[window][valid])
                self.optimizer.zero_grad(set_to_none=True)
                loss.backward()
                nn.utils.clip_grad_norm_(self.model.parameters(), self.config.max_grad_norm)
                self.optimizer.step()
                losses.append(loss.item())
            # Truncation: the next window starts from this state's value, without gradients into the past.
            state = (state[0].detach(), state[1].detach())
        self.model.eval()
        return float(np.mean(losses)) if losses else 0.0

    def _sample_replay(self, exclude_last: bool) -> list[GameSequence]:
        pool = self.replay[:-1] if exclude_last else self.replay
        count = min(self.config.replay_games, len(pool))
        return [pool[i] for i in self.rng.choice(len(pool), size=count, replace=False)]

    def _batch_tensors(self, sequences: list[GameSequence]) -> tuple[torch.Tensor, ...]:
        """Time-major padded tensors: previous moves, boards, targets (-1 = padding) and legal-move masks."""
        steps, batch = max(len(seq.moves) for seq in sequences), len(sequences)
        moves = np.full((steps, batch), self.model.none_move, dtype=np.int64)
        boards = np.zeros((steps, batch, *self.board_shape), dtype=np.uint8)
        targets = np.full((steps, batch), -1, dtype=np.int64)
        masks = np.ones((steps, batch, self.n_actions), dtype=bool)
        for column, seq in enumerate(sequences):
            length = len(seq.moves)
            moves[1:length, column] = seq.moves[:-1]
            boards[:length, column] = seq.boards
            targets[:length, column] = seq.moves
            masks[:length, column] = seq.masks
        return tuple(torch.as_tensor(array) for array in (moves, boards, targets, masks))

    def _check_inputs(self, board_obs: np.ndarray, action_mask: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        board = np.asarray(board_obs)
        if board.shape != self.board_shape:
            raise DojoError(f"board observation has shape {board.shape}; this model reads {self.board_shape}")
        if action_mask is None:
            return board.copy(), np.ones(self.n_actions, dtype=bool)
        mask = np.asarray(action_mask, dtype=bool)
        if mask.shape != (self.n_actions,):
            raise DojoError(f"action mask has shape {mask.shape}; expected ({self.n_actions},)")
        if not mask.any():
            mask = np.ones(self.n_actions, dtype=bool)  # no legal move known: fall back to all of them
        return board.copy(), mask.copy()

    # ----- checkpoints -----------------------------------------------------------------------------------
    def state_dict(self, include_replay: bool = True) -> dict[str, Any]:
        """Everything between games as tensors and plain values, for an agent's checkpoint: weights, optimizer,
        baseline, scores, RNG, and with ``include_replay`` the recent games. A game in flight is left out."""
        state: dict[str, Any] = {
            "board_shape": list(self.board_shape), "n_actions": self.n_actions,
            "config": config_to_dict(self.config), "model": self.model.state_dict(),
            "optimizer": self.optimizer.state_dict(), "baseline_counts": torch.as_tensor(self._start_counts),
            "counters": {"games": self.games, "predictions": self._start_scores.predictions,
                         "correct": self._start_scores.correct,
                         "baseline_correct": self._start_scores.baseline_correct, **self._start_mix.counters()},
            "rng": generator_state(self.rng),
        }
        if include_replay and self.replay:
            # One array per field instead of three per game: a few large tensors save and load much faster.
            state["replay"] = {"lengths": torch.as_tensor([len(seq.moves) for seq in self.replay]),
                               "boards": torch.as_tensor(np.concatenate([seq.boards for seq in self.replay])),
                               "moves": torch.as_tensor(np.concatenate([seq.moves for seq in self.replay])),
                               "masks": torch.as_tensor(np.concatenate([seq.masks for seq in self.replay]))}
        return state

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore what ``state_dict`` (or an ``opponent_model.pt``) holds; the parts it lacks stay as they are."""
        self.model.load_state_dict(state["model"])
        self.baseline.counts = state["baseline_counts"].numpy().astype(np.float64)
        counters = state["counters"]
        self.games = int(counters["games"])
        self.scores = Scores(int(counters["predictions"]), int(counters["correct"]), int(counters["baseline_correct"]))
        self.mix = ExpertMix.from_counters(counters)
        if "optimizer" in state:
            self.optimizer.load_state_dict(state["optimizer"])
        if "rng" in state:
            self.rng = restore_generator(state["rng"])
        if "replay" in state:
            fields = [state["replay"][name].numpy() for name in ("boards", "moves", "masks")]
            lengths = state["replay"]["lengths"].tolist()
            ends = np.cumsum(lengths)
            self.replay = [GameSequence(*(array[end - length:end] for array in fields))
                           for end, length in zip(ends, lengths)]
        self.reset()

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> OpponentPredictor:
        """A predictor rebuilt from ``state_dict()`` alone (its config and shapes included)."""
        predictor = cls(tuple(state["board_shape"]), int(state["n_actions"]),
                        build_config(OpponentModelConfig, state["config"]))
        predictor.load_state_dict(state)
        return predictor

    def frozen_copy(self) -> OpponentPredictor:
        """This predictor's weights and config with a game state of its own, for playing without learning."""
        copy = OpponentPredictor(self.board_shape, self.n_actions, self.config)
        copy.model.load_state_dict(self.model.state_dict())
        return copy
