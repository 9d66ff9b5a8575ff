"""Replays a masked-LM trace that kret wrote (MaskedLmTrace) in transformers and compares step by step.

The trace holds kret's initial weights (init.safetensors: encoder and lm_head) and, per step, the
masked batch kret drew (input ids, attention mask, flat positions, targets), its learning rate, loss,
gradient norm, every tensor's gradient norm (first --gradSteps steps) and every tensor's L2 norm
after the step. This script builds transformers' RobertaModel (eager attention) and RobertaLMHead
(decoder tied to the word embeddings) on the same weights, runs the same steps with
torch.optim.AdamW (decay 0.01 or --wd, none on bias/LayerNorm), clip 1.0 and the traced learning
rates, and prints where the two part: per step the loss, gradient-norm and weight-norm differences,
the tensors whose gradient norms part most, and at the end the tensors whose weights part most.

With --dropout P torch's generator is reseeded with kret's dropout_seed at each epoch. kret's
dropout is libtorch's, called in the same order as transformers calls it, so with the same libtorch
(2.7.1) both draw the same dropout masks and the trajectories coincide step by step (bench/README.md,
"Narrowing the masked-LM gap"); with another libtorch compare the loss curves statistically.

Needs torch, transformers, safetensors (pip). Not part of the build:
  python3 bench/reference/mlm_trace_replay.py TRACE_DIR [--dropout 0.1] [--wd 0.01] [--ln-eps 1e-12]
"""

import argparse
import json
import math

import torch
from safetensors.torch import load_file
from torch import nn
from transformers import RobertaConfig, RobertaModel

p = argparse.ArgumentParser()
p.add_argument("trace")
p.add_argument("--dropout", type=float, default=0.0)
p.add_argument("--wd", type=float, default=0.01)
p.add_argument("--every", type=int, default=25)
p.add_argument("--ln-eps", type=float, default=1e-5, help="LayerNorm eps on the torch side (kret: 1e-5)")
p.add_argument("--top", type=int, default=8, help="tensors listed where gradient/weight norms part most")
p.add_argument("--steps", type=int, default=0, help="stop after this many steps (0: all)")
p.add_argument("--no-seed", action="store_true", help="do not reseed torch per epoch")
args = p.parse_args()

W = load_file(f"{args.trace}/init.safetensors")
V, H = W["roberta.embeddings.word_embeddings.weight"].shape
L = 1 + max(int(k.split(".")[3]) for k in W if k.startswith("roberta.encoder.layer."))
I = W["roberta.encoder.layer.0.intermediate.dense.weight"].shape[0]
cfg = RobertaConfig(
    vocab_size=V, hidden_size=H, num_hidden_layers=L, num_attention_heads=4, intermediate_size=I,
    max_position_embeddings=514, type_vocab_size=1, pad_token_id=1, bos_token_id=0, eos_token_id=2,
    hidden_dropout_prob=args.dropout, attention_probs_dropout_prob=args.dropout,
    layer_norm_eps=args.ln_eps,
)
cfg._attn_implementation = "eager"
enc = RobertaModel(cfg, add_pooling_layer=False)
missing, unexpected = enc.load_state_dict(
    {k[len("roberta."):]: v for k, v in W.items() if k.startswith("roberta.")}, strict=False)
assert not [m for m in missing if "position_ids" not in m], missing


class LmHead(nn.Module):
    """RobertaLMHead: dense, gelu, LayerNorm, decoder tied to the word embeddings, bias."""

    def __init__(self, emb):
        super().__init__()
        self.dense = nn.Linear(H, H)
        self.layer_norm = nn.LayerNorm(H, eps=args.ln_eps)
        self.emb = emb
        self.bias = nn.Parameter(torch.zeros(V))

    def forward(self, h):
        return self.layer_norm(nn.functional.gelu(self.dense(h))) @ self.emb.weight.t() + self.bias


lm = LmHead(enc.embeddings.word_embeddings)
with torch.no_grad():
    lm.dense.weight.copy_(W["lm_head.dense.weight"])
    lm.dense.bias.copy_(W["lm_head.dense.bias"])
    lm.layer_norm.weight.copy_(W["lm_head.layer_norm.weight"])
    lm.layer_norm.bias.copy_(W["lm_head.layer_norm.bias"])
    lm.bias.copy_(W["lm_head.bias"])

named = [(f"roberta.{n}", q) for n, q in enc.named_parameters()]
named += [(f"lm_head.{n}", q) for n, q in lm.named_parameters() if not n.startswith("emb.")]
nd = lambda n: n.endswith("bias") or "LayerNorm" in n or "layer_norm" in n
opt = torch.optim.AdamW(
    [{"params": [q for n, q in named if not nd(n)], "weight_decay": args.wd},
     {"params": [q for n, q in named if nd(n)], "weight_decay": 0.0}],
    lr=0.0, betas=(0.9, 0.999), eps=1e-8)
params = [q for _, q in named]

enc.train()
epoch, worst = None, (0.0, -1)
for line in open(f"{args.trace}/steps.jsonl"):
    s = json.loads(line)
    if args.steps and s["step"] >= args.steps:
        break
    if s["epoch"] != epoch and not args.no_seed:
        epoch = s["epoch"]
        torch.manual_seed(s["dropout_seed"])
    ids = torch.tensor(s["ids"])
    mask = torch.tensor(s["mask"])
    pos = torch.tensor(s["positions"])
    tgt = torch.tensor(s["targets"])
    for g in opt.param_groups:
        g["lr"] = s["lr"]
    h = enc(input_ids=ids, attention_mask=mask).last_hidden_state
    loss = nn.functional.cross_entropy(lm(h.reshape(-1, H)[pos]), tgt)
    opt.zero_grad()
    loss.backward()
    if "grad_norms" in s:
        worst_g = sorted(
            ((abs(float(q.grad.double().norm()) - s["grad_norms"][n]), n, float(q.grad.double().norm()),
              s["grad_norms"][n]) for n, q in named if n in s["grad_norms"]), reverse=True)[:args.top]
        for d, n, a, b in worst_g:
            print(f"step {s['step']:4d} grad norm {n}: torch {a:.7g} kret {b:.7g} (d {a - b:+.2e})")
    norm = nn.utils.clip_grad_norm_(params, 1.0).item()
    opt.step()
    with torch.no_grad():
        pn = math.sqrt(sum(float((q.double() ** 2).sum()) for q in params))
    dl = loss.item() - s["loss"]
    if abs(dl) > worst[0]:
        worst = (abs(dl), s["step"])
    if s["step"] % args.every == 0 or abs(dl) > 1e-3:
        print(f"step {s['step']:4d} lr {s['lr']:.2e}  loss torch {loss.item():.6f} kret {s['loss']:.6f}"
              f" (d {dl:+.2e})  gnorm d {norm - s['grad_norm']:+.2e}  pnorm torch {pn:.4f}"
              f" kret {s['param_norm']:.4f} (d {pn - s['param_norm']:+.2e})", flush=True)
print(f"largest loss difference {worst[0]:.2e} at step {worst[1]}")
if "param_norms" in s:
    with torch.no_grad():
        rows = sorted(((abs(float(q.double().norm()) - s["param_norms"][n]) / max(1e-12, s["param_norms"][n]), n,
                        float(q.double().norm()), s["param_norms"][n]) for n, q in named), reverse=True)
    for d, n, a, b in rows[:args.top]:
        print(f"after step {s['step']}: {n} norm torch {a:.7g} kret {b:.7g} (relative d {d:.2e})")
