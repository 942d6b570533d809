"""bench_c4_accuracy's labelling: only the asked-for positions are solved, and the file keeps every label."""

from __future__ import annotations

import json

import numpy as np

from bench.bench_c4_accuracy import label, replay_text
from envs.connect_four.solver import Solver

LATE = "2631404143656454562566012250"  # 28 plies: solved in milliseconds
EARLY = "3333"  # 4 plies: hours; below min_ply, so never searched here


def test_label_missing_keeps_every_label_and_skips_early_positions(tmp_path) -> None:
    positions = [{"moves": EARLY, "stage": 0, "values": None}, {"moves": LATE, "stage": 2},
                 {"moves": LATE[:-1], "stage": 2}]
    out = tmp_path / "positions.json"
    label(positions, out, node_limit=None, min_ply=20)
    saved = json.loads(out.read_text())
    assert saved[0]["values"] is None and "seconds" not in saved[0]
    expected = Solver(book_path=None).move_values(replay_text(LATE))
    assert saved[1]["values"] == [None if np.isnan(value) else int(value) for value in expected]
    assert saved[2]["values"] is not None  # the last one solved reaches the file, though an early one follows it
