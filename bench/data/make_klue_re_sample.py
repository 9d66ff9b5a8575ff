#!/usr/bin/env python3
"""Draw the bundled KLUE-RE sample (src/main/resources/kret/data/klue-re-sample) deterministically.

train.json: ~3000 rows of the KLUE-RE train set, stratified by label: every label keeps at least
MIN_TRAIN rows, the rest follow the train proportions, and no_relation is capped at 30%.
validation.json: ~600 rows of the dev half in ../shared/data/klue-re/dev.json, stratified the same
way but keeping the dev's own distribution (no_relation ~60%), at least MIN_VAL rows per label.
Rows keep their official JSON shape and their original order.

Usage: python3 bench/data/make_klue_re_sample.py [SHARED_KLUE_RE_DIR] [OUT_DIR]
"""
import json
import math
import random
import sys
from collections import defaultdict
from pathlib import Path

SEED = 42
TRAIN_SIZE, MIN_TRAIN = 3000, 8
VAL_SIZE, MIN_VAL = 600, 3
NO_RELATION_CAP = 0.30


def stratified(rows, size, minimum, cap_no_relation, rng):
    by_label = defaultdict(list)
    for i, row in enumerate(rows):
        by_label[row["label"]].append(i)
    total = len(rows)
    quota = {}
    for label, idx in by_label.items():
        share = len(idx) / total
        if cap_no_relation is not None and label == "no_relation":
            share = min(share, cap_no_relation)
        quota[label] = min(len(idx), max(minimum, math.floor(size * share + 0.5)))
    # Trim the largest non-no_relation classes until the total is the target (minimums grew it).
    while sum(quota.values()) > size:
        label = max((l for l in quota if l != "no_relation" and quota[l] > minimum), key=quota.get)
        quota[label] -= 1
    chosen = []
    for label in sorted(by_label):
        idx = sorted(by_label[label])
        chosen.extend(rng.sample(idx, quota[label]))
    return [rows[i] for i in sorted(chosen)]


def write(path, rows):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(rows, f, ensure_ascii=False)
        f.write("\n")


def main():
    root = Path(__file__).resolve().parents[2]
    src = Path(sys.argv[1]) if len(sys.argv) > 1 else root / ".." / "shared" / "data" / "klue-re"
    out = (Path(sys.argv[2]) if len(sys.argv) > 2
           else root / "src" / "main" / "resources" / "kret" / "data" / "klue-re-sample")
    rng = random.Random(SEED)
    train = json.load(open(src / "train.json", encoding="utf-8"))
    dev = json.load(open(src / "dev.json", encoding="utf-8"))
    write(out / "train.json", stratified(train, TRAIN_SIZE, MIN_TRAIN, NO_RELATION_CAP, rng))
    write(out / "validation.json", stratified(dev, VAL_SIZE, MIN_VAL, None, rng))


if __name__ == "__main__":
    main()
