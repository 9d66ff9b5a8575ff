"""Writes src/test/resources/golden/mlm-steps.json: masked-LM training steps computed by transformers.

The fixture encoder (src/test/resources/fixtures/tiny-roberta-klue-re, hidden 32) in transformers'
RobertaForMaskedLM, whose lm_head (dense, gelu, LayerNorm, decoder tied to the word embeddings, bias)
is drawn here from a fixed seed; then 4 AdamW steps (wd 0.01, none on bias/LayerNorm; linear warmup
over 1 of 4 steps to lr 1e-3, then linear decay; global-norm clip 1.0; dropout off) on the first 32
rows of the bundled KLUE-RE sample with typed-punct markers, batch 8. The masked inputs are fixed
here (every 5th maskable token: 80/10/10 split by position), so the golden file holds the inputs,
positions and targets. MaskedLmGoldenTest runs the same steps with kret's MaskedLmHead and must
match the per-step loss and gradient norm and the final weights' logits.

Needs torch, transformers, tokenizers and safetensors (pip). Run from the repository root:
  python3 bench/reference/mlm_golden.py
"""

import base64
import json
import struct

import torch
from safetensors.torch import load_file
from torch import nn
from transformers import RobertaConfig, RobertaForMaskedLM

import typed_punct

FIXTURE = "src/test/resources/fixtures/tiny-roberta-klue-re"
SAMPLE = "src/main/resources/kret/data/klue-re-sample/train.json"
OUT = "src/test/resources/golden/mlm-steps.json"
ROWS, BATCH, STEPS, WARMUP, LR, WD, CLIP = 32, 8, 4, 1, 1e-3, 0.01, 1.0

torch.manual_seed(20261130)
raw = json.load(open(f"{FIXTURE}/config.json"))
cfg = RobertaConfig(**{k: v for k, v in raw.items() if k not in ("architectures",)})
cfg.hidden_dropout_prob = 0.0
cfg.attention_probs_dropout_prob = 0.0
cfg.tie_word_embeddings = True
tok = typed_punct.tokenizer(f"{FIXTURE}/vocab.txt")
MASK = tok.token_to_id("[MASK]")
SPECIAL = {tok.token_to_id(t) for t in ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]}
PAD = raw["pad_token_id"]

rows = json.load(open(SAMPLE, encoding="utf-8"))[:ROWS]
enc = [typed_punct.encode(tok, row)[0] for row in rows]

model = RobertaForMaskedLM(cfg)
W = load_file(f"{FIXTURE}/model.safetensors")
W = {(k if k.startswith("roberta.") else "roberta." + k): v
     for k, v in W.items() if not k.startswith("classifier.") and not k.endswith("position_ids")}
missing, unexpected = model.load_state_dict(W, strict=False)
assert not unexpected, unexpected
assert all(k.startswith("lm_head.") for k in missing), missing
H = cfg.hidden_size
with torch.no_grad():
    model.lm_head.dense.weight.normal_(0, 0.02)
    model.lm_head.dense.bias.normal_(0, 0.02)
    model.lm_head.layer_norm.weight.normal_(1, 0.02)
    model.lm_head.layer_norm.bias.normal_(0, 0.02)
    model.lm_head.bias.normal_(0, 0.02)
assert model.lm_head.decoder.weight is model.roberta.embeddings.word_embeddings.weight
head_init = {
    "lm_head.dense.weight": model.lm_head.dense.weight,
    "lm_head.dense.bias": model.lm_head.dense.bias,
    "lm_head.layer_norm.weight": model.lm_head.layer_norm.weight,
    "lm_head.layer_norm.bias": model.lm_head.layer_norm.bias,
    "lm_head.bias": model.lm_head.bias,
}
head_init = {k: v.detach().clone() for k, v in head_init.items()}


def masked_batch(items, step):
    """Every 5th maskable token (offset by the step) is predicted: 80% [MASK], 10% random, 10% kept."""
    n = max(len(i) for i in items)
    ids = torch.full((len(items), n), PAD, dtype=torch.long)
    for k, it in enumerate(items):
        ids[k, :len(it)] = torch.tensor(it)
    inp, labels, positions, targets, seen = ids.clone(), torch.full_like(ids, -100), [], [], 0
    for i in range(ids.shape[0]):
        for j in range(ids.shape[1]):
            t = int(ids[i, j])
            if t in SPECIAL:
                continue
            seen += 1
            if (seen + step) % 5:
                continue
            labels[i, j] = t
            positions.append(i * n + j)
            targets.append(t)
            kind = len(positions) % 10
            if kind < 8:
                inp[i, j] = MASK
            elif kind == 8:
                inp[i, j] = (t * 7919 + 13) % cfg.vocab_size
    return ids, inp, labels, positions, targets


no_decay = lambda n: n.endswith("bias") or "LayerNorm" in n or "layer_norm" in n
named = list(model.named_parameters())
opt = torch.optim.AdamW(
    [{"params": [p for n, p in named if not no_decay(n)], "weight_decay": WD},
     {"params": [p for n, p in named if no_decay(n)], "weight_decay": 0.0}],
    lr=LR, betas=(0.9, 0.999), eps=1e-8)
sched = torch.optim.lr_scheduler.LambdaLR(
    opt, lambda s: s / WARMUP if s < WARMUP else max(0.0, (STEPS - s) / (STEPS - WARMUP)))
model.train()
steps = []
for s in range(STEPS):
    ids, inp, labels, positions, targets = masked_batch(enc[s * BATCH:(s + 1) * BATCH], s)
    out = model(input_ids=inp, attention_mask=(ids != PAD).long(), labels=labels)
    opt.zero_grad()
    out.loss.backward()
    norm = nn.utils.clip_grad_norm_([p for _, p in named], CLIP)
    steps.append({"input_ids": inp.tolist(), "attention_mask": (ids != PAD).long().tolist(),
                  "positions": positions, "targets": targets, "loss": out.loss.item(),
                  "grad_norm": norm.item(), "lr": sched.get_last_lr()[0]})
    opt.step()
    sched.step()

model.eval()
with torch.no_grad():
    first = steps[0]
    logits = model(input_ids=torch.tensor(first["input_ids"]),
                   attention_mask=torch.tensor(first["attention_mask"])).logits
    n = logits.shape[1]
    final = [logits[p // n, p % n, :16].tolist() for p in first["positions"][:4]]


def f32(t):
    return base64.b64encode(struct.pack(f"<{t.numel()}f", *t.flatten().tolist())).decode()


json.dump({
    "description": __doc__.strip().splitlines()[0]
    + " Generated by bench/reference/mlm_golden.py (torch " + torch.__version__ + ").",
    "batch": BATCH, "steps": STEPS, "warmup_steps": WARMUP, "learning_rate": LR,
    "weight_decay": WD, "max_grad_norm": CLIP,
    "head_init": {k: {"shape": list(v.shape), "f32_le_base64": f32(v)} for k, v in head_init.items()},
    "trajectory": steps,
    "final_logits_first_positions": final,
}, open(OUT, "w"), indent=None)
print(json.dumps([{k: v for k, v in s.items() if k in ("loss", "grad_norm", "lr")} for s in steps]))
