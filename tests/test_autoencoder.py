"""The observation autoencoder: shapes, learning, checkpoints, the frozen encoder=ae:PATH and the train-ae command."""

import json

import gymnasium as gym
import numpy as np
import pytest
import torch

import main
from agents import load_agent
from agents.autoencoder import (
    autoencoder_payload,
    collect_frames,
    load_autoencoder,
    split_frames,
    train_autoencoder,
)
from agents.autoencoder.encoder import build_encoder
from agents.checkpoint import save_checkpoint
from agents.common import episode_seed
from agents.config import build_config
from agents.dqn import DQNConfig, DQNLearner, QNetwork
from agents.errors import DojoError
from nets.autoencoder import AutoencoderConfig, ConvAutoencoder

SNAKE_PIXELS = {"obs_mode": "pixels"}
TINY_AE = AutoencoderConfig(latent=8, channels=(4, 8, 8), steps=1, frames=16)
TINY_DQN = ["learning_starts=20", "batch_size=8", "buffer_size=200", "hidden=16", "train_freq=2"]


@pytest.fixture(autouse=True)
def one_thread():
    torch.set_num_threads(1)


@pytest.fixture(scope="module")
def ae_file(tmp_path_factory):
    """A small (untrained) autoencoder checkpoint for 64x64 Snake frames."""
    torch.manual_seed(0)
    model = ConvAutoencoder((3, 64, 64), TINY_AE.channels, TINY_AE.latent)
    path = tmp_path_factory.mktemp("ae") / "ae.pt"
    save_checkpoint(path, autoencoder_payload(model, TINY_AE, "dojo/Snake-v0", {}, {"steps": 0}, {}))
    return path


@pytest.mark.parametrize("shape", [(3, 64, 64), (4, 10, 10), (3, 63, 47), (1, 3, 3), (7, 16, 16)])
def test_shapes(shape):
    model = ConvAutoencoder(shape, (8, 16, 16), latent=5)
    images = torch.randint(0, 256, (2, *shape), dtype=torch.uint8)
    recon, code = model(images)
    assert recon.shape == (2, *shape)
    assert code.shape == (2, 5)
    assert model.encode(images).shape == (2, 5)
    assert model.decode(code).shape == (2, *shape)
    assert float(recon.detach().min()) >= 0.0 and float(recon.detach().max()) <= 1.0


@pytest.mark.parametrize("shape", [(3, 64, 64), (3, 63, 47), (4, 10, 10)])
def test_keypoint_shapes_and_coordinates(shape):
    model = ConvAutoencoder(shape, (8, 16), latent=6, bottleneck="keypoints")
    images = torch.randint(0, 256, (2, *shape), dtype=torch.uint8)
    recon, code = model(images)
    assert recon.shape == (2, *shape) and code.shape == (2, 6)
    assert float(code.detach().abs().max()) <= 1.0  # expected coordinates inside the picture
    # The maps are not halved below 16 pixels, so nearby cells keep apart.
    assert min(model.encoder.feature_shape[1:]) >= min(16, *shape[1:])


def test_keypoints_say_where_a_single_bright_dot_is():
    """A map that only sees one bright dot puts its expected (x, y) on the dot: the code is the position."""
    model = ConvAutoencoder((1, 32, 32), (4,), latent=2, bottleneck="keypoints").eval()
    softmax = model.encoder.fc
    with torch.no_grad():
        softmax.maps.weight.fill_(1.0)
        softmax.maps.bias.zero_()
        softmax.log_temperature.fill_(-3.0)  # sharp: the peak takes nearly all the weight
    features = torch.zeros(2, 4, 16, 16)
    features[0, :, 0, 15] = 1.0  # top right
    features[1, :, 12, 4] = 1.0  # lower left of centre
    with torch.no_grad():
        code = softmax(features)
    expected = torch.tensor([[1.0, -1.0], [-1 + 8 / 15, -1 + 24 / 15]])  # (x, y) in [-1, 1]
    assert torch.allclose(code, expected, atol=1e-3)


def test_odd_latent_for_keypoints_is_refused():
    with pytest.raises(ValueError, match="even latent"):
        ConvAutoencoder((3, 64, 64), (8, 16), latent=5, bottleneck="keypoints")
    with pytest.raises(ValueError, match="unknown bottleneck"):
        ConvAutoencoder((3, 64, 64), (8, 16), latent=4, bottleneck="sparse")


def test_reconstruction_loss_falls_on_a_small_batch():
    frames = collect_frames("dojo/Snake-v0", {}, 32, seed=0, progress=False)
    torch.manual_seed(0)
    model = ConvAutoencoder((3, 64, 64), (8, 16, 16, 16), latent=32)
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    batch = torch.as_tensor(frames)
    target = batch.float() / 255.0
    losses = []
    for _ in range(200):
        loss = torch.nn.functional.mse_loss(model(batch)[0], target)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    # From guessing (~0.1 per pixel) to under 0.01 (over 20 dB PSNR), and still falling after the first quick drop.
    assert losses[-1] < 0.01 < 0.1 < losses[0]
    assert np.mean(losses[-10:]) < 0.85 * np.mean(losses[90:100])


def test_foreground_weight_reconstructs_small_objects_better():
    """One bright 2x2 'apple' on a dark 16x16 frame: plain MSE can blur it away, the weighted loss keeps it."""
    rng = np.random.default_rng(0)
    frames = np.full((64, 1, 16, 16), 20, dtype=np.uint8)
    for frame, (row, col) in zip(frames, rng.integers(0, 15, (64, 2))):
        frame[0, row : row + 2, col : col + 2] = 250
    apple = frames > 100
    errors = {}
    for weight in (0.0, 20.0):
        config = AutoencoderConfig(latent=8, channels=(8, 16), steps=150, batch_size=16, foreground_weight=weight)
        model, _ = train_autoencoder(frames, config, torch.device("cpu"), seed=0, progress=False)
        with torch.no_grad():
            recon = model(torch.as_tensor(frames))[0].numpy()
        errors[weight] = float(((recon - frames / 255.0)[apple] ** 2).mean())
    assert errors[20.0] < 0.7 * errors[0.0]


def test_frames_are_64x64_rgb_for_grid_games_and_classic_control():
    snake = collect_frames("dojo/Snake-v0", {}, 10, seed=1, progress=False)
    cartpole = collect_frames("CartPole-v1", {}, 10, seed=1, progress=False)
    for frames in (snake, cartpole):
        assert frames.shape == (10, 3, 64, 64) and frames.dtype == np.uint8
        assert len({frame.tobytes() for frame in frames}) > 1  # the game moves
    train, test = split_frames(snake, 0.1, seed=0)
    assert (len(train), len(test)) == (9, 1)


def test_checkpoint_round_trip(ae_file):
    model, data = load_autoencoder(ae_file)
    assert data["agent"] == "autoencoder"
    torch.manual_seed(0)
    again = ConvAutoencoder((3, 64, 64), TINY_AE.channels, TINY_AE.latent).eval()  # same seed: the saved weights
    images = torch.randint(0, 256, (3, 3, 64, 64), dtype=torch.uint8)
    with torch.no_grad():
        assert torch.equal(model(images)[0], again(images)[0])
    other = ConvAutoencoder((3, 64, 64), TINY_AE.channels, TINY_AE.latent).eval()  # fresh weights differ
    with torch.no_grad():
        assert not torch.equal(model(images)[0], other(images)[0])


def test_dqn_with_frozen_encoder_trains_and_reloads_without_the_ae_file(ae_file, tmp_path):
    config = build_config(DQNConfig, {"encoder": f"ae:{ae_file}", "learning_starts": 20, "batch_size": 8,
                                      "buffer_size": 200, "hidden": (16,), "train_freq": 2})
    learner = DQNLearner("dojo/Snake-v0", SNAKE_PIXELS, config, torch.device("cpu"), seed=0)
    encoder = learner.q_net.encoder.encoder
    frozen_before = {k: v.clone() for k, v in encoder.state_dict().items()}
    head_before = {k: v.clone() for k, v in learner.q_net.head.state_dict().items()}
    while learner.updates < 10:
        learner.advance()
    assert all(torch.equal(frozen_before[k], v) for k, v in encoder.state_dict().items())  # incl. BN statistics
    assert any(not torch.equal(head_before[k], v) for k, v in learner.q_net.head.state_dict().items())
    assert not any(p.requires_grad for p in encoder.parameters())
    ae_model, _ = load_autoencoder(ae_file)
    assert all(torch.equal(ae_model.encoder.state_dict()[k], v) for k, v in encoder.state_dict().items())

    state = learner.state_dict(include_replay=False)
    payload = {"agent": "dqn", "env_id": "dojo/Snake-v0", "env_kwargs": SNAKE_PIXELS, "spaces": learner.spaces,
               "config": {"encoder": config.encoder, "hidden": [16]}, "model": state["model"],
               "counters": state["counters"]}
    saved = save_checkpoint(tmp_path / "dqn.pt", payload)
    moved = tmp_path / "gone.pt"
    ae_file.rename(moved)  # the DQN checkpoint must stand alone
    try:
        agent = load_agent(str(saved))
    finally:
        moved.rename(ae_file)
    obs = np.random.default_rng(0).integers(0, 256, (4, 3, 64, 64), dtype=np.uint8)
    learner.q_net.eval()
    with torch.no_grad():
        expected = learner.q_net(torch.as_tensor(obs))
        assert torch.equal(agent.net(torch.as_tensor(obs)), expected)


def test_dqn_with_frozen_encoder_replays_codes_not_frames(ae_file):
    config = build_config(DQNConfig, {"encoder": f"ae:{ae_file}", "learning_starts": 20, "batch_size": 8,
                                      "buffer_size": 200, "hidden": (16,), "train_freq": 2})
    learner = DQNLearner("dojo/Snake-v0", SNAKE_PIXELS, config, torch.device("cpu"), seed=0)
    while learner.updates < 5:
        learner.advance()
    codes_of = learner.q_net.frozen_codes
    assert learner.buffer.fields["obs"].shape[1:] == (TINY_AE.latent,)
    assert learner.buffer.fields["obs"].dtype == torch.float32
    # The rows hold exactly the codes of the frames the env produced: replay the same seeded episode.
    env = gym.make("dojo/Snake-v0", **SNAKE_PIXELS)
    frame, _ = env.reset(seed=episode_seed(0, 0))
    with torch.no_grad():
        code = codes_of(torch.as_tensor(frame).unsqueeze(0))[0]
        assert torch.allclose(learner.buffer.fields["obs"][0], code, atol=1e-6)
        # Acting from a code and from the frame give the same values.
        frames = torch.as_tensor(np.random.default_rng(1).integers(0, 256, (4, 3, 64, 64), dtype=np.uint8))
        learner.q_net.eval()
        assert torch.allclose(learner.q_net.from_codes(codes_of(frames)), learner.q_net(frames), atol=1e-6)
    env.close()


def test_resuming_a_replay_of_frames_into_a_code_cache_is_a_clear_error(ae_file):
    config = build_config(DQNConfig, {"encoder": f"ae:{ae_file}", "learning_starts": 20, "batch_size": 8,
                                      "buffer_size": 200, "hidden": (16,)})
    learner = DQNLearner("dojo/Snake-v0", SNAKE_PIXELS, config, torch.device("cpu"), seed=0)
    learner.advance()
    state = learner.state_dict(include_replay=True)
    rows = state["replay"]["size"]
    # What a run from before the code cache saved: whole frames in its replay rows.
    state["replay"]["fields"]["obs"] = torch.zeros((rows, 3, 64, 64), dtype=torch.uint8)
    with pytest.raises(DojoError, match=r"replay rows of obs have shape \(3, 64, 64\).*stores \(8,\)"):
        learner.load_state_dict(state)


def test_keypoint_ae_round_trips_and_its_agent_rebuilds_without_the_file(tmp_path):
    config = AutoencoderConfig(latent=8, channels=(4, 8), steps=1, frames=16, bottleneck="keypoints")
    torch.manual_seed(0)
    model = ConvAutoencoder((3, 64, 64), config.channels, config.latent, config.bottleneck).eval()
    path = tmp_path / "kp.pt"
    save_checkpoint(path, autoencoder_payload(model, config, "dojo/Snake-v0", {}, {"steps": 0}, {}))
    loaded, _ = load_autoencoder(path)
    images = torch.randint(0, 256, (3, 3, 64, 64), dtype=torch.uint8)
    with torch.no_grad():
        assert torch.equal(loaded.encode(images), model.encode(images))
    spaces = {"observation": {"type": "box", "shape": [3, 64, 64], "dtype": "uint8", "max": 255.0},
              "action": {"type": "discrete", "n": 4}}
    net = QNetwork(spaces, DQNConfig(encoder=f"ae:{path}", hidden=(16,))).eval()
    assert spaces["autoencoder"]["bottleneck"] == "keypoints"
    path.unlink()  # the agent's own record rebuilds the same encoder
    again = QNetwork(spaces, DQNConfig(encoder=f"ae:{path}", hidden=(16,))).eval()
    again.load_state_dict(net.state_dict())
    with torch.no_grad():
        assert torch.equal(again(images), net(images))


def test_build_encoder_accepts_ae_kind(ae_file):
    spaces = {"observation": {"type": "box", "shape": [3, 64, 64], "dtype": "uint8", "max": 255.0},
              "action": {"type": "discrete", "n": 4}}
    net = QNetwork(spaces, DQNConfig(encoder=f"ae:{ae_file}", hidden=(16,)))
    assert net.encoder.output_dim == 16
    assert spaces["autoencoder"]["latent"] == TINY_AE.latent
    assert net(torch.zeros(2, 3, 64, 64, dtype=torch.uint8)).shape == (2, 4)


@pytest.mark.parametrize(
    ("kind", "message"),
    [
        ("ae:", "needs the path of an autoencoder checkpoint"),
        ("ae:/no/such/ae.pt", "does not exist"),
        ("ae:{planes}", "reads observations of shape (3, 64, 64), but this env gives (4, 10, 10)"),
        ("ae:{dqn}", "is a dqn checkpoint, not an autoencoder one"),
        ("vae", "choose auto, mlp, cnn or ae:PATH"),
    ],
)
def test_bad_encoder_kinds(kind, message, ae_file, tmp_path):
    spaces = {"observation": {"type": "box", "shape": [3, 64, 64], "dtype": "uint8", "max": 255.0}}
    if kind == "ae:{planes}":
        spaces = {"observation": {"type": "box", "shape": [4, 10, 10], "dtype": "uint8", "max": 255.0}}
        kind = f"ae:{ae_file}"
    if kind == "ae:{dqn}":
        dqn_file = tmp_path / "dqn.pt"
        save_checkpoint(dqn_file, {"agent": "dqn", "env_id": "CartPole-v1", "env_kwargs": {}, "spaces": {},
                                   "config": {}, "model": {}, "counters": {}})
        kind = f"ae:{dqn_file}"
    with pytest.raises(DojoError, match=message.replace("(", r"\(").replace(")", r"\)")):
        build_encoder(spaces, kind, (16,), "relu", (8,), 16)


def error_line(capsys):
    err = capsys.readouterr().err.strip()
    assert "Traceback" not in err
    assert len(err.splitlines()) == 1, err
    return err


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--latent", "0"], "latent must be at least 1"),
        (["--latent", "-3"], "latent must be at least 1"),
        (["--frames", "1"], "frames must be at least 2"),
        (["--steps", "0"], "steps must be at least 1"),
        (["--set", "test_fraction=1.5"], "test_fraction must be between 0 and 1"),
        (["--set", "foreground_weight=-1"], "foreground_weight must be 0 or more"),
        (["--set", "warp=9"], "unknown config key 'warp'"),
        (["--set", "bottleneck=sparse"], "unknown bottleneck 'sparse'; choose one of dense, keypoints"),
        (["--latent", "7", "--set", "bottleneck=keypoints"], "bottleneck=keypoints needs an even --latent"),
        (["--checkpoint", "missing.pt"], "does not exist"),
    ],
)
def test_train_ae_bad_arguments(extra, message, capsys, tmp_path):
    code = main.main(["train-ae", "--env", "dojo/Snake-v0", "--quiet", "--run-dir", str(tmp_path), *extra])
    assert code == 2
    assert message in error_line(capsys)


def test_train_ae_without_env(capsys):
    assert main.main(["train-ae"]) == 2
    assert "train-ae needs --env" in error_line(capsys)


def test_train_ae_prints_its_json_line_last(capsys, tmp_path):
    code = main.main(["train-ae", "--env", "CartPole-v1", "--frames", "24", "--steps", "3", "--latent", "8",
                      "--quiet", "--run-dir", str(tmp_path), "--set", "channels=4,8", "batch_size=8"])
    assert code == 0
    lines = capsys.readouterr().out.strip().splitlines()
    result = json.loads(lines[-1])
    assert result["latent"] == 8
    assert result["compression_ratio"] == 3 * 64 * 64 / 8
    assert result["frames"] == 24 and result["test_frames"] == 2
    assert result["psnr_db"] == pytest.approx(10 * np.log10(1 / result["mse"]), abs=1e-2)
    assert {"env", "seconds", "mse"} <= set(result)
    assert (tmp_path / "reconstructions.png").stat().st_size > 0
    model, data = load_autoencoder(tmp_path / "ae.pt")
    assert data["env_id"] == "CartPole-v1" and model.latent == 8


def test_agent_play_frames_from_a_planes_agent(tmp_path):
    """An agent trained on Snake's planes plays a twin env; the frames still come as 64x64 pixels."""
    config = build_config(DQNConfig, {"encoder": "mlp", "hidden": (16,)})
    learner = DQNLearner("dojo/Snake-v0", {}, config, torch.device("cpu"), seed=0)
    state = learner.state_dict(include_replay=False)
    path = save_checkpoint(tmp_path / "planes.pt", {
        "agent": "dqn", "env_id": "dojo/Snake-v0", "env_kwargs": {}, "spaces": learner.spaces,
        "config": {"encoder": "mlp", "hidden": [16]}, "model": state["model"], "counters": state["counters"]})
    agent = load_agent(str(path))
    frames = collect_frames("dojo/Snake-v0", {}, 20, seed=0, agent=agent, agent_fraction=0.5, progress=False)
    random_only = collect_frames("dojo/Snake-v0", {}, 20, seed=0, progress=False)
    assert frames.shape == (20, 3, 64, 64)
    assert np.array_equal(frames[:10], random_only[:10])  # the random half comes first
    assert not np.array_equal(frames[10:], random_only[10:])


@pytest.mark.parametrize(("text", "message"), [("{obs_mode", "--env-kwargs is not valid JSON"),
                                               ("[1, 2]", "--env-kwargs must be a JSON object")])
def test_train_env_kwargs_must_be_a_json_object(text, message, capsys):
    assert main.main(["train", "--env", "dojo/Snake-v0", "--agent", "dqn", "--env-kwargs", text]) == 2
    assert message in error_line(capsys)


def test_load_agent_on_an_autoencoder_says_what_it_is(ae_file):
    with pytest.raises(DojoError, match="is an autoencoder \\(train-ae\\) checkpoint, not an agent"):
        load_agent(str(ae_file))


def test_ppo_actor_and_critic_both_get_the_trained_encoder(ae_file):
    from agents.actor_critic import ActorCritic
    from agents.ppo import PPOConfig

    spaces = {"observation": {"type": "box", "shape": [3, 64, 64], "dtype": "uint8", "max": 255.0},
              "action": {"type": "discrete", "n": 4}}
    net = ActorCritic(spaces, PPOConfig(encoder=f"ae:{ae_file}", hidden=(16,), shared_encoder=False))
    trained, _ = load_autoencoder(ae_file)
    for features in (net.actor_encoder, net.critic_encoder):
        assert all(torch.equal(trained.encoder.state_dict()[k], v) for k, v in features.encoder.state_dict().items())
