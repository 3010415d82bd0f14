"""The valid-window average pool (naspred.spaces.pooling) is NB201's and DARTS's
``nn.AvgPool2d(3, s, 1, count_include_pad=False)`` with another kernel underneath."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from naspred.proxies import score_archs
from naspred.spaces import get_space
from naspred.spaces.nasbench201 import NasBench201Arch
from naspred.spaces.pooling import ValidAvgPool2d


@pytest.mark.parametrize(
    ("shape", "stride"),
    [((3, 5, 32, 32), 1), ((2, 4, 15, 15), 2), ((2, 1, 16, 52), 1), ((1, 2, 7, 9), 2)],
)
def test_it_equals_pytorchs_pool_and_its_gradient(shape: tuple[int, ...], stride: int) -> None:
    x = torch.randn(*shape, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    x.requires_grad_()
    ours = ValidAvgPool2d(3, stride=stride, padding=1)(x)
    ref = F.avg_pool2d(x, 3, stride, 1, count_include_pad=False)
    assert ours.shape == ref.shape
    torch.testing.assert_close(ours, ref, rtol=0, atol=1e-15)
    weights = torch.randn(ref.shape, dtype=torch.float64)
    (g_ours,) = torch.autograd.grad((ours * weights).sum(), x)
    (g_ref,) = torch.autograd.grad((ref * weights).sum(), x)
    torch.testing.assert_close(g_ours, g_ref, rtol=0, atol=1e-15)
    # a corner window holds 4 elements: the average of x[0, 0, :2, :2], not a ninth of it
    assert float(ours[0, 0, 0, 0]) == pytest.approx(float(x[0, 0, :2, :2].mean()))


def test_it_is_still_an_avg_pool_module() -> None:
    """FLOP counting and code that looks for pooling layers see what they saw before."""
    pool = ValidAvgPool2d(3, stride=1, padding=1)
    assert isinstance(pool, nn.AvgPool2d) and not pool.count_include_pad
    assert pool.state_dict() == {}
    net = get_space("nasbench201").build_network(NasBench201Arch((4, 4, 4, 4, 4, 4)), "cifar10")
    assert sum(isinstance(m, ValidAvgPool2d) for m in net.modules()) == 6 * 15


def test_proxy_scores_on_pooling_cells_are_those_of_pytorchs_kernel(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    space = get_space("nasbench201")
    archs = [NasBench201Arch((4, 4, 1, 3, 4, 3)), NasBench201Arch((4, 4, 4, 4, 4, 4))]
    g = torch.Generator().manual_seed(1)
    batch = torch.randn(8, 3, 32, 32, generator=g), torch.randint(0, 10, (8,), generator=g)
    names = ["grad_norm", "snip", "grasp", "fisher", "jacov", "synflow", "nwot"]
    ours, _ = score_archs(space, archs, names, "cifar10", batch)
    monkeypatch.setattr(ValidAvgPool2d, "forward", nn.AvgPool2d.forward)
    ref, _ = score_archs(space, archs, names, "cifar10", batch)
    for name in names:
        # float32 sums in another order: a few ulp, grown by grasp's double backward
        np.testing.assert_allclose(ours[name], ref[name], rtol=2e-5, err_msg=name)
