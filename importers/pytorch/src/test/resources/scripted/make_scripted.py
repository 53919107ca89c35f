# Generates scripted_net.pt and its references (run once with the venv; tests never run Python).
# /work/venv/bin/python make_scripted.py
import numpy as np
import torch
from torch import nn

torch.manual_seed(7)


class Block(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.conv = nn.Conv2d(c, c, 3, padding=1, groups=c, bias=False)
        self.bn = nn.BatchNorm2d(c, eps=1e-3)
        self.act = nn.ReLU6()

    def forward(self, x):
        return self.act(self.bn(self.conv(x)))


class ScriptedNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(3, 4, 3, stride=2, padding=1)
        self.body = nn.Sequential(Block(4), Block(4))
        self.norm = nn.LayerNorm([4], eps=1e-6)
        self.head = nn.Linear(4, 3)

    def forward(self, x):
        y = self.body(self.stem(x))
        if y.shape[0] > 0:
            y = y.mean(dim=[2, 3])
        return self.head(self.norm(y))


m = ScriptedNet().eval()
for bn in [m.body[0].bn, m.body[1].bn]:
    bn.running_mean.uniform_(-0.5, 0.5)
    bn.running_var.uniform_(0.5, 2.0)
s = torch.jit.script(m)
s.save("scripted_net.pt")
x = torch.ones(1, 3, 8, 8)
rec = {}
hooks = [mod.register_forward_hook(lambda mm, i, o, n=n: rec.setdefault(n, o.detach().clone()))
         for n, mod in m.named_modules() if n]
with torch.no_grad():
    out = m(x)
    np.save("ones.out.npy", out.numpy().astype(np.float32))
    np.save("ones.body.0.bn.npy", rec["body.0.bn"].numpy().astype(np.float32))
    np.save("ones.body.npy", rec["body"].numpy().astype(np.float32))
    assert torch.allclose(s(x), out, atol=1e-6)
