"""The two sample architectures. Both follow Arbor's forward convention:
forward(*args) -> Tensor[B, num_outputs] float32, args being the signature's inputs in order,
an id_list input expanding to two args (values int64 [N], offsets int64 [B])."""

import torch
from torch import nn

ID_VOCAB = 1000  # ids are folded into the embedding tables with a remainder


def _mlp(sizes):
    layers = []
    for i in range(len(sizes) - 1):
        layers.append(nn.Linear(sizes[i], sizes[i + 1]))
        if i < len(sizes) - 2:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


class DenseNorm(nn.Module):
    """Standardises dense columns with statistics measured on the sample data (baked into the model)."""

    def __init__(self, mean, std):
        super().__init__()
        self.register_buffer("mean", torch.tensor(mean, dtype=torch.float32))
        self.register_buffer("inv_std", torch.tensor([1.0 / s for s in std], dtype=torch.float32))

    def forward(self, x):
        return (x - self.mean) * self.inv_std


class Dlrm(nn.Module):
    """DLRM-like: bottom MLP over dense features, projected vectors and EmbeddingBags over id lists
    as sparse embeddings, pairwise dot-product interaction, top MLP, one sigmoid output."""

    def __init__(self, signature, stats, emb_dim=16):
        super().__init__()
        self.kinds = [i["kind"] for i in signature["inputs"]]
        self.norms = nn.ModuleList()
        self.bottoms = nn.ModuleList()
        self.projections = nn.ModuleList()
        self.bags = nn.ModuleList()
        for spec in signature["inputs"]:
            if spec["kind"] == "dense":
                mean, std = stats[spec["name"]]
                self.norms.append(DenseNorm(mean, std))
                self.bottoms.append(_mlp([len(spec["features"]), 64, emb_dim]))
            elif spec["kind"] == "vector":
                self.projections.append(nn.Linear(spec["dim"], emb_dim))
            else:
                self.bags.append(nn.EmbeddingBag(ID_VOCAB, emb_dim, mode="sum"))
        n = len(self.kinds)
        pairs = n * (n - 1) // 2
        triu = torch.triu_indices(n, n, offset=1)
        self.register_buffer("rows", triu[0].clone())
        self.register_buffer("cols", triu[1].clone())
        self.top = _mlp([emb_dim * len(self.bottoms) + pairs, 64, 32, 1])

    def forward(self, *args):
        embeddings = []
        bottoms = []
        a = d = v = b = 0
        for kind in self.kinds:
            if kind == "dense":
                out = torch.relu(self.bottoms[d](self.norms[d](args[a])))
                bottoms.append(out)
                embeddings.append(out)
                d += 1
                a += 1
            elif kind == "vector":
                embeddings.append(self.projections[v](args[a]))
                v += 1
                a += 1
            else:
                values = torch.remainder(args[a], ID_VOCAB)
                embeddings.append(self.bags[b](values, args[a + 1]))
                b += 1
                a += 2
        stacked = torch.stack(embeddings, dim=1)
        interactions = torch.bmm(stacked, stacked.transpose(1, 2))[:, self.rows, self.cols]
        return torch.sigmoid(self.top(torch.cat(bottoms + [interactions], dim=1)))


class WideDeepMultiTask(nn.Module):
    """Wide-and-deep with several heads: a deep tower over standardised dense features, pretrained
    embeddings as given and mean-pooled id embeddings; a wide part (linear over dense features plus
    per-id weights); one sigmoid per output."""

    def __init__(self, signature, stats, emb_dim=16, hidden=(128, 64)):
        super().__init__()
        self.kinds = [i["kind"] for i in signature["inputs"]]
        outputs = len(signature["outputs"])
        self.norms = nn.ModuleList()
        self.wide_dense = nn.ModuleList()
        self.deep_bags = nn.ModuleList()
        self.wide_bags = nn.ModuleList()
        deep_in = 0
        for spec in signature["inputs"]:
            if spec["kind"] == "dense":
                mean, std = stats[spec["name"]]
                self.norms.append(DenseNorm(mean, std))
                self.wide_dense.append(nn.Linear(len(spec["features"]), outputs, bias=False))
                deep_in += len(spec["features"])
            elif spec["kind"] == "vector":
                deep_in += spec["dim"]
            else:
                self.deep_bags.append(nn.EmbeddingBag(ID_VOCAB, emb_dim, mode="mean"))
                bag = nn.EmbeddingBag(ID_VOCAB, outputs, mode="sum")
                nn.init.normal_(bag.weight, 0.0, 0.05)
                self.wide_bags.append(bag)
                deep_in += emb_dim
        self.deep = nn.Sequential(_mlp([deep_in, *hidden]), nn.ReLU(), nn.Linear(hidden[-1], outputs))

    def forward(self, *args):
        deep_parts = []
        wide_parts = []
        a = d = b = 0
        for kind in self.kinds:
            if kind == "dense":
                x = self.norms[d](args[a])
                deep_parts.append(x)
                wide_parts.append(self.wide_dense[d](x))
                d += 1
                a += 1
            elif kind == "vector":
                deep_parts.append(args[a])
                a += 1
            else:
                values = torch.remainder(args[a], ID_VOCAB)
                deep_parts.append(self.deep_bags[b](values, args[a + 1]))
                wide_parts.append(self.wide_bags[b](values, args[a + 1]))
                b += 1
                a += 2
        logits = self.deep(torch.cat(deep_parts, dim=1))
        for part in wide_parts:
            logits = logits + part
        return torch.sigmoid(logits)


ARCHITECTURES = {"dlrm": Dlrm, "wide_deep_mt": WideDeepMultiTask}
