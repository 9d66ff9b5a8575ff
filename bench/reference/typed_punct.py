"""Typed-punct entity markers and klue/roberta word pieces in Python, as kret's RelationEncoder
makes them (all 36,339 KLUE-RE rows give the same ids and entity positions). Shared by the
reference scripts in this folder."""

from tokenizers import BertWordPieceTokenizer


def tokenizer(vocab):
    """klue/roberta's BertTokenizer: no lower-casing, no accent stripping, CJK split."""
    return BertWordPieceTokenizer(
        vocab, lowercase=False, strip_accents=False, clean_text=True, handle_chinese_chars=True
    )


def marked(row):
    """Sentence with @ * TYPE * subj @ and # ^ TYPE ^ obj #; returns text and the markers' chars."""
    s, o = row["subject_entity"], row["object_entity"]
    spans = sorted(
        [(s["start_idx"], s["end_idx"], True, s["type"]), (o["start_idx"], o["end_idx"], False, o["type"])]
    )
    text, last, starts = "", 0, {}
    for a, b, subj, typ in spans:
        text += row["sentence"][last:a]
        starts[subj] = len(text) + 1
        opener = f" @ * {typ} * " if subj else f" # ^ {typ} ^ "
        closer = " @ " if subj else " # "
        text += opener + row["sentence"][a : b + 1] + closer
        last = b + 1
    text += row["sentence"][last:]
    return text, starts[True], starts[False]


def encode(tok, row):
    """Token ids with [CLS]/[SEP] and the positions of the subject's '@' and the object's '#'."""
    text, sc, oc = marked(row)
    e = tok.encode(text)
    si = next(i for i, (a, b) in enumerate(e.offsets) if a == sc and b > a)
    oi = next(i for i, (a, b) in enumerate(e.offsets) if a == oc and b > a)
    return e.ids, si, oi
