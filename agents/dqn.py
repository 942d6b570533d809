"""Double DQN with a target network, Huber loss, gradient clipping and a linear epsilon schedule.

Options: dueling head, n-step returns, hard or Polyak target updates, ``train_freq`` / ``gradient_steps``.
Time-limit truncation is not termination: a truncated transition still bootstraps from its next state.
Action masks (from ``info["action_mask"]``) restrict exploration, the greedy choice and the target's max.
In Dojo's games a ``Play`` (agents/games: league, lookahead, opponent model) can be composed around the learner:
it wraps the training env and the acting policy; this file knows it only through those hooks.
"""

from __future__ import annotations

import copy
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from agents.autoencoder.encoder import build_encoder
from agents.common import (
    StepHook,
    action_mask_of,
    check_buffer_size,
    close_env,
    describe_spaces,
    episode_seed,
    generator_state,
    make_adam,
    make_env,
    mask_tensor,
    preprocess,
    preprocess_batch,
    report_reset,
    report_step,
    restore_generator,
)
from agents.errors import DojoError
from agents.replay import ReplayBuffer
from nets import FrozenLatentFeatures, QHead


@dataclass
class DQNConfig:
    """Hyperparameters of DQN; every field can be set with ``--set key=value``."""

    learning_rate: float = 1e-3
    """Adam step size."""
    buffer_size: int = 100_000
    """Replay buffer capacity in transitions."""
    batch_size: int = 64
    """Transitions per gradient step."""
    gamma: float = 0.99
    """Discount factor."""
    learning_starts: int = 1_000
    """Env steps of pure exploration before the first update."""
    train_freq: int = 4
    """Env steps between training phases."""
    gradient_steps: int = 1
    """Gradient steps per training phase."""
    target_update_interval: int = 500
    """Env steps between hard target-network copies (used when tau == 1)."""
    tau: float = 1.0
    """Polyak coefficient; 1.0 means hard copies every target_update_interval steps."""
    epsilon_start: float = 1.0
    """Exploration rate at the first step."""
    epsilon_end: float = 0.05
    """Exploration rate after the decay."""
    epsilon_decay_steps: int = 10_000
    """Env steps over which epsilon falls linearly."""
    max_grad_norm: float = 10.0
    """Gradient-norm clip."""
    double: bool = True
    """Double DQN: the online net picks the next action, the target net values it."""
    dueling: bool = False
    """Dueling head (separate value and advantage streams)."""
    n_step: int = 1
    """Steps of real reward before bootstrapping."""
    encoder: str = "auto"
    """auto (CNN for grids and images, MLP for vectors), mlp, cnn or ae:PATH (frozen train-ae encoder + MLP)."""
    hidden: tuple[int, ...] = (256, 256)
    """MLP layer widths."""
    cnn_channels: tuple[int, ...] = (32, 64, 64)
    """CNN channels per conv layer."""
    cnn_features: int = 256
    """Width of the CNN's output layer."""
    torch_threads: int = 1
    """CPU threads for torch (small nets are fastest on one)."""


class QNetwork(nn.Module):
    """Encoder + Q head."""

    def __init__(self, spaces: dict[str, Any], config: DQNConfig) -> None:
        super().__init__()
        self.encoder = build_encoder(spaces, config.encoder, config.hidden, "relu", config.cnn_channels,
                                     config.cnn_features)
        self.head = QHead(self.encoder.output_dim, int(spaces["action"]["n"]), config.dueling)

    def forward(self, obs: torch.Tensor) -> torch.Tensor:
        return self.head(self.encoder(obs))

    @property
    def frozen_codes(self) -> Callable[[torch.Tensor], torch.Tensor] | None:
        """Frames -> codes of the frozen ``train-ae`` encoder of ``encoder=ae:PATH`` (else None): the codes never
        change, so the learner can store codes instead of frames and skip the convs in every update."""
        return self.encoder.encoder if isinstance(self.encoder, FrozenLatentFeatures) else None

    def from_codes(self, codes: torch.Tensor) -> torch.Tensor:
        """Q-values from the frozen encoder's codes (only with ``encoder=ae:PATH``)."""
        return self.head(self.encoder.mlp(codes))


def masked(q_values: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
    return q_values if mask is None else q_values.masked_fill(~mask, float("-inf"))


class DQNPolicy:
    """The greedy policy of a trained Q-network: what ``load_agent`` returns for a DQN checkpoint (with its
    lookahead and opponent model composed around it where it has them: agents/games/play.py)."""

    name = "dqn"

    def __init__(self, net: QNetwork, spaces: dict[str, Any], env_id: str, env_kwargs: dict[str, Any],
                 config: DQNConfig, device: torch.device) -> None:
        self.net, self.spaces, self.env_id, self.env_kwargs = net, spaces, env_id, env_kwargs
        self.config, self.device = config, device

    @torch.inference_mode()
    def _q(self, obs: Any, action_mask: np.ndarray | None, one: bool) -> torch.Tensor:
        """Masked Q-values of one observation (as a batch of one) or of a batch."""
        desc = self.spaces["observation"]
        batch = preprocess(obs, desc)[None] if one else preprocess_batch(obs, desc)
        return masked(self.net(torch.as_tensor(batch, device=self.device)), mask_tensor(action_mask, self.device))

    def q_values(self, obs: Any, action_mask: np.ndarray | None = None) -> np.ndarray:
        return self._q(obs, action_mask, one=True)[0].cpu().numpy()

    def act(self, obs: Any, action_mask: np.ndarray | None = None) -> int:
        return int(self._q(obs, action_mask, one=True).argmax())  # the hot path of training: no numpy round trip

    def act_batch(self, obs: np.ndarray, action_mask: np.ndarray | None = None) -> np.ndarray:
        return self._q(obs, action_mask, one=False).argmax(dim=1).cpu().numpy()

    def position_values(self, obs: np.ndarray, action_mask: np.ndarray) -> np.ndarray:
        """Each position's worth to its side to move: the best legal Q-value (a search's leaf scores)."""
        return self._q(obs, action_mask, one=False).max(dim=1).values.cpu().numpy()

    def explain(self, obs: Any, action_mask: np.ndarray | None = None) -> dict[str, Any]:
        """What the agent thinks of each action, for the app's bars."""
        return {"kind": "q_values", "values": self.q_values(obs, action_mask).tolist()}


def policy_from_checkpoint(data: dict[str, Any], config: DQNConfig, device: torch.device) -> DQNPolicy:
    net = QNetwork(data["spaces"], config).to(device)
    net.load_state_dict(data["model"])
    net.eval()
    return DQNPolicy(net, data["spaces"], data["env_id"], data["env_kwargs"], config, device)


class DQNLearner:
    """Collects experience with epsilon-greedy and learns from replay; ``advance`` is one slice of that loop."""

    name = "dqn"
    config_class = DQNConfig
    single_env = True  # one env, whose steps on_step reports (and which can render them)
    takes_play = True  # a Play can be composed around it

    def __init__(self, env_id: str, env_kwargs: dict[str, Any], config: DQNConfig, device: torch.device,
                 seed: int, play: Any = None) -> None:
        self.env_id, self.env_kwargs, self.config, self.device, self.seed = env_id, env_kwargs, config, device, seed
        for name in ("train_freq", "gradient_steps", "batch_size", "n_step", "target_update_interval"):
            if getattr(config, name) < 1:
                raise DojoError(f"{name} must be at least 1, got {getattr(config, name)}")
        self.play = play
        env = make_env(env_id, env_kwargs)
        self.env = play.wrap_env(env) if play is not None else env
        # What the network reads: the observation, grown by the opponent model's planes where it has them.
        net_space = play.feature_space(self.env.observation_space) if play is not None else self.env.observation_space
        self.spaces = describe_spaces(net_space, self.env.action_space)
        if self.spaces["action"]["type"] != "discrete":
            raise DojoError(f"dqn needs discrete actions, but {env_id} has continuous ones; use --agent ppo")
        torch.manual_seed(seed)
        self.n_actions = int(self.spaces["action"]["n"])
        self.q_net = self.make_net().to(device)
        self.target_net = copy.deepcopy(self.q_net)
        self.optimizer = make_adam(self.q_net.parameters(), config.learning_rate, device)
        # With a frozen AE encoder, replay rows hold its codes (32 floats) instead of frames (12 KB): each frame
        # is encoded once, when seen, and updates run only the MLP and head (measured: see bench_ae).
        self.caches_codes = self.q_net.frozen_codes is not None
        sample = self._encode(preprocess(net_space.sample(), self.spaces["observation"]))
        obs_dtype = torch.uint8 if sample.dtype == np.uint8 else torch.float32
        _, probe_info = self.env.unwrapped.reset(seed=seed)  # does the env give action masks? (no episode starts)
        check_buffer_size("the replay buffer", 2 * config.buffer_size * sample.nbytes, "buffer_size")
        self.buffer = ReplayBuffer(config.buffer_size, sample.shape, obs_dtype, self.n_actions, device,
                                   store_masks="action_mask" in probe_info)
        self.rng = np.random.default_rng(seed)
        self.steps = self.episodes = self.updates = 0
        self.last_loss = float("nan")
        greedy = DQNPolicy(self.q_net, self.spaces, env_id, env_kwargs, config, device)
        self.policy = play.wrap_policy(greedy, self) if play is not None else greedy
        self._raw: Any = None  # the observation the next action is for (None: an episode is due)
        self._obs: np.ndarray | None = None  # what replay keeps of it
        self._mask: np.ndarray | None = None
        self._episode_return, self._episode_length = 0.0, 0
        self._pending: deque[tuple[np.ndarray, int, float]] = deque()
        self._episode_actions: list[int] = []

    def make_net(self) -> QNetwork:
        """A fresh network of this learner's shape (the league's snapshots are these)."""
        return QNetwork(self.spaces, self.config)

    @property
    def net(self) -> QNetwork:
        return self.q_net

    @property
    def epsilon(self) -> float:
        fraction = min(1.0, self.steps / max(1, self.config.epsilon_decay_steps))
        return self.config.epsilon_start + fraction * (self.config.epsilon_end - self.config.epsilon_start)

    def stats(self) -> dict[str, float]:
        return {"epsilon": self.epsilon, "loss": self.last_loss, **(self.play.stats() if self.play else {})}

    @torch.inference_mode()
    def _encode(self, obs: np.ndarray) -> np.ndarray:
        """What replay keeps of a network input: itself, or its frozen code when ``caches_codes``."""
        if not self.caches_codes:
            return obs
        return self.q_net.frozen_codes(torch.as_tensor(obs, device=self.device).unsqueeze(0))[0].cpu().numpy()

    def _stored(self, raw: Any) -> np.ndarray:
        """What replay keeps of an env observation (the policy's network input, preprocessed, maybe encoded)."""
        net_input = self.policy.net_input(raw) if hasattr(self.policy, "net_input") else raw
        return self._encode(preprocess(net_input, self.spaces["observation"]))

    def _q(self, net: QNetwork, stored: torch.Tensor) -> torch.Tensor:
        return net.from_codes(stored) if self.caches_codes else net(stored)

    def _choose_action(self) -> int:
        mask = self._mask
        if self.rng.random() < self.epsilon:
            if mask is not None:
                return int(self.rng.choice(np.flatnonzero(mask)))
            return int(self.rng.integers(self.n_actions))
        if self.caches_codes:
            with torch.inference_mode():
                codes = torch.as_tensor(self._obs, device=self.device).unsqueeze(0)
                return int(masked(self.q_net.from_codes(codes), mask_tensor(mask, self.device)).argmax())
        return self.policy.act(self._raw, mask)

    def _start_episode(self, options: dict[str, Any] | None = None) -> dict[str, Any]:
        self._raw, info = self.env.reset(seed=episode_seed(self.seed, self.episodes), options=options)
        self._obs, self._mask = self._stored(self._raw), action_mask_of(info)
        return info

    def advance(self, on_step: StepHook | None = None) -> list[dict[str, float]]:
        """Play until the next training phase or the end of the episode; learn when due. Returns finished episodes.

        ``on_step`` sees every env step (and the reset); when it returns False the slice ends there."""
        config = self.config
        finished: list[dict[str, float]] = []
        if self._raw is None:
            info = self._start_episode()
            if not report_reset(on_step, self.env, self._raw, info):
                return finished
        while True:
            action = self._choose_action()
            self._episode_actions.append(action)
            raw, reward, terminated, truncated, info = self.env.step(action)
            next_obs, next_mask = self._stored(raw), action_mask_of(info)
            self.steps += 1
            self._episode_return += float(reward)
            self._episode_length += 1
            self._store(self._obs, action, float(reward), next_obs, next_mask, terminated, truncated)
            self._raw, self._obs, self._mask = raw, next_obs, next_mask
            if self.steps >= config.learning_starts and self.steps % config.train_freq == 0:
                self._train()
            if config.tau >= 1.0 and self.steps % config.target_update_interval == 0:
                self.target_net.load_state_dict(self.q_net.state_dict())
            go_on = report_step(on_step, self.env, raw, float(reward), terminated, truncated, info,
                                self._episode_return)
            if terminated or truncated:
                finished.append({"return": self._episode_return, "length": self._episode_length,
                                 **{k: float(v) for k, v in info.items() if k in ("score", "success", "win")}})
                self.episodes += 1
                self._raw = None
                self._episode_return, self._episode_length = 0.0, 0
                self._episode_actions = []
                return finished
            if self.steps % config.train_freq == 0 or not go_on:
                return finished

    def _store(self, obs: np.ndarray, action: int, reward: float, next_obs: np.ndarray,
               next_mask: np.ndarray | None, terminated: bool, truncated: bool) -> None:
        """Fold rewards into n-step rows; at the episode's end flush what is left (shorter rows)."""
        gamma, n_step = self.config.gamma, self.config.n_step
        self._pending.append((obs, action, reward))
        done = terminated or truncated
        while self._pending and (len(self._pending) >= n_step or done):
            first_obs, first_action, _ = self._pending[0]
            n_step_return = sum(r * gamma**k for k, (_, _, r) in enumerate(self._pending))
            self.buffer.add(first_obs, first_action, n_step_return, next_obs, gamma ** len(self._pending),
                            terminated, truncated, next_mask)
            self._pending.popleft()
            if not done:
                break

    def _train(self) -> None:
        config = self.config
        for _ in range(config.gradient_steps):
            batch = self.buffer.sample(config.batch_size, self.rng)
            next_mask = batch.get("next_mask")
            with torch.no_grad():
                target_q = self._q(self.target_net, batch["next_obs"])
                if config.double:
                    # Kept out of the graph: backward then runs over batch_size rows, not twice that.
                    q_next_online = self._q(self.q_net, batch["next_obs"])
                    next_action = masked(q_next_online, next_mask).argmax(dim=1, keepdim=True)
                    next_value = target_q.gather(1, next_action).squeeze(1)
                else:
                    next_value = masked(target_q, next_mask).max(dim=1).values
                target = batch["reward"] + batch["discount"] * (1.0 - batch["terminated"]) * next_value
            q_taken = self._q(self.q_net, batch["obs"]).gather(1, batch["action"].unsqueeze(1)).squeeze(1)
            loss = F.smooth_l1_loss(q_taken, target)
            self.optimizer.zero_grad(set_to_none=True)
            loss.backward()
            nn.utils.clip_grad_norm_(self.q_net.parameters(), config.max_grad_norm)
            self.optimizer.step()
            self.updates += 1
            if config.tau < 1.0:
                with torch.no_grad():
                    torch._foreach_lerp_(list(self.target_net.parameters()), list(self.q_net.parameters()),
                                         config.tau)
        self.last_loss = float(loss.item())

    def state_dict(self, include_replay: bool) -> dict[str, Any]:
        state = {
            "model": self.q_net.state_dict(),
            "target": self.target_net.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "counters": {"steps": self.steps, "episodes": self.episodes, "updates": self.updates},
            "rng": {"numpy": generator_state(self.rng), "torch": torch.get_rng_state()},
            "last_loss": self.last_loss,
            # The episode in flight: its seed is known, so replaying its actions rebuilds the env exactly.
            "episode": {"actions": list(self._episode_actions), "return": self._episode_return,
                        "length": self._episode_length,
                        "pending": [(torch.as_tensor(o), a, r) for o, a, r in self._pending]},
        }
        if include_replay:
            state["replay"] = self.buffer.state_dict()
        if self.play is not None:
            state.update(self.play.state_dict(include_replay))
        return state

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.q_net.load_state_dict(state["model"])
        self.target_net.load_state_dict(state.get("target", state["model"]))
        if "optimizer" in state:
            self.optimizer.load_state_dict(state["optimizer"])
        counters = state["counters"]
        self.steps, self.episodes = int(counters["steps"]), int(counters["episodes"])
        self.updates = int(counters.get("updates", 0))
        if "rng" in state:
            self.rng = restore_generator(state["rng"]["numpy"])
            torch.set_rng_state(state["rng"]["torch"])
        if "replay" in state:
            try:
                self.buffer.load_state_dict(state["replay"])
            except ValueError as error:
                raise DojoError(f"cannot resume this run's replay: {error}") from None
        self.last_loss = float(state.get("last_loss", float("nan")))
        if self.play is not None:
            self.play.load_state_dict(state)
        self._raw = None
        self._pending.clear()
        self._episode_actions = []
        self._episode_return, self._episode_length = 0.0, 0
        episode = state.get("episode")
        if episode and episode["actions"]:
            self._replay_episode(episode)

    def _replay_episode(self, episode: dict[str, Any]) -> None:
        info = self._start_episode(options={"repeat_episode": True})  # a league keeps the episode's opponent
        for action in episode["actions"]:
            self._raw, _, terminated, truncated, info = self.env.step(int(action))
            if terminated or truncated:
                raise DojoError("the checkpoint's episode does not replay on this env (was the env changed?)")
        self._obs, self._mask = self._stored(self._raw), action_mask_of(info)
        self._episode_actions = [int(a) for a in episode["actions"]]
        self._episode_return, self._episode_length = float(episode["return"]), int(episode["length"])
        self._pending.extend((o.numpy(), int(a), float(r)) for o, a, r in episode["pending"])

    def close(self) -> None:
        close_env(self.env)  # a rendering env (Trainer(frames=True)) must not quit the app's pygame


CONFIG = DQNConfig
LEARNER = DQNLearner
load_policy = policy_from_checkpoint
