"""Test-wide setup: headless pygame, one torch thread (small nets, 2-core CI)."""
import os

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")

import torch  # noqa: E402  (after the SDL settings, which must come before pygame is first imported)

# Small nets on a 2-core CI machine: a second thread only contends with the env and the other tests' work.
torch.set_num_threads(1)


import pytest  # noqa: E402


@pytest.fixture
def app():
    """A 1280x800 app window (headless), closed after the test; a test file may define its own variant."""
    from ui.app import App

    application = App(size=(1280, 800))
    yield application
    application.close()
