"""Double DQN with a target network, Huber loss, gradient clipping and a linear epsilon schedule.

Options: dueling head, n-step returns, hard or Polyak target updates, ``train_freq`` / ``gradient_steps``.
Time-limit truncation is not termination: a truncated transition still bootstraps from its next state.
Action masks (from ``info["action_mask"]``) restrict exploration, the greedy choice and the target's max.
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

from agents.common import (
    action_mask_of,
    build_encoder,
    check_buffer_size,
    describe_spaces,
    episode_seed,
    generator_state,
    make_adam,
    make_env,
    mask_tensor,
    preprocess,
    preprocess_batch,
    restore_generator,
)
from agents.errors import DojoError
from agents.league import League
from agents.opponent_features import (
    OpponentFeatures,
    checkpoint_features,
    line_from_plane,
    search_line_ticks,
    with_opponent_model,
)
from agents.replay import ReplayBuffer
from agents.search import check_lookahead, connect_four_move
from agents.snake_search import snake_move
from agents.tron_search import tron_line_move, tron_move
from nets import QHead
from nets.autoencoder import FrozenLatentFeatures

# Each game's lookahead, for search_depth > 0 (agents/search.py SEARCH_ENVS says how deep each may go).
SEARCHES = {"dojo/ConnectFour-v0": connect_four_move, "dojo/Tron-v0": tron_move, "dojo/Snake-v0": snake_move}


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
    curriculum: tuple[str, ...] = ()
    """Two-player games: scripted opponents to beat in turn, e.g. random,greedy,minimax:2 (empty: the env's own)."""
    opponent_mix: tuple[str, ...] = ()
    """Two-player games: scripted opponents drawn at random each episode, e.g. random,random,greedy."""
    promote_win_rate: float = 0.8
    """Win rate over the last promote_window curriculum games that moves on to the next opponent."""
    promote_window: int = 200
    """Games the promotion win rate is measured over."""
    self_play: float = 0.0
    """Two-player games: share of episodes played against frozen snapshots of the agent itself."""
    snapshot_every: int = 20_000
    """Env steps between snapshots added to the self-play pool."""
    pool_size: int = 8
    """Snapshots kept in the self-play pool (oldest dropped first)."""
    search_depth: int = 0
    """Connect Four: plies, Tron: joint ticks, Snake: moves of lookahead over the rules when acting, leaves scored by
    the network (0: none)."""
    opponent_model: bool = False
    """Two-player games: an online LSTM predicts the opponent's next move, as extra input planes; Tron with
    search_depth: the lookahead also follows its predicted line (2 ticks per depth) to choose among the near-best
    worst-case moves."""


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
    """The greedy policy of a trained Q-network: what ``load_agent`` returns for a DQN checkpoint."""

    name = "dqn"
    opponent_features: OpponentFeatures | None = None  # set with opponent_model=true

    def __init__(self, net: QNetwork, spaces: dict[str, Any], env_id: str, env_kwargs: dict[str, Any],
                 config: DQNConfig, device: torch.device) -> None:
        self.net, self.spaces, self.env_id, self.env_kwargs = net, spaces, env_id, env_kwargs
        self.config, self.device = config, device

    @property
    def env_wrapper(self) -> Callable[[Any], Any] | None:
        """What every env this policy plays in must be wrapped with (opponent_model=true), else None."""
        return None if self.opponent_features is None else self.opponent_features.eval_wrapper

    @property
    def line_ticks(self) -> int:
        """Ticks of the opponent model's predicted line that the wrapper appends (the last plane) for the search."""
        return 0 if self.opponent_features is None else self.opponent_features.line_ticks

    def net_input(self, obs: Any) -> Any:
        """What the network reads of an observation: all of it, or the board without the predicted line's plane."""
        return obs[:-1] if self.line_ticks else obs

    @torch.no_grad()
    def q_values(self, obs: Any, action_mask: np.ndarray | None = None) -> np.ndarray:
        obs = preprocess(self.net_input(obs), self.spaces["observation"])
        batch = torch.as_tensor(obs, device=self.device).unsqueeze(0)
        return masked(self.net(batch), mask_tensor(action_mask, self.device))[0].cpu().numpy()

    @torch.inference_mode()
    def act(self, obs: Any, action_mask: np.ndarray | None = None) -> int:
        if self.line_ticks:
            return tron_line_move(obs[:-1], action_mask, line_from_plane(obs[-1]), self.line_ticks,
                                  self.position_values, guard_depth=self.config.search_depth)
        if self.config.search_depth:
            return SEARCHES[self.env_id](obs, action_mask, self.config.search_depth, self.position_values)
        # The hot path of training (one call per env step): no numpy round trip for the values.
        batch = torch.as_tensor(preprocess(obs, self.spaces["observation"]), device=self.device).unsqueeze(0)
        return int(masked(self.net(batch), mask_tensor(action_mask, self.device)).argmax())

    @torch.no_grad()
    def act_batch(self, obs: np.ndarray, action_mask: np.ndarray | None = None) -> np.ndarray:
        if self.config.search_depth:
            masks = [None] * len(obs) if action_mask is None else action_mask
            # A vector env's finished slot shows an over board with no legal move; its action is ignored.
            return np.array([self.act(one, mask) if mask is None or mask.any() else 0
                             for one, mask in zip(obs, masks)], dtype=np.int64)
        batch = torch.as_tensor(preprocess_batch(obs, self.spaces["observation"]), device=self.device)
        return masked(self.net(batch), mask_tensor(action_mask, self.device)).argmax(dim=1).cpu().numpy()

    @torch.inference_mode()
    def position_values(self, obs: np.ndarray, action_mask: np.ndarray) -> np.ndarray:
        """Each position's worth to its side to move: the best legal Q-value (the search's leaf scores)."""
        batch = torch.as_tensor(preprocess_batch(obs, self.spaces["observation"]), device=self.device)
        q_values = masked(self.net(batch), mask_tensor(action_mask, self.device))
        return q_values.max(dim=1).values.cpu().numpy()

    def explain(self, obs: Any, action_mask: np.ndarray | None = None) -> dict[str, Any]:
        """What the agent thinks of each action, for the app's bars."""
        return {"kind": "q_values", "values": self.q_values(obs, action_mask).tolist()}


def policy_from_checkpoint(data: dict[str, Any], config: DQNConfig, device: torch.device) -> DQNPolicy:
    net = QNetwork(data["spaces"], config).to(device)
    net.load_state_dict(data["model"])
    net.eval()
    policy = DQNPolicy(net, data["spaces"], data["env_id"], data["env_kwargs"], config, device)
    if config.opponent_model:
        policy.opponent_features = checkpoint_features(data, search_line_ticks(config))
    return policy


class DQNLearner:
    """Collects experience with epsilon-greedy and learns from replay; ``advance`` is one slice of that loop."""

    name = "dqn"
    config_class = DQNConfig

    def __init__(self, env_id: str, env_kwargs: dict[str, Any], config: DQNConfig, device: torch.device,
                 seed: int, render_mode: str | None = None) -> None:
        self.env_id, self.env_kwargs, self.config, self.device, self.seed = env_id, env_kwargs, config, device, seed
        env = make_env(env_id, env_kwargs, render_mode)
        check_lookahead(env_id, getattr(env.unwrapped, "obs_mode", "vector"), config.search_depth,
                        config.opponent_model)
        self.env, self.opponent_features = with_opponent_model(env, config, seed)
        # With the predicted line for the lookahead, the network reads the board alone (the env's extra plane is
        # for the search): its spaces, and what replay keeps, are the board's.
        net_space = self.env.net_space if self.opponent_features is not None else self.env.observation_space
        self.spaces = describe_spaces(net_space, self.env.action_space)
        if self.spaces["action"]["type"] != "discrete":
            raise DojoError(f"dqn needs discrete actions, but {env_id} has continuous ones; use --agent ppo")
        for name in ("train_freq", "gradient_steps", "batch_size", "n_step", "target_update_interval"):
            if getattr(config, name) < 1:
                raise DojoError(f"{name} must be at least 1, got {getattr(config, name)}")
        torch.manual_seed(seed)
        self.n_actions = int(self.spaces["action"]["n"])
        self.q_net = QNetwork(self.spaces, config).to(device)
        self.target_net = copy.deepcopy(self.q_net)
        self.optimizer = make_adam(self.q_net.parameters(), config.learning_rate, device)
        # With a frozen AE encoder, replay rows hold its codes (32 floats) instead of frames (12 KB): each frame
        # is encoded once, when seen, and updates run only the MLP and head (measured: see bench_ae).
        self.caches_codes = self.q_net.frozen_codes is not None
        sample = self._stored(net_space.sample())
        obs_dtype = torch.uint8 if sample.dtype == np.uint8 else torch.float32
        _, probe_info = self.env.reset(seed=seed)
        check_buffer_size("the replay buffer", 2 * config.buffer_size * sample.nbytes, "buffer_size")
        self.buffer = ReplayBuffer(config.buffer_size, sample.shape, obs_dtype, self.n_actions, device,
                                   store_masks="action_mask" in probe_info)
        self.rng = np.random.default_rng(seed)
        self.steps = 0
        self.episodes = 0
        self.updates = 0
        self.last_loss = float("nan")
        self.policy = DQNPolicy(self.q_net, self.spaces, env_id, env_kwargs, config, device)
        self.policy.opponent_features = self.opponent_features
        self._obs: np.ndarray | None = None
        self._mask: np.ndarray | None = None
        self._episode_return = 0.0
        self._episode_length = 0
        self._pending: deque[tuple[np.ndarray, int, float]] = deque()
        self._episode_actions: list[int] = []
        uses_league = config.curriculum or config.opponent_mix or config.self_play > 0
        self.league = self._make_league() if uses_league else None

    def _make_league(self) -> League:
        game = self.env.unwrapped
        if not hasattr(game, "opponent_spec") or game.opponent_spec is None:
            raise DojoError(f"curriculum and self_play need a two-player env with an opponent; {self.env_id} has none")
        if self.config.self_play > 0 and getattr(game, "obs_mode", "planes") != "planes":
            raise DojoError("self_play needs obs_mode=planes: snapshots play from the opponent's planes")
        original = game.opponent_spec
        for spec in (*self.config.curriculum, *self.config.opponent_mix):
            try:
                game.opponent_spec = spec
                self.env.reset(seed=0)
            except ValueError as error:
                raise DojoError(f"curriculum opponent {spec!r}: {error}") from None
        game.opponent_spec = original
        if self.config.curriculum and self.config.opponent_mix:
            raise DojoError("curriculum and opponent_mix are alternatives; set one (e.g. --set opponent_mix=[])")
        return League(original if not self.config.curriculum else None, self.config.curriculum,
                      self.config.promote_win_rate, self.config.promote_window, self.config.self_play,
                      self.config.snapshot_every, self.config.pool_size,
                      lambda: QNetwork(self.spaces, self.config), self.seed, self.config.opponent_mix)

    @property
    def epsilon(self) -> float:
        fraction = min(1.0, self.steps / max(1, self.config.epsilon_decay_steps))
        return self.config.epsilon_start + fraction * (self.config.epsilon_end - self.config.epsilon_start)

    def stats(self) -> dict[str, float]:
        league = self.league.stats() if self.league is not None else {}
        return {"epsilon": self.epsilon, "loss": self.last_loss, **league}

    @torch.inference_mode()
    def _stored(self, raw: Any) -> np.ndarray:
        """What replay keeps of an env observation: the preprocessed observation, or its frozen code when
        ``caches_codes``."""
        obs = preprocess(raw, self.spaces["observation"])
        if not self.caches_codes:
            return obs
        frame = torch.as_tensor(obs, device=self.device).unsqueeze(0)
        return self.q_net.frozen_codes(frame)[0].cpu().numpy()

    def _q(self, net: QNetwork, stored: torch.Tensor) -> torch.Tensor:
        return net.from_codes(stored) if self.caches_codes else net(stored)

    def _choose_action(self, obs: np.ndarray, mask: np.ndarray | None) -> int:
        if self.rng.random() < self.epsilon:
            if mask is not None:
                return int(self.rng.choice(np.flatnonzero(mask)))
            return int(self.rng.integers(self.n_actions))
        if self.caches_codes:
            with torch.inference_mode():
                codes = torch.as_tensor(obs, device=self.device).unsqueeze(0)
                return int(masked(self.q_net.from_codes(codes), mask_tensor(mask, self.device)).argmax())
        return self.policy.act(obs, mask)

    def advance(self) -> list[dict[str, float]]:
        """Play until the next training phase or the end of the episode; learn when due. Returns finished episodes."""
        config = self.config
        finished: list[dict[str, float]] = []
        if self._obs is None:
            if self.league is not None:
                self.env.unwrapped.opponent_spec = self.league.pick()
            raw, info = self.env.reset(seed=episode_seed(self.seed, self.episodes))
            self._obs, self._mask = self._stored(raw), action_mask_of(info)
        while True:
            action = self._choose_action(self._obs, self._mask)
            self._episode_actions.append(action)
            raw_next, reward, terminated, truncated, info = self.env.step(action)
            next_obs, next_mask = self._stored(raw_next), action_mask_of(info)
            self.steps += 1
            self._episode_return += float(reward)
            self._episode_length += 1
            self._store(self._obs, action, float(reward), next_obs, next_mask, terminated, truncated)
            self._obs, self._mask = next_obs, next_mask
            if self.steps >= config.learning_starts and self.steps % config.train_freq == 0:
                self._train()
            if config.tau >= 1.0 and self.steps % config.target_update_interval == 0:
                self.target_net.load_state_dict(self.q_net.state_dict())
            if terminated or truncated:
                finished.append({"return": self._episode_return, "length": self._episode_length,
                                 **{k: float(v) for k, v in info.items() if k in ("score", "success", "win")}})
                self.episodes += 1
                if self.league is not None:
                    self.league.record(self._episode_return, self.steps, self.q_net)
                self._obs = None
                self._episode_return, self._episode_length = 0.0, 0
                self._episode_actions = []
                return finished
            if self.steps % config.train_freq == 0:
                return finished

    def _store(self, obs: np.ndarray, action: int, reward: float, next_obs: np.ndarray,
               next_mask: np.ndarray | None, terminated: bool, truncated: bool) -> None:
        """Fold rewards into n-step rows; at the episode's end flush what is left (shorter rows)."""
        gamma, n_step = self.config.gamma, self.config.n_step
        obs, next_obs = self.policy.net_input(obs), self.policy.net_input(next_obs)
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
        if self.league is not None:
            state["league"] = self.league.state_dict()
        if self.opponent_features is not None:
            state["opponent_model"] = self.opponent_features.state_dict(include_replay)
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
        if self.league is not None and "league" in state:
            self.league.load_state_dict(state["league"])
        if self.opponent_features is not None and "opponent_model" in state:
            self.opponent_features.load_state_dict(state["opponent_model"])
        self._obs = None
        self._pending.clear()
        self._episode_actions = []
        self._episode_return, self._episode_length = 0.0, 0
        episode = state.get("episode")
        if episode and episode["actions"]:
            self._replay_episode(episode)

    def _replay_episode(self, episode: dict[str, Any]) -> None:
        if self.league is not None:
            self.env.unwrapped.opponent_spec = self.league.current_opponent()
        raw, info = self.env.reset(seed=episode_seed(self.seed, self.episodes))
        for action in episode["actions"]:
            raw, _, terminated, truncated, info = self.env.step(int(action))
            if terminated or truncated:
                raise DojoError("the checkpoint's episode does not replay on this env (was the env changed?)")
        self._obs, self._mask = self._stored(raw), action_mask_of(info)
        self._episode_actions = [int(a) for a in episode["actions"]]
        self._episode_return, self._episode_length = float(episode["return"]), int(episode["length"])
        self._pending.extend((o.numpy(), int(a), float(r)) for o, a, r in episode["pending"])

    def close(self) -> None:
        self.env.close()


CONFIG = DQNConfig
LEARNER = DQNLearner
load_policy = policy_from_checkpoint
