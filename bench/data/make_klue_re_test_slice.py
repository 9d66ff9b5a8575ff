#!/usr/bin/env python3
"""Cut a KLUE-RE test slice for src/test/resources/fixtures/klue-re/.

The first ROWS rows of a KLUE-RE split, unmodified and in their original order, written in the
official file's own JSON layout (one line, ensure_ascii=False), so the slice is a byte-for-byte
prefix of the source file's rows. Prints the counts the tests assert.

Usage: python3 bench/data/make_klue_re_test_slice.py SPLIT_JSON ROWS OUT_JSON

The checked-in slices (KLUE_RE = the directory holding the KLUE-RE v1.1 train.json and dev.json):
  python3 bench/data/make_klue_re_test_slice.py $KLUE_RE/train.json 300 \
      src/test/resources/fixtures/klue-re/train-first-300.json
  python3 bench/data/make_klue_re_test_slice.py $KLUE_RE/dev.json 50 \
      src/test/resources/fixtures/klue-re/dev-first-50.json
"""
import json
import sys
from collections import Counter


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    src, rows, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    with open(src, encoding="utf-8") as f:
        data = json.load(f)
    head = data[:rows]
    text = json.dumps(head, ensure_ascii=False)
    with open(src, encoding="utf-8") as f:
        assert f.read().startswith(text[:-1]), "the slice is not a prefix of the source file"
    with open(out, "w", encoding="utf-8") as f:
        f.write(text)
    labels = Counter(r["label"] for r in head)
    sources = Counter(r["source"] for r in head)
    print(f"{out}: {len(head)} of {len(data)} rows, {len(labels)} labels, "
          f"no_relation {labels['no_relation']}, most common {labels.most_common(2)}, "
          f"sources {dict(sources)}, first {head[0]['guid']}, last {head[-1]['guid']}")


if __name__ == "__main__":
    main()
