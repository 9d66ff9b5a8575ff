"""PyTorch eager reference for bench/klue-re-scratch.yaml (optional; not part of the build).

The same recipe as kret's quality benchmark, written with Hugging Face transformers' RobertaModel:
2 layers x hidden 128 (4 heads, FFN 512) from random init, typed-punct entity markers, the two
entity-start states concatenated, 4 epochs, lr 1e-3, batch 32, 10% linear warmup then linear decay,
AdamW (wd 0.01, none on bias/LayerNorm), global-norm clip 1.0, dropout 0.1. Prints the official
KLUE-RE metrics per epoch, like kretctl's per-epoch line.

Needs torch, transformers and scikit-learn (pip). Run from the repository root:
  python3 bench/reference/klue_re_scratch_torch.py --data DIR [--head linear|roberta|relu]
      [--seed 42] [--batching random|grouped] [--epochs 4] [--mlm-epochs 4] [--ln-eps 1e-5]
      [--dump-ids FILE] [--save-encoder DIR] [--load-encoder DIR] [--save-probs PREFIX]
--save-encoder keeps the encoder as the masked-LM epochs leave it (transformers' layout: a kret spec
can fine-tune it with model.uri file://DIR: the tokenizer files are copied in); --load-encoder
fine-tunes a saved encoder instead (transformers' layout or kret's checkpoint-mlm, whose names carry
the roberta. prefix) - together they cross the two programs' masked-LM and fine-tuning phases.
Data: DIR holds KLUE-RE's train.json, dev.json and relation_list.json (CC BY-SA 4.0; the figures in
bench/README.md used a copy whose dev.json is a fixed half of the official dev set). Vocab: the
klue/roberta-base vocab.txt bundled in src/main/resources/kret/tokenizers/klue-roberta-base.
"""

import argparse
import json
import math
import os
import random
import shutil
import time

import numpy as np
import sklearn.metrics
import torch
from torch import nn
from transformers import RobertaConfig, RobertaModel

import typed_punct

p = argparse.ArgumentParser()
p.add_argument("--data", required=True, help="directory with train.json, dev.json, relation_list.json")
p.add_argument("--vocab", default="src/main/resources/kret/tokenizers/klue-roberta-base/vocab.txt")
p.add_argument("--head", default="relu", choices=["linear", "roberta", "relu"])
p.add_argument("--embedding-std", type=float, default=0.05)
p.add_argument("--seed", type=int, default=42)
p.add_argument("--epochs", type=int, default=4)
p.add_argument("--batch", type=int, default=32)
p.add_argument("--lr", type=float, default=1e-3)
p.add_argument("--batching", default="random", choices=["random", "grouped"])
p.add_argument("--max-length", type=int, default=256)
p.add_argument("--train-limit", type=int, default=0)
p.add_argument("--dump-ids", default="")
p.add_argument("--mlm-epochs", type=int, default=0, help="masked-LM epochs on the train inputs first")
p.add_argument("--mlm-prob", type=float, default=0.15)
p.add_argument("--ln-eps", type=float, default=1e-5,
               help="LayerNorm eps: RoBERTa's 1e-5, as kret's from-scratch models use; the figures in "
                    "bench/README.md before issue 15 used transformers' RobertaConfig default, 1e-12")
p.add_argument("--save-encoder", default="",
               help="directory to save the encoder in after the masked-LM epochs (transformers layout)")
p.add_argument("--save-probs", default="", help="file to write each epoch's dev probabilities to (.npz)")
p.add_argument("--load-encoder", default="",
               help="start fine-tuning from this encoder (a directory with model.safetensors: transformers' "
                    "layout or kret's checkpoint names with the roberta. prefix) instead of random weights")
args = p.parse_args()

random.seed(args.seed)
np.random.seed(args.seed)
torch.manual_seed(args.seed)

labels = json.load(open(f"{args.data}/relation_list.json", encoding="utf-8"))["relations"]
label_id = {l: i for i, l in enumerate(labels)}
tok = typed_punct.tokenizer(args.vocab)


def encode(rows):
    out, cut = [], 0
    for row in rows:
        ids, si, oi = typed_punct.encode(tok, row)
        if len(ids) > args.max_length:
            # keep a window that holds both markers (rare in KLUE-RE)
            cut += 1
            lo = max(1, min(si, oi) - 8)
            body = ids[lo : lo + args.max_length - 2]
            si, oi = si - lo + 1, oi - lo + 1
            ids = [ids[0]] + body + [ids[-1]]
        out.append((ids, si, oi, label_id[row["label"]]))
    return out, cut


train_rows = json.load(open(f"{args.data}/train.json", encoding="utf-8"))
dev_rows = json.load(open(f"{args.data}/dev.json", encoding="utf-8"))
if args.train_limit:
    train_rows = train_rows[: args.train_limit]
train, cut_t = encode(train_rows)
dev, cut_d = encode(dev_rows)
print(f"train {len(train)} (windowed {cut_t}), dev {len(dev)} (windowed {cut_d})", flush=True)
if args.dump_ids:
    with open(args.dump_ids, "w") as f:
        for (ids, si, oi, y), row in zip(train + dev, train_rows + dev_rows):
            f.write(json.dumps({"guid": row["guid"], "ids": ids, "s": si, "o": oi}) + "\n")

H, PAD = 128, 1
cfg = RobertaConfig(
    vocab_size=tok.get_vocab_size(), hidden_size=H, num_hidden_layers=2, num_attention_heads=4,
    intermediate_size=512, max_position_embeddings=514, type_vocab_size=1, pad_token_id=PAD,
    bos_token_id=0, eos_token_id=2, hidden_dropout_prob=0.1, attention_probs_dropout_prob=0.1,
    layer_norm_eps=args.ln_eps,
)


class Model(nn.Module):
    def __init__(self):
        super().__init__()
        self.roberta = RobertaModel(cfg, add_pooling_layer=False)
        self.drop = nn.Dropout(0.1)
        if args.head == "linear":
            self.head = nn.Linear(2 * H, len(labels))
        else:
            self.dense = nn.Linear(2 * H, H)
            self.out = nn.Linear(H, len(labels))
        for m in self.roberta.embeddings.modules():
            if isinstance(m, nn.Embedding):
                m.weight.data.normal_(0, args.embedding_std)
                if m.padding_idx is not None:
                    m.weight.data[m.padding_idx].zero_()
        for m in [m for m in self.modules() if isinstance(m, nn.Linear) and m not in self.roberta.modules()]:
            m.weight.data.normal_(0, cfg.initializer_range)
            m.bias.data.zero_()

    def forward(self, ids, mask, s, o):
        h = self.roberta(input_ids=ids, attention_mask=mask).last_hidden_state
        r = torch.arange(ids.shape[0])
        x = torch.cat([h[r, s], h[r, o]], dim=-1)
        if args.head == "linear":
            return self.head(self.drop(x))
        if args.head == "roberta":
            return self.out(self.drop(torch.tanh(self.dense(self.drop(x)))))
        return self.out(self.drop(torch.relu(self.dense(x))))


model = Model()
if args.load_encoder:
    from safetensors.torch import load_file

    state = load_file(f"{args.load_encoder}/model.safetensors")
    state = {k.removeprefix("roberta."): v for k, v in state.items()}
    own = model.roberta.state_dict()
    state = {k: v for k, v in state.items() if k in own}
    missing = set(own) - set(state)
    if missing:
        raise SystemExit(f"--load-encoder: {args.load_encoder} lacks {sorted(missing)}")
    model.roberta.load_state_dict(state)
    print(f"encoder: {len(state)} tensors from {args.load_encoder}", flush=True)

MASK_ID = tok.token_to_id("[MASK]")
SPECIAL = {tok.token_to_id(t) for t in ["[CLS]", "[SEP]", "[PAD]", "[UNK]", "[MASK]"]}


class LmHead(nn.Module):
    """RobertaLMHead: dense, gelu, LayerNorm, decoder tied to the word embeddings."""

    def __init__(self, emb):
        super().__init__()
        self.dense = nn.Linear(H, H)
        self.norm = nn.LayerNorm(H, eps=cfg.layer_norm_eps)
        self.emb = emb
        self.bias = nn.Parameter(torch.zeros(cfg.vocab_size))
        self.dense.weight.data.normal_(0, cfg.initializer_range)
        self.dense.bias.data.zero_()

    def forward(self, h):
        return self.norm(nn.functional.gelu(self.dense(h))) @ self.emb.weight.t() + self.bias


def schedule(opt, total):
    warm = math.ceil(0.1 * total)
    return torch.optim.lr_scheduler.LambdaLR(
        opt, lambda t: t / max(1, warm) if t < warm else max(0.0, (total - t) / max(1, total - warm))
    )


def adamw(named):
    nd = lambda n: n.endswith("bias") or "LayerNorm" in n or n.startswith("norm.")
    named = list(named)
    return torch.optim.AdamW(
        [{"params": [p for n, p in named if not nd(n)], "weight_decay": 0.01},
         {"params": [p for n, p in named if nd(n)], "weight_decay": 0.0}],
        lr=args.lr, betas=(0.9, 0.999), eps=1e-8)


# The fine-tuning optimizer and schedule: the masked-LM phase's helpers over the whole model (no
# parameter of Model is named norm.*, so the no-decay set is bias and LayerNorm).
opt = adamw(model.named_parameters())
sched = schedule(opt, math.ceil(len(train) / args.batch) * args.epochs)


def collate(items):
    n = max(len(i[0]) for i in items)
    ids = torch.full((len(items), n), PAD, dtype=torch.long)
    for k, it in enumerate(items):
        ids[k, : len(it[0])] = torch.tensor(it[0])
    return (ids, (ids != PAD).long(), torch.tensor([i[1] for i in items]),
            torch.tensor([i[2] for i in items]), torch.tensor([i[3] for i in items]))


def batches(data, shuffle):
    order = list(range(len(data)))
    if shuffle:
        random.shuffle(order)
        if args.batching == "grouped":
            mega = 50 * args.batch
            chunks = [sorted(order[i : i + mega], key=lambda j: -len(data[j][0])) for i in range(0, len(order), mega)]
            bs = [c[i : i + args.batch] for c in chunks for i in range(0, len(c), args.batch)]
            random.shuffle(bs)
            return bs
    return [order[i : i + args.batch] for i in range(0, len(order), args.batch)]


def metrics(probs, y):
    pred = probs.argmax(1)
    acc = (pred == y).mean() * 100
    f1 = sklearn.metrics.f1_score(y, pred, average="micro", labels=list(range(1, len(labels)))) * 100
    onehot = np.eye(len(labels))[y]
    aps = []
    for c in range(len(labels)):
        prec, rec, _ = sklearn.metrics.precision_recall_curve(onehot[:, c], probs[:, c])
        aps.append(sklearn.metrics.auc(rec, prec))
    return acc, f1, np.mean(aps) * 100


if args.mlm_epochs:
    lm = LmHead(model.roberta.embeddings.word_embeddings)
    params = {f"roberta.{n}": q for n, q in model.roberta.named_parameters()}
    params.update({n: q for n, q in lm.named_parameters() if not n.startswith("emb.")})
    mopt = adamw(params.items())
    msched = schedule(mopt, math.ceil(len(train) / args.batch) * args.mlm_epochs)
    vocab_n = cfg.vocab_size
    for ep in range(1, args.mlm_epochs + 1):
        model.train()
        t0, seen, loss_sum = time.time(), 0, 0.0
        for b in batches(train, True):
            ids, mask, s_, o_, y_ = collate([train[i] for i in b])
            special = torch.zeros_like(ids, dtype=torch.bool)
            for t in SPECIAL:
                special |= ids == t
            pick = (torch.rand(ids.shape) < args.mlm_prob) & ~special
            if not pick.any():
                continue
            target = ids[pick]
            inp = ids.clone()
            r = torch.rand(ids.shape)
            inp[pick & (r < 0.8)] = MASK_ID
            rnd = pick & (r >= 0.8) & (r < 0.9)
            inp[rnd] = torch.randint(len(SPECIAL), vocab_n, (int(rnd.sum()),))
            h = model.roberta(input_ids=inp, attention_mask=mask).last_hidden_state
            loss = nn.functional.cross_entropy(lm(h[pick]), target)
            mopt.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(list(params.values()), 1.0)
            mopt.step()
            msched.step()
            seen += len(b)
            loss_sum += loss.item() * len(b)
        print(f"mlm epoch {ep}  loss {loss_sum / seen:.4f}  {seen / (time.time() - t0):.1f} samples/s", flush=True)
    if args.save_encoder:
        model.roberta.save_pretrained(args.save_encoder, safe_serialization=True)
        for f in ["vocab.txt", "tokenizer_config.json", "special_tokens_map.json"]:
            src = os.path.join(os.path.dirname(args.vocab), f)
            if os.path.exists(src):
                shutil.copy(src, args.save_encoder)

for epoch in range(1, args.epochs + 1):
    model.train()
    t0, seen, loss_sum = time.time(), 0, 0.0
    for b in batches(train, True):
        ids, mask, s, o, y = collate([train[i] for i in b])
        loss = nn.functional.cross_entropy(model(ids, mask, s, o), y)
        opt.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()
        seen += len(b)
        loss_sum += loss.item() * len(b)
    rate = seen / (time.time() - t0)
    model.eval()
    probs, ys, eloss = [], [], 0.0
    with torch.no_grad():
        for b in batches(dev, False):
            ids, mask, s, o, y = collate([dev[i] for i in b])
            logits = model(ids, mask, s, o)
            eloss += nn.functional.cross_entropy(logits, y, reduction="sum").item()
            probs.append(torch.softmax(logits, -1).numpy())
            ys.append(y.numpy())
    probs, ys = np.concatenate(probs), np.concatenate(ys)
    acc, f1, auprc = metrics(probs, ys)
    if args.save_probs:
        np.savez_compressed(f"{args.save_probs}.epoch{epoch}.npz", probs=probs, labels=ys)
    print(
        f"epoch {epoch}  train_loss {loss_sum / seen:.4f}  eval_loss {eloss / len(dev):.4f}  "
        f"acc {acc:.2f}  micro_f1 {f1:.2f}  auprc {auprc:.2f}  {rate:.1f} samples/s",
        flush=True,
    )
