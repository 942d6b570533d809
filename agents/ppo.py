"""PPO with GAE and the clipped objective over vectorized envs; categorical and Gaussian policies.

Vector envs reset finished sub-envs on the *next* step (gymnasium's next-step autoreset): that step's action
is ignored, so such steps are masked out of the loss, and the observation returned on the final step is the
true final observation, which is what a truncated episode bootstraps from.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import nn

from agents.actor_critic import (
    ActorCritic,
    ActorCriticNetConfig,
    ActorCriticPolicy,
    entropy_of,
    log_prob_of,
    policy_loader,
)
from agents.common import (
    action_mask_of,
    check_buffer_size,
    describe_spaces,
    generator_state,
    make_adam,
    make_vec_env,
    mask_tensor,
    preprocess_batch,
    restore_generator,
)
from agents.errors import DojoError
from nets.normalize import RunningNorm


@dataclass
class PPOConfig(ActorCriticNetConfig):
    """Hyperparameters of PPO; every field can be set with ``--set key=value``."""

    n_envs: int = 8
    """Parallel envs in the vector env."""
    n_steps: int = 128
    """Steps per env in each rollout."""
    n_epochs: int = 10
    """Passes over each rollout."""
    minibatch_size: int = 256
    """Transitions per gradient step."""
    learning_rate: float = 3e-4
    """Adam step size."""
    lr_anneal_steps: int = 0
    """Env steps over which the step size falls linearly to zero (0 keeps it constant)."""
    gamma: float = 0.99
    """Discount factor."""
    gae_lambda: float = 0.95
    """GAE's bias-variance trade-off."""
    clip_coef: float = 0.2
    """PPO's ratio clip."""
    ent_coef: float = 0.0
    """Entropy bonus weight."""
    vf_coef: float = 0.5
    """Value loss weight."""
    max_grad_norm: float = 0.5
    """Gradient-norm clip."""
    target_kl: float = 0.0
    """Stop an update's epochs early once the approximate KL passes this (0 disables)."""
    normalize_reward: bool = False
    """Scale rewards by the running std of the discounted return."""


class PPOLearner:
    """Collects one rollout from the vector env per ``advance`` and runs the PPO update on it."""

    name = "ppo"
    config_class = PPOConfig
    single_env = False  # a vector env: no single env's steps to report or render
    step_budget: int | None = None  # the trainer's: the last rollout stops there (e.g. --steps 1 plays n_envs steps)

    def __init__(self, env_id: str, env_kwargs: dict[str, Any], config: PPOConfig, device: torch.device,
                 seed: int) -> None:
        for name in ("n_envs", "n_steps", "n_epochs", "minibatch_size"):
            if getattr(config, name) < 1:
                raise DojoError(f"{name} must be at least 1, got {getattr(config, name)}")
        self.env_id, self.env_kwargs, self.config, self.device, self.seed = env_id, env_kwargs, config, device, seed
        self.envs = make_vec_env(env_id, config.n_envs, env_kwargs)
        self.spaces = describe_spaces(self.envs.single_observation_space, self.envs.single_action_space)
        obs_floats = int(np.prod(self.envs.single_observation_space.shape or (1,)))
        check_buffer_size("a rollout", 4 * (config.n_steps + 1) * config.n_envs * obs_floats, "n_envs or n_steps")
        torch.manual_seed(seed)
        self.net = ActorCritic(self.spaces, config).to(device)
        self.optimizer = make_adam(self.net.parameters(), config.learning_rate, device, eps=1e-5)
        self.policy = ActorCriticPolicy("ppo", self.net, self.spaces, env_id, env_kwargs, config, device)
        self.rng = np.random.default_rng(seed)
        self.return_norm = RunningNorm(()) if config.normalize_reward else None
        self.steps = 0
        self.episodes = 0
        self.updates = 0
        self.last_stats = {"entropy": float("nan"), "loss": float("nan"), "kl": float("nan")}
        self._obs: np.ndarray | None = None
        self._discounted = np.zeros(config.n_envs)

    def stats(self) -> dict[str, float]:
        return dict(self.last_stats)

    def _reset(self) -> None:
        raw, info = self.envs.reset(seed=self.seed + self.steps)
        self._obs = preprocess_batch(raw, self.spaces["observation"])
        self._mask = action_mask_of(info)
        self._prev_done = np.zeros(self.config.n_envs, dtype=bool)
        self._returns = np.zeros(self.config.n_envs)
        self._lengths = np.zeros(self.config.n_envs, dtype=np.int64)

    def advance(self, on_step: Any = None) -> list[dict[str, float]]:
        """One rollout of n_steps in each env, then the PPO update (``on_step`` does not apply to a vector env)."""
        config, device = self.config, self.device
        if self._obs is None:
            self._reset()
        n, envs_count = config.n_steps, config.n_envs
        if self.step_budget is not None and self.step_budget > self.steps:  # no more steps than the budget has left
            n = max(1, min(n, -(-(self.step_budget - self.steps) // envs_count)))
        obs_buf = torch.zeros((n + 1, envs_count, *self._obs.shape[1:]), dtype=torch.float32, device=device)
        act_shape = tuple(self.spaces["action"].get("shape", ()))
        actions_buf = torch.zeros((n, envs_count, *act_shape), device=device)
        logp_buf = torch.zeros((n, envs_count), device=device)
        values = torch.zeros((n + 1, envs_count), device=device)
        rewards = np.zeros((n, envs_count), dtype=np.float32)
        terminated = np.zeros((n, envs_count), dtype=np.float32)
        done = np.zeros((n, envs_count), dtype=np.float32)
        valid = np.zeros((n, envs_count), dtype=bool)
        masks = None if self._mask is None else torch.ones((n, envs_count, self._mask.shape[1]), dtype=torch.bool,
                                                           device=device)
        finished: list[dict[str, float]] = []
        for t in range(n):
            obs_t = torch.as_tensor(self._obs, device=device, dtype=torch.float32)
            obs_buf[t] = obs_t
            mask_t = mask_tensor(self._mask, device)
            if masks is not None:
                masks[t] = mask_t
            with torch.no_grad():
                dist = self.net.distribution(obs_t, mask_t)
                action = dist.sample()
                logp_buf[t] = log_prob_of(dist, action)
                values[t] = self.net.value(obs_t)
            actions_buf[t] = action
            env_action = self.policy.to_env_action(action.cpu().numpy())
            raw, reward, term, trunc, info = self.envs.step(env_action)
            valid[t] = ~self._prev_done
            rewards[t], terminated[t] = reward, term
            ended = np.logical_or(term, trunc)
            done[t] = ended
            self._returns += np.where(valid[t], reward, 0.0)
            self._lengths += valid[t]
            for index in np.flatnonzero(ended & valid[t]):
                finished.append({"return": float(self._returns[index]), "length": int(self._lengths[index])})
                self._returns[index], self._lengths[index] = 0.0, 0
            self.episodes += int((ended & valid[t]).sum())
            self.steps += int(valid[t].sum())
            self._prev_done = ended
            self._obs = preprocess_batch(raw, self.spaces["observation"])
            self._mask = action_mask_of(info)
        obs_buf[n] = torch.as_tensor(self._obs, device=device, dtype=torch.float32)
        with torch.no_grad():
            values[n] = self.net.value(obs_buf[n])
        if self.return_norm is not None:
            rewards = self._scale_rewards(rewards, done)
        if self.net.obs_norm is not None:
            self.net.obs_norm.update(obs_buf[:n][torch.as_tensor(valid, device=device)].flatten(1))
        advantages = self._gae(torch.as_tensor(rewards, device=device), values,
                               torch.as_tensor(terminated, device=device), torch.as_tensor(done, device=device))
        self._update(obs_buf[:n], actions_buf, logp_buf, advantages, advantages + values[:n],
                     torch.as_tensor(valid, device=device), masks)
        return finished

    def _scale_rewards(self, rewards: np.ndarray, done: np.ndarray) -> np.ndarray:
        """Divide rewards by the running std of the discounted return (as SB3's VecNormalize does)."""
        for t in range(rewards.shape[0]):
            self._discounted = self._discounted * self.config.gamma + rewards[t]
            self.return_norm.update(torch.as_tensor(self._discounted))
            self._discounted = np.where(done[t] > 0, 0.0, self._discounted)
        scale = float(torch.sqrt(self.return_norm.var + 1e-8))
        return np.clip(rewards / scale, -10.0, 10.0).astype(np.float32)

    def _gae(self, rewards: torch.Tensor, values: torch.Tensor, terminated: torch.Tensor,
             done: torch.Tensor) -> torch.Tensor:
        """values[t + 1] is the value of whatever came next: after a final step, the final observation itself."""
        config = self.config
        advantages = torch.zeros_like(rewards)
        running = torch.zeros_like(rewards[0])
        for t in reversed(range(rewards.shape[0])):
            delta = rewards[t] + config.gamma * values[t + 1] * (1.0 - terminated[t]) - values[t]
            running = delta + config.gamma * config.gae_lambda * (1.0 - done[t]) * running
            advantages[t] = running
        return advantages

    def _update(self, obs: torch.Tensor, actions: torch.Tensor, old_logp: torch.Tensor, advantages: torch.Tensor,
                returns: torch.Tensor, valid: torch.Tensor, masks: torch.Tensor | None) -> None:
        config = self.config
        if config.lr_anneal_steps > 0:
            fraction = max(0.0, 1.0 - self.steps / config.lr_anneal_steps)
            for group in self.optimizer.param_groups:
                group["lr"] = config.learning_rate * fraction
        keep = valid.flatten().nonzero().squeeze(1)
        flat = lambda x: x.flatten(0, 1)[keep]
        b_obs, b_actions, b_logp = flat(obs), flat(actions), flat(old_logp)
        b_adv, b_returns = flat(advantages), flat(returns)
        b_masks = None if masks is None else flat(masks)
        total = b_obs.shape[0]
        entropies, kls = [], []
        for _ in range(config.n_epochs):
            order = torch.as_tensor(self.rng.permutation(total), device=self.device)
            for start in range(0, total, config.minibatch_size):
                index = order[start : start + config.minibatch_size]
                dist = self.net.distribution(b_obs[index], None if b_masks is None else b_masks[index])
                log_ratio = log_prob_of(dist, b_actions[index]) - b_logp[index]
                ratio = log_ratio.exp()
                adv = b_adv[index]
                if len(index) > 1:
                    adv = (adv - adv.mean()) / (adv.std() + 1e-8)
                policy_loss = torch.max(-adv * ratio, -adv * ratio.clamp(1 - config.clip_coef, 1 + config.clip_coef))
                value_loss = 0.5 * (self.net.value(b_obs[index]) - b_returns[index]).pow(2)
                entropy = entropy_of(dist)
                loss = policy_loss.mean() + config.vf_coef * value_loss.mean() - config.ent_coef * entropy.mean()
                self.optimizer.zero_grad(set_to_none=True)
                loss.backward()
                nn.utils.clip_grad_norm_(self.net.parameters(), config.max_grad_norm)
                self.optimizer.step()
                with torch.no_grad():
                    kls.append(((ratio - 1) - log_ratio).mean())
                    entropies.append(entropy.mean().detach())
            if config.target_kl > 0 and float(kls[-1]) > config.target_kl:
                break
        self.updates += 1
        self.last_stats = {"entropy": float(torch.stack(entropies).mean()), "loss": float(loss.detach()),
                           "kl": float(torch.stack(kls).mean())}

    def state_dict(self, include_replay: bool) -> dict[str, Any]:
        state = {"model": self.net.state_dict(), "optimizer": self.optimizer.state_dict(),
                 "counters": {"steps": self.steps, "episodes": self.episodes, "updates": self.updates},
                 "rng": {"numpy": generator_state(self.rng), "torch": torch.get_rng_state()},
                 "stats": self.last_stats}
        if self.return_norm is not None:
            state["return_norm"] = self.return_norm.state_dict()
        return state

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.net.load_state_dict(state["model"])
        if "optimizer" in state:
            self.optimizer.load_state_dict(state["optimizer"])
        counters = state["counters"]
        self.steps, self.episodes = int(counters["steps"]), int(counters["episodes"])
        self.updates = int(counters.get("updates", 0))
        if "rng" in state:
            self.rng = restore_generator(state["rng"]["numpy"])
            torch.set_rng_state(state["rng"]["torch"])
        if self.return_norm is not None and "return_norm" in state:
            self.return_norm.load_state_dict(state["return_norm"])
        self.last_stats = dict(state.get("stats", self.last_stats))
        self._obs = None

    def close(self) -> None:
        self.envs.close()


CONFIG = PPOConfig
LEARNER = PPOLearner
load_policy = policy_loader("ppo")
