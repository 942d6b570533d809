"""The opponent model: an LSTM that reads the opponent's move history and the board and predicts its next move.

Plain shapes only (no gymnasium): ``board_shape`` is the planes observation's shape, ``n_actions`` the size of
the opponent's discrete move set. Recurrent state goes in and out explicitly, so a caller can step one move at
a time while playing and run whole sequences while training, with identical results.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from nets.encoders import make_encoder

LSTMState = tuple[torch.Tensor, torch.Tensor]
BOARD_ENCODERS = ("mlp", "cnn")


class OpponentLSTM(nn.Module):
    """Per step: one-hot(previous opponent move, or "none") + board encoding -> LSTM -> logits of the next move."""

    def __init__(self, board_shape: Sequence[int], n_actions: int, hidden: int = 64, encoder: str = "mlp",
                 board_features: int = 64, cnn_channels: Sequence[int] = (16, 32), dropout: float = 0.0) -> None:
        super().__init__()
        if n_actions < 1:
            raise ValueError(f"n_actions must be at least 1, got {n_actions}")
        if encoder not in BOARD_ENCODERS:
            raise ValueError(f"unknown board encoder {encoder!r}; choose one of {BOARD_ENCODERS}")
        self.board_shape = tuple(int(d) for d in board_shape)
        self.n_actions = int(n_actions)
        self.none_move = self.n_actions  # the extra one-hot slot: no previous move (the opponent's first turn)
        self.hidden = int(hidden)
        self.board_encoder = make_encoder(self.board_shape, encoder, hidden=(board_features,),
                                          cnn_channels=cnn_channels, cnn_features=board_features)
        # Dropout on the board code and the LSTM output: the board holds many details (the other player's moves)
        # that a few dozen games let the net memorise instead of the opponent's habit.
        self.dropout = nn.Dropout(dropout)
        self.lstm = nn.LSTM(self.n_actions + 1 + self.board_encoder.output_dim, self.hidden)
        self.head = nn.Linear(self.hidden, self.n_actions)

    def initial_state(self, batch: int, device: torch.device | str | None = None) -> LSTMState:
        """Zero (h, c), each (1, batch, hidden): the state at the start of a game."""
        zeros = torch.zeros(1, batch, self.hidden, device=device)
        return zeros, zeros.clone()

    def forward(self, moves: torch.Tensor, boards: torch.Tensor,
                state: LSTMState | None = None) -> tuple[torch.Tensor, LSTMState]:
        """Logits (T, B, n_actions) of the opponent's move at each step, and the state after the last step.

        ``moves``: (T, B) integer, the opponent's PREVIOUS move at each step (``none_move`` where there is none).
        ``boards``: (T, B, *board_shape), the board the opponent is about to move on.
        """
        if moves.dim() != 2:
            raise ValueError(f"moves must be (T, B), got shape {tuple(moves.shape)}")
        steps, batch = moves.shape
        if tuple(boards.shape) != (steps, batch, *self.board_shape):
            raise ValueError(f"boards must be (T, B, *{self.board_shape}) = {(steps, batch, *self.board_shape)}, "
                             f"got {tuple(boards.shape)}")
        if state is None:
            state = self.initial_state(batch, moves.device)
        move_codes = F.one_hot(moves.long(), self.n_actions + 1).float()
        board_codes = self.board_encoder(boards.reshape(steps * batch, *self.board_shape)).reshape(steps, batch, -1)
        board_codes = self.dropout(board_codes)
        outputs, new_state = self.lstm(torch.cat([move_codes, board_codes], dim=-1), state)
        return self.head(self.dropout(outputs)), new_state
