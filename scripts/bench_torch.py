#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR MIT
"""The PyTorch twin of koracle's float TCN (user/tcn.c), for `make bench`.

Reads the training windows `koracle train --export-windows FILE` wrote and
trains the same architecture (summed embeddings, residual blocks of two causal
dilated convolutions with ReLU, per-slot head with masking, cross-entropy past
the warm-up, AdamW, global-norm clipping) with the same batch size, step count
and thread count, then prints `windows_per_s N`. Throughput only: the bench
compares it with the C trainer's rate on the same bytes.
"""
import argparse
import struct
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

SKIP = 255


def load(path):
    with open(path, "rb") as f:
        b = f.read()
    if b[:8] != b"KOWIN1\0\0":
        sys.exit(f"bench_torch: {path}: not a koracle window export")
    T, Fe, K, G, warm, nwin, mask, ignore = struct.unpack("<8I", b[8:40])
    evv = list(b[40:40 + Fe])
    sfv = list(b[40 + Fe:40 + Fe + G])
    off = 40 + Fe + G
    wb = T * (Fe + K * G + 1)
    if nwin == 0 or len(b) < off + nwin * wb:
        sys.exit(f"bench_torch: {path}: truncated or empty")
    raw = torch.frombuffer(bytearray(b[off:off + nwin * wb]),
                           dtype=torch.uint8).view(nwin, wb)
    ev = raw[:, :T * Fe].reshape(nwin, T, Fe).long()
    slot = raw[:, T * Fe:T * Fe + T * K * G].reshape(nwin, T, K, G).long()
    lab = raw[:, T * Fe + T * K * G:].reshape(nwin, T).long().clone()
    lab[:, :warm] = SKIP
    # a label naming an empty slot is not scored (as in user/tcn_layers.c)
    occ = slot[..., mask] != 0                                  # (N,T,K)
    pick = lab.clamp(max=K - 1)
    bad = (lab < K) & ~occ.gather(2, pick.unsqueeze(2)).squeeze(2)
    lab[bad] = SKIP
    used = [f for f in range(Fe) if not ignore >> f & 1]
    return dict(T=T, K=K, mask=mask, evv=evv, sfv=sfv, ev=ev, slot=slot,
                lab=lab, used=used)


class TCN(nn.Module):
    def __init__(self, evv, sfv, K, C, B, k, H, mask, used):
        super().__init__()
        self.K, self.H, self.k, self.mask = K, H, k, mask
        self.used = used    # event features that feed the input
        self.register_buffer("ev_off", torch.tensor([0] + evv[:-1]).cumsum(0))
        self.register_buffer("sf_off", torch.tensor([0] + sfv[:-1]).cumsum(0))
        self.emb_ev = nn.Embedding(sum(evv), C)
        self.convs = nn.ModuleList(
            nn.ModuleList([nn.Conv1d(C, C, k, dilation=2 ** b),
                           nn.Conv1d(C, C, k, dilation=2 ** b)])
            for b in range(B))
        self.head = nn.Linear(C, H + 1)
        self.emb_slot = nn.Embedding(sum(sfv), H)
        self.v = nn.Linear(H, 1, bias=False)

    def forward(self, ev, slot):
        x = self.emb_ev((ev + self.ev_off)[..., self.used])
        x = x.sum(2).transpose(1, 2)                                # (N,C,T)
        for b, (c1, c2) in enumerate(self.convs):
            pad = (self.k - 1) * 2 ** b
            u = F.relu(c1(F.pad(x, (pad, 0))))
            x = x + F.relu(c2(F.pad(u, (pad, 0))))
        hz = self.head(x.transpose(1, 2))                           # (N,T,H+1)
        z = F.relu(hz[..., :self.H].unsqueeze(2) +
                   self.emb_slot(slot + self.sf_off).sum(3))        # (N,T,K,H)
        sc = self.v(z).squeeze(-1)                                  # (N,T,K)
        sc = sc.masked_fill(slot[..., self.mask] == 0, float("-inf"))
        return torch.cat([sc, hz[..., self.H:]], -1)                # (N,T,K+1)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("windows")
    ap.add_argument("--channels", type=int, default=16)
    ap.add_argument("--blocks", type=int, default=3)
    ap.add_argument("--kernel", type=int, default=2)
    ap.add_argument("--hidden", type=int, default=16)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--steps", type=int, default=500)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--lr", type=float, default=1e-2)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()

    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    d = load(a.windows)
    m = TCN(d["evv"], d["sfv"], d["K"], a.channels, a.blocks, a.kernel,
            a.hidden, d["mask"], d["used"])
    opt = torch.optim.AdamW(m.parameters(), lr=a.lr, weight_decay=1e-4)
    n = d["ev"].shape[0]
    g = torch.Generator().manual_seed(a.seed)
    t0 = time.monotonic()
    for _ in range(a.steps):
        idx = torch.randint(0, n, (a.batch,), generator=g)
        logits = m(d["ev"][idx], d["slot"][idx])
        loss = F.cross_entropy(logits.reshape(-1, d["K"] + 1),
                               d["lab"][idx].reshape(-1), ignore_index=SKIP)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        nn.utils.clip_grad_norm_(m.parameters(), 1.0)
        opt.step()
    dt = time.monotonic() - t0
    print(f"windows_per_s {a.steps * a.batch / dt:.0f}")
    print(f"final_loss {loss.item():.4f}")


if __name__ == "__main__":
    main()
