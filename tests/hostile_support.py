"""What the hostile-input tests share: a small but complete checkpoint, and the one-line-error check."""

from pathlib import Path

from agents.trainer import Trainer

SMALL = ["learning_starts=50", "hidden=16,16", "buffer_size=500"]
C4 = "dojo/ConnectFour-v0"
ALPHAZERO_TINY = ["games=4", "simulations=8", "fast_simulations=4", "eval_simulations=4", "channels=8", "blocks=1",
                  "value_hidden=8", "min_replay=32", "train_interval=32", "batch_size=32", "replay_size=1000",
                  "play_simulations=8"]


def train_good_checkpoint(run_dir: Path) -> Path:
    """A small CartPole DQN run: its last.pt holds everything a checkpoint can (replay, RNGs, the episode in
    flight, the trainer's history)."""
    Trainer("dqn", "CartPole-v1", steps=150, run_dir=run_dir, device="cpu", overrides=SMALL, eval_every=150,
            eval_episodes=2).run(progress=False)
    return run_dir / "checkpoints" / "last.pt"


def train_good_alphazero_checkpoint(run_dir: Path) -> Path:
    """A tiny Connect Four AlphaZero run: its last.pt holds replay, games in flight with their search trees, the
    optimizer and the RNGs."""
    Trainer("alphazero", C4, steps=120, run_dir=run_dir, device="cpu", overrides=ALPHAZERO_TINY, eval_every=120,
            eval_episodes=2).run(progress=False)
    return run_dir / "checkpoints" / "last.pt"


def one_line_error(capsys) -> str:
    """What the command printed on stderr: one line, no traceback."""
    err = capsys.readouterr().err.strip()
    assert "Traceback" not in err, err
    assert len(err.splitlines()) == 1, err
    return err
