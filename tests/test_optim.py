"""Dojo's Adam makes exactly PyTorch's Adam updates, and its state round-trips."""

import pytest
import torch
from torch import nn

from agents.optim import Adam


def make_net(seed):
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(4, 16), nn.Tanh(), nn.Linear(16, 3))


def train(net, optimizer, steps, lr_schedule=None):
    torch.manual_seed(1)
    for step in range(steps):
        if lr_schedule:
            optimizer.param_groups[0]["lr"] = lr_schedule(step)
        x = torch.randn(32, 4)
        loss = (net(x) - x[:, :3]).pow(2).mean()
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()


@pytest.mark.parametrize("schedule", [None, lambda step: 1e-2 * (1 - step / 50)])
def test_matches_torch_adam(schedule):
    ours, theirs = make_net(0), make_net(0)
    train(ours, Adam(ours.parameters(), lr=1e-2, eps=1e-5), 40, schedule)
    train(theirs, torch.optim.Adam(theirs.parameters(), lr=1e-2, eps=1e-5), 40, schedule)
    for a, b in zip(ours.parameters(), theirs.parameters()):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-6)


def test_state_round_trip_continues_identically():
    net, twin = make_net(0), make_net(0)
    optimizer = Adam(net.parameters(), lr=3e-3)
    train(net, optimizer, 10)
    twin.load_state_dict(net.state_dict())
    resumed = Adam(twin.parameters(), lr=1.0)
    resumed.load_state_dict(optimizer.state_dict())
    train(net, optimizer, 5)
    train(twin, resumed, 5)
    for a, b in zip(net.parameters(), twin.parameters()):
        assert torch.equal(a, b)


def test_frozen_parameters_are_skipped_and_mismatched_state_refused():
    net = make_net(0)
    net[0].weight.requires_grad_(False)
    optimizer = Adam(net.parameters(), lr=1e-2)
    frozen = net[0].weight.clone()
    train(net, optimizer, 3)
    assert torch.equal(net[0].weight, frozen)
    with pytest.raises(ValueError, match="does not match"):
        Adam(make_net(1).parameters(), lr=1e-2).load_state_dict(optimizer.state_dict())
