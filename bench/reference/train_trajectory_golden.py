"""Writes src/test/resources/golden/train-trajectory.json: a training trajectory computed by PyTorch.

The fixture model (src/test/resources/fixtures/tiny-roberta-klue-re, hidden 32) gets an entity-start head
(dense 2H->H, ReLU, out_proj H->30) drawn here from a fixed seed; then 8 AdamW steps (wd 0.01, none on
bias/LayerNorm; linear warmup over 2 of 8 steps to lr 1e-3, then linear decay; global-norm clip
0.5; dropout off) run on the first 64 rows of the bundled KLUE-RE sample with typed-punct markers,
batch 8, dynamic padding. TrainTrajectoryGoldenTest runs the same steps with kret's engine and
must match the per-step loss, gradient norm and final logits.

Needs torch, tokenizers and safetensors (pip). Run from the repository root:
  python3 bench/reference/train_trajectory_golden.py
"""

import base64
import json
import struct

import torch
from safetensors.torch import load_file
from torch import nn

import typed_punct

FIXTURE = "src/test/resources/fixtures/tiny-roberta-klue-re"
SAMPLE = "src/main/resources/kret/data/klue-re-sample/train.json"
OUT = "src/test/resources/golden/train-trajectory.json"
ROWS, BATCH, STEPS, WARMUP, LR, WD, CLIP = 64, 8, 8, 2, 1e-3, 0.01, 0.5

torch.manual_seed(20261129)
cfg = json.load(open(f"{FIXTURE}/config.json"))
H, NL, NH, PAD, EPS = (cfg["hidden_size"], cfg["num_hidden_layers"], cfg["num_attention_heads"],
                       cfg["pad_token_id"], cfg["layer_norm_eps"])
labels = [cfg["id2label"][str(i)] for i in range(len(cfg["id2label"]))]
tok = typed_punct.tokenizer(f"{FIXTURE}/vocab.txt")


rows = json.load(open(SAMPLE, encoding="utf-8"))[:ROWS]
enc = []
for row in rows:
    ids, si, oi = typed_punct.encode(tok, row)
    enc.append((ids, si, oi, labels.index(row["label"])))

W = {k: v.double() for k, v in load_file(f"{FIXTURE}/model.safetensors").items()}
W = {(k if k.startswith("roberta.") or k.startswith("classifier.") else "roberta." + k): v
     for k, v in W.items() if not k.endswith("position_ids")}
W["classifier.dense.weight"] = torch.randn(H, 2 * H, dtype=torch.float64) * 0.02
W["classifier.dense.bias"] = torch.randn(H, dtype=torch.float64) * 0.02
W["classifier.out_proj.weight"] = torch.randn(len(labels), H, dtype=torch.float64) * 0.02
W["classifier.out_proj.bias"] = torch.randn(len(labels), dtype=torch.float64) * 0.02
W = {k: v.float() for k, v in W.items()}
head_init = {k: W[k] for k in W if k.startswith("classifier.")}
P = {k: nn.Parameter(v.clone()) for k, v in W.items()}


def lin(x, name):
    return x @ P[name + ".weight"].T + P[name + ".bias"]


def ln(x, name):
    return nn.functional.layer_norm(x, (H,), P[name + ".weight"], P[name + ".bias"], EPS)


def logits(ids, si, oi):
    mask = (ids != PAD).long()
    pos = torch.cumsum(mask, 1) * mask + PAD
    x = (P["roberta.embeddings.word_embeddings.weight"][ids]
         + P["roberta.embeddings.position_embeddings.weight"][pos]
         + P["roberta.embeddings.token_type_embeddings.weight"][torch.zeros_like(ids)])
    x = ln(x, "roberta.embeddings.LayerNorm")
    b, t = ids.shape
    hd = H // NH
    add = (1.0 - mask.float())[:, None, None, :] * torch.finfo(torch.float32).min
    for l in range(NL):
        p = f"roberta.encoder.layer.{l}."
        q = lin(x, p + "attention.self.query").view(b, t, NH, hd).transpose(1, 2)
        k = lin(x, p + "attention.self.key").view(b, t, NH, hd).transpose(1, 2)
        v = lin(x, p + "attention.self.value").view(b, t, NH, hd).transpose(1, 2)
        a = torch.softmax(q @ k.transpose(-1, -2) / hd ** 0.5 + add, -1)
        ctx = (a @ v).transpose(1, 2).reshape(b, t, H)
        x = ln(lin(ctx, p + "attention.output.dense") + x, p + "attention.output.LayerNorm")
        inter = nn.functional.gelu(lin(x, p + "intermediate.dense"))
        x = ln(lin(inter, p + "output.dense") + x, p + "output.LayerNorm")
    r = torch.arange(b)
    h = torch.cat([x[r, si], x[r, oi]], -1)
    return lin(torch.relu(lin(h, "classifier.dense")), "classifier.out_proj")


def batch(items):
    n = max(len(i[0]) for i in items)
    ids = torch.full((len(items), n), PAD, dtype=torch.long)
    for k, it in enumerate(items):
        ids[k, :len(it[0])] = torch.tensor(it[0])
    return (ids, torch.tensor([i[1] for i in items]), torch.tensor([i[2] for i in items]),
            torch.tensor([i[3] for i in items]))


no_decay = lambda n: n.endswith(".bias") or "LayerNorm" in n
opt = torch.optim.AdamW(
    [{"params": [p for n, p in P.items() if not no_decay(n)], "weight_decay": WD},
     {"params": [p for n, p in P.items() if no_decay(n)], "weight_decay": 0.0}],
    lr=LR, betas=(0.9, 0.999), eps=1e-8)
sched = torch.optim.lr_scheduler.LambdaLR(
    opt, lambda s: s / WARMUP if s < WARMUP else max(0.0, (STEPS - s) / (STEPS - WARMUP)))
steps = []
for s in range(STEPS):
    ids, si, oi, y = batch(enc[s * BATCH:(s + 1) * BATCH])
    loss = nn.functional.cross_entropy(logits(ids, si, oi), y)
    opt.zero_grad()
    loss.backward()
    norm = nn.utils.clip_grad_norm_(list(P.values()), CLIP)
    steps.append({"loss": loss.item(), "grad_norm": norm.item(), "lr": sched.get_last_lr()[0]})
    opt.step()
    sched.step()

with torch.no_grad():
    ids, si, oi, y = batch(enc[:BATCH])
    final = logits(ids, si, oi)


def f32(t):
    return base64.b64encode(struct.pack(f"<{t.numel()}f", *t.flatten().tolist())).decode()


json.dump({
    "description": __doc__.strip().splitlines()[0]
    + " Generated by bench/reference/train_trajectory_golden.py (torch " + torch.__version__ + ").",
    "rows": ROWS, "batch": BATCH, "steps": STEPS, "warmup_steps": WARMUP, "learning_rate": LR,
    "weight_decay": WD, "max_grad_norm": CLIP,
    "head_init": {k: {"shape": list(v.shape), "f32_le_base64": f32(v)} for k, v in head_init.items()},
    "encoded": [{"ids": e[0], "subject": e[1], "object": e[2], "label": e[3]} for e in enc],
    "trajectory": steps,
    "final_logits_first_batch": final.tolist(),
}, open(OUT, "w"), indent=1)
print(json.dumps(steps, indent=0))
