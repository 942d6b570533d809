"""The observation autoencoder around the agents: ``train-ae`` and the frozen encoder an agent can see through.

* ``frames``: the 64x64 RGB frames it learns from (random play, and an agent's);
* ``training``: the training loop and the held-out reconstruction error (PSNR);
* ``picture``: the originals-vs-reconstructions PNG;
* ``checkpoint``: ``ae.pt`` written and read back;
* ``encoder``: an agent's ``encoder`` setting, ``ae:PATH`` giving the frozen encoder under an MLP;
* ``command``: the ``train-ae`` command.

The networks themselves are ``nets/autoencoder.py``.
"""

from agents.autoencoder.checkpoint import AGENT_NAME, autoencoder_payload, load_autoencoder
from agents.autoencoder.frames import collect_frames, split_frames
from agents.autoencoder.training import psnr_db, reconstruction_mse, train_autoencoder

__all__ = ["AGENT_NAME", "autoencoder_payload", "collect_frames", "load_autoencoder", "psnr_db",
           "reconstruction_mse", "split_frames", "train_autoencoder"]
