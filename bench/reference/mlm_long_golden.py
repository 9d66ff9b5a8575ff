"""Writes src/test/resources/golden/mlm-long.json: 200 masked-LM steps computed by transformers.

The long counterpart of mlm_golden.py (4 steps): the fixture encoder (src/test/resources/fixtures/
tiny-roberta-klue-re, hidden 32) in transformers' RobertaForMaskedLM (eager attention, decoder tied
to the word embeddings, lm_head drawn from a fixed seed), 200 AdamW steps over the first 400 rows of
the bundled KLUE-RE sample (typed-punct markers, batch 8, four passes in a fixed order), the whole
schedule (linear warmup over 20 steps from lr 0, then linear decay to 0 at step 200), weight decay
0.5 (large enough that a wrong decay or no-decay set moves the logits far beyond the tolerance;
none on bias/LayerNorm), global-norm clip 1.0, dropout off. The masks are pinned: a 32-bit hash of
(step, running index of the maskable token) picks 15% of the non-special tokens and splits them
80/10/10 ([MASK], a random id, kept); MaskedLmLongGoldenTest computes the same hash, so the golden
holds no input ids, only the per-step learning rate, loss, gradient norm and number of masked
tokens and the sum of the masked input ids (so the encoding and the masks are checked too), every
parameter's L2 norm after the last step, and the whole 32,000-logit row at two
positions of the first batch with the final weights (eval mode).

The gradient norm is computed in float64 (torch's float32 norm of the 1M-element word-embedding
gradient is off by ~1e-4 relative); clipping uses it as torch.nn.utils.clip_grad_norm_ would.

Needs torch, transformers, tokenizers (pip). Run from the repository root:
  python3 bench/reference/mlm_long_golden.py
"""

import base64
import json
import math
import struct

import torch
from safetensors.torch import load_file
from torch import nn
from transformers import RobertaConfig, RobertaForMaskedLM

import typed_punct

FIXTURE = "src/test/resources/fixtures/tiny-roberta-klue-re"
SAMPLE = "src/main/resources/kret/data/klue-re-sample/train.json"
OUT = "src/test/resources/golden/mlm-long.json"
ROWS, BATCH, STEPS, WARMUP, LR, WD, CLIP, PROB = 400, 8, 200, 20, 1e-3, 0.5, 1.0, 0.15
M32 = 0xFFFFFFFF

torch.manual_seed(20261207)
raw = json.load(open(f"{FIXTURE}/config.json"))
cfg = RobertaConfig(**{k: v for k, v in raw.items() if k not in ("architectures",)})
cfg.hidden_dropout_prob = 0.0
cfg.attention_probs_dropout_prob = 0.0
cfg.tie_word_embeddings = True
cfg._attn_implementation = "eager"
tok = typed_punct.tokenizer(f"{FIXTURE}/vocab.txt")
MASK = tok.token_to_id("[MASK]")
SPECIAL = {tok.token_to_id(t) for t in ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]}
PAD = raw["pad_token_id"]
V = cfg.vocab_size

rows = json.load(open(SAMPLE, encoding="utf-8"))[:ROWS]
enc = [typed_punct.encode(tok, row)[0] for row in rows]
assert max(len(e) for e in enc) <= 512

model = RobertaForMaskedLM(cfg)
W = load_file(f"{FIXTURE}/model.safetensors")
W = {(k if k.startswith("roberta.") else "roberta." + k): v
     for k, v in W.items() if not k.startswith("classifier.") and not k.endswith("position_ids")}
missing, unexpected = model.load_state_dict(W, strict=False)
assert not unexpected, unexpected
assert all(k.startswith("lm_head.") for k in missing), missing
with torch.no_grad():
    model.lm_head.dense.weight.normal_(0, 0.02)
    model.lm_head.dense.bias.normal_(0, 0.02)
    model.lm_head.layer_norm.weight.normal_(1, 0.02)
    model.lm_head.layer_norm.bias.normal_(0, 0.02)
    model.lm_head.bias.normal_(0, 0.02)
assert model.lm_head.decoder.weight is model.roberta.embeddings.word_embeddings.weight
HEAD = ["lm_head.dense.weight", "lm_head.dense.bias", "lm_head.layer_norm.weight",
        "lm_head.layer_norm.bias", "lm_head.bias"]
state = dict(model.named_parameters())
head_init = {k: state[k].detach().clone() for k in HEAD}


def pinned(step, k):
    """The mask hash of the k-th maskable token (0-based, row-major over the batch) at a step."""
    h = ((k + 1) * 2654435761 + (step + 1) * 40503) & M32
    h ^= h >> 15
    h = (h * 2246822519) & M32
    h ^= h >> 13
    return h


def batch_rows(step):
    """Rows of a step: four passes over the 400 rows in the order 0, 7, 14, ... (mod 400)."""
    return [((step * BATCH + i) * 7) % ROWS for i in range(BATCH)]


def masked_batch(step):
    items = [enc[r] for r in batch_rows(step)]
    n = max(len(i) for i in items)
    ids = torch.full((len(items), n), PAD, dtype=torch.long)
    for r, it in enumerate(items):
        ids[r, :len(it)] = torch.tensor(it)
    inp, labels, k = ids.clone(), torch.full_like(ids, -100), 0
    for i in range(ids.shape[0]):
        for j in range(ids.shape[1]):
            t = int(ids[i, j])
            if t in SPECIAL:
                continue
            h = pinned(step, k)
            k += 1
            if h % 1000 >= PROB * 1000:
                continue
            labels[i, j] = t
            kind = (h >> 12) % 10
            if kind < 8:
                inp[i, j] = MASK
            elif kind == 8:
                inp[i, j] = (h >> 4) % V
    assert (labels != -100).any()
    return ids, inp, labels


no_decay = lambda n: n.endswith("bias") or "LayerNorm" in n or "layer_norm" in n
named = [(n, p) for n, p in model.named_parameters()]
opt = torch.optim.AdamW(
    [{"params": [p for n, p in named if not no_decay(n)], "weight_decay": WD},
     {"params": [p for n, p in named if no_decay(n)], "weight_decay": 0.0}],
    lr=LR, betas=(0.9, 0.999), eps=1e-8)
sched = torch.optim.lr_scheduler.LambdaLR(
    opt, lambda s: s / WARMUP if s < WARMUP else max(0.0, (STEPS - s) / (STEPS - WARMUP)))
model.train()
traj = []
for s in range(STEPS):
    ids, inp, labels = masked_batch(s)
    out = model(input_ids=inp, attention_mask=(ids != PAD).long(), labels=labels)
    opt.zero_grad()
    out.loss.backward()
    norm = math.sqrt(sum(float((p.grad.double() ** 2).sum()) for _, p in named))
    coef = min(1.0, CLIP / (norm + 1e-6))
    with torch.no_grad():
        for _, p in named:
            p.grad.mul_(coef)
    traj.append({"lr": sched.get_last_lr()[0], "loss": out.loss.item(), "grad_norm": norm,
                 "masked": int((labels != -100).sum()), "input_sum": int(inp.sum())})
    opt.step()
    sched.step()

model.eval()
with torch.no_grad():
    ids, inp, labels = masked_batch(0)
    logits = model(input_ids=inp, attention_mask=(ids != PAD).long()).logits
    n = ids.shape[1]
    flat = (labels.flatten() != -100).nonzero().flatten().tolist()
    picks = [flat[0], flat[-1]]
    final = {str(p): logits[p // n, p % n] for p in picks}
    norms = {n_: float(p.double().norm()) for n_, p in named}


def f32(t):
    return base64.b64encode(struct.pack(f"<{t.numel()}f", *t.flatten().tolist())).decode()


json.dump({
    "description": __doc__.strip().splitlines()[0]
    + " Generated by bench/reference/mlm_long_golden.py (torch " + torch.__version__ + ").",
    "rows": ROWS, "batch": BATCH, "steps": STEPS, "warmup_steps": WARMUP, "learning_rate": LR,
    "weight_decay": WD, "max_grad_norm": CLIP, "mlm_probability": PROB,
    "head_init": {k: {"shape": list(v.shape), "f32_le_base64": f32(v)} for k, v in head_init.items()},
    "trajectory": traj,
    "final_param_norms": norms,
    "final_logits": {k: {"shape": [V], "f32_le_base64": f32(v)} for k, v in final.items()},
}, open(OUT, "w"), indent=None)
print(json.dumps([traj[i] for i in (0, 1, 19, 20, 100, 199)]))
