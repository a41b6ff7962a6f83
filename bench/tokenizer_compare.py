#!/usr/bin/env python3
"""Helpers of bench/tokenizer_compare.sh (infertrace's tokenizers vs llama.cpp's):
  vocabs OUT_DIR          train small BPE vocabularies on multilingual text and write them as tiny
                          GGUF models llama.cpp loads (weights as tests/e2e/_gguf.py's mini_llama)
  strings N SEED OUT      N test strings (random Unicode of many scripts, combining marks, digit
                          runs, contractions, whitespace runs, special tokens, corpus fragments)
  probe OUT_DIR STRINGS   every code point's class: models whose merges join "a", "1" or "!" with
                          any byte, and strings "a<c> 1<c> !<c>" for every code point c, so the
                          ids tell whether c is a letter, number, punctuation or other
  compare WORK STRINGS    compare WORK/NAME.{0,1}.{ref,our}.json (without/with parse_special)
The merges are learnt on raw lines, not on pre-tokenized words, so they cross letters, digits,
punctuation, spaces, newlines and scripts the way no real vocabulary's do: pre-tokenization
differences then show up as different ids.
"""
import collections
import glob
import json
import os
import random
import sys

import regex  # only to list whole words for the "bpex" vocabularies

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "e2e"))
import _gguf as G  # noqa: E402

BASE = [
    "The quick brown fox jumps over the lazy dog. It's 2024, and we've got 1,234,567 reasons!",
    "I'm sure you'll like it; they'd said they're coming. DON'T PANIC. You'RE WELCOME, I'M HERE.",
    "def main(argc, argv):\n    return 0  # TODO: fix\n\nif __name__ == '__main__':\n    main()\n",
    "for (int i = 0; i < n; ++i) { sum += a[i] * b[i]; }\r\n// comment\r\n",
    "Prix: 12,50 € — très cher! Ça coûte 3.14159 fois plus. Où est l'hôtel? À bientôt.",
    "Größe, Straße, Übermäßig: Fußgängerübergänge sind schön. Die Zahl 42 ist 0x2A.",
    "El niño comió piñatas en el año 1999. ¿Qué pasó? ¡Olé! Mañana será otro día.",
    "Привет, мир! Как дела? Это тестовая строка номер 7. Москва — столица России.",
    "Γειά σου κόσμε! Η Αθήνα είναι όμορφη. Αριθμός 3, λέξεις και τόνοι: ά έ ή ί ό ύ ώ.",
    "你好，世界！今天天气很好。我们在2024年学习机器学习和自然语言处理。",
    "こんにちは世界。東京は大きい都市です。カタカナとひらがなを混ぜます。ラーメン！",
    "안녕하세요 세계! 한국어 문장입니다. 서울은 큰 도시입니다. 123개의 사과.",
    "مرحبا بالعالم! هذه جملة عربية. الرقم ١٢٣ مكتوب بالأرقام العربية.",
    "नमस्ते दुनिया! यह हिंदी वाक्य है। संख्या १२३ और ४५६।",
    "হ্যালো বিশ্ব! এটি একটি বাংলা বাক্য। সংখ্যা ১২৩।",
    "வணக்கம் உலகம்! இது தமிழ் வாக்கியம்.",
    "สวัสดีชาวโลก! นี่คือประโยคภาษาไทย ๑๒๓",
    "გამარჯობა მსოფლიო! ეს ქართული წინადადებაა.",
    "שלום עולם! זהו משפט בעברית. מספר 5.",
    "Emoji time 😀😃😄 👍🏽 👨‍👩‍👧‍👦 🇺🇸 🎉🎉 ❤️ ✨ and more 🚀!!!",
    "Combining: e\u0301 a\u0300 n\u0303 o\u0308 — Zalgo t\u0336e\u0337x\u0338t. Café vs Cafe\u0301.",
    "Tabs\tand\t\tspaces    and\n\nnewlines\n   \n\t\n trailing   ",
    "Numbers: 3.14, 2.718, 1e10, 0xFF, 100000000, 12:30:45, 2024-12-01, +1 (555) 123-4567.",
    "URL https://example.com/path?q=1&r=two#frag and email user@example.org.",
    "Math: ∑ x² + ∫ f(x) dx ≈ ∞; α β γ δ; ½ ¼ ¾ ① ② ③ Ⅻ.",
    "Fullwidth ＡＢＣ１２３ and halfwidth ｱｲｳ text. 「引用」『二重』【括弧】",
    "Ethiopic ሰላም ዓለም, Armenian Բարեւ աշխարհ, Sinhala ආයුබෝවන්, Tibetan བཀྲ་ཤིས་བདེ་ལེགས།",
    "Mongolian ᠮᠣᠩᠭᠣᠯ, Cherokee ᏣᎳᎩ, Runic ᚠᚢᚦ, Gothic 𐌰𐌱𐌲, Old Italic 𐌀𐌁, Mathematical 𝐀𝐁𝐂 𝟏𝟐𝟑.",
    "Vietnamese: Tiếng Việt có nhiều dấu: ă â đ ê ô ơ ư ạ ả ấ ầ ẩ ẫ ậ.",
    "Polish: Zażółć gęślą jaźń. Czech: Příliš žluťoučký kůň úpěl ďábelské ódy.",
    "Turkish: İstanbul'da ılık bir gün. Kelvin K and Ångström Å signs.",
    "<|im_start|>user\nHello<|im_end|>\n<|im_start|>assistant\nHi there!<|im_end|>",
    "JSON: {\"key\": [1, 2, 3], \"nested\": {\"a\": null, \"b\": true}}",
    "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt.",
    "Don't, won't, can't, shouldn't, it's, he's, she'll, we'd, I've, you're, THEY'LL, WE'D.",
    "   leading spaces, multiple     inner spaces,\u00a0nbsp,\u3000ideographic space, \u2003em space.",
]


def corpus(seed=1):
    rng = random.Random(seed)
    lines = BASE * 6
    # Mixtures so merges cross script, digit and punctuation boundaries.
    for _ in range(400):
        a, b = rng.sample(BASE, 2)
        i, j = rng.randrange(len(a)), rng.randrange(len(b))
        lines.append(a[i:i + rng.randint(5, 40)] + rng.choice([" ", "", "\n", "  ", "\t", ", ", "123"]) +
                     b[j:j + rng.randint(5, 40)])
    return lines


def bytes_to_unicode():
    bs = list(range(0x21, 0x7f)) + list(range(0xa1, 0xad)) + list(range(0xae, 0x100))
    cs, n = bs[:], 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, map(chr, cs)))


def train(chunks, n_merges):
    """Plain BPE training: merge the most frequent adjacent pair, n_merges times."""
    words = [[list(w), c] for w, c in collections.Counter(tuple(c) for c in chunks).items()]
    merges = []
    for _ in range(n_merges):
        pairs = collections.Counter()
        for w, c in words:
            for p in zip(w, w[1:]):
                pairs[p] += c
        if not pairs:
            break
        best = max(pairs.items(), key=lambda kv: (kv[1], kv[0]))[0]
        if pairs[best] < 2:
            break
        merges.append(best)
        a, b = best
        for wc in words:
            w, i, out = wc[0], 0, []
            while i < len(w):
                if i + 1 < len(w) and w[i] == a and w[i + 1] == b:
                    out.append(a + b)
                    i += 2
                else:
                    out.append(w[i])
                    i += 1
            wc[0] = out
    return merges


def model(tok_kv, n_vocab):
    w = G.mini_llama(n_embd=16, n_ff=32, n_head=2, n_vocab=300)
    w.kv = [kv for kv in w.kv if not kv[0].startswith("tokenizer.")] + tok_kv
    w.tensors = [t for t in w.tensors if t[0] != "token_embd.weight"]
    w.tensor("token_embd.weight", [16, n_vocab], 0, G.f32s([((i * 7) % 13 - 6) / 50.0 for i in range(16 * n_vocab)]))
    return w.bytes()


def add_special(toks, types, specials):
    for name, t in specials:
        if name in toks:  # a merge made it already (llama.cpp refuses duplicate tokens)
            types[toks.index(name)] = t
        else:
            toks.append(name)
            types.append(t)


def gpt2_vocab(n_merges):
    b2u = bytes_to_unicode()
    merges = train(["".join(b2u[b] for b in line.encode()) for line in corpus()], n_merges)
    toks = [b2u[b] for b in range(256)]
    seen = set(toks)
    for a, b in merges:
        if a + b not in seen:
            seen.add(a + b)
            toks.append(a + b)
    types = [1] * len(toks)
    add_special(toks, types, [("<|begin_of_text|>", 3), ("<|end_of_text|>", 3), ("<|eot_id|>", 3),
                              ("<|im_start|>", 3), ("<|im_end|>", 3), ("<tool>", 4), ("<|im", 4)])
    return toks, types, [a + " " + b for a, b in merges]


def whole_words(toks):
    """Llama 3-pattern words of the corpus that are no token yet, as byte-level token texts."""
    pat = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|"
           r"\s*[\r\n]+|\s+(?!\S)|\s+")
    b2u, seen, out = bytes_to_unicode(), set(toks), []
    for s in BASE:
        for w in regex.findall(pat, s):
            m = "".join(b2u[b] for b in w.encode())
            if m not in seen and len(w) > 1:
                seen.add(m)
                out.append(m)
    return out


def write_gpt2(path, pre, toks, types, merges, add_bos):
    """add_bos None: no tokenizer.ggml.add_bos_token key (the reader's default applies)."""
    kv = [("tokenizer.ggml.model", G.STR, "gpt2"), ("tokenizer.ggml.tokens", G.ARR, (G.STR, toks)),
          ("tokenizer.ggml.token_type", G.ARR, (G.I32, types)), ("tokenizer.ggml.merges", G.ARR, (G.STR, merges)),
          ("tokenizer.ggml.bos_token_id", G.U32, toks.index("<|begin_of_text|>")),
          ("tokenizer.ggml.eos_token_id", G.U32, toks.index("<|end_of_text|>"))]
    if add_bos is not None:
        kv.append(("tokenizer.ggml.add_bos_token", G.BOOL, add_bos))
    if pre is not None:
        kv.append(("tokenizer.ggml.pre", G.STR, pre))
    with open(path, "wb") as f:
        f.write(model(kv, len(toks)))


def spm_vocab(n_merges):
    """Llama 2-like: <unk> <s> </s>, byte tokens, merged pieces scored by merge order, characters."""
    chunks = ["\u2581" + line.replace(" ", "\u2581") for line in corpus()]
    merges = train(chunks, n_merges)
    toks = ["<unk>", "<s>", "</s>"] + ["<0x%02X>" % b for b in range(256)]
    types, scores = [2, 3, 3] + [6] * 256, [0.0] * 259
    seen = set(toks)
    for r, (a, b) in enumerate(merges):
        if a + b not in seen:
            seen.add(a + b)
            toks.append(a + b)
            types.append(1)
            scores.append(-float(r))
    for c in sorted({c for ch in chunks for c in ch}):
        if c not in seen and c not in "\n\t\r":  # Llama 2 has no token for "\n": byte fallback
            seen.add(c)
            toks.append(c)
            types.append(1)
            scores.append(-1e6)
    n = len(toks)
    add_special(toks, types, [("<|im_start|>", 3), ("<|im_end|>", 3), ("<tool>", 4)])
    scores += [0.0] * (len(toks) - n)
    return toks, types, scores


def write_spm(path, toks, types, scores, space_prefix=None):
    kv = [("tokenizer.ggml.model", G.STR, "llama"), ("tokenizer.ggml.tokens", G.ARR, (G.STR, toks)),
          ("tokenizer.ggml.scores", G.ARR, (G.F32, scores)), ("tokenizer.ggml.token_type", G.ARR, (G.I32, types)),
          ("tokenizer.ggml.bos_token_id", G.U32, 1), ("tokenizer.ggml.eos_token_id", G.U32, 2),
          ("tokenizer.ggml.unknown_token_id", G.U32, 0)]
    if space_prefix is not None:  # else llama.cpp's default (and Llama 2's files): no key
        kv.append(("tokenizer.ggml.add_space_prefix", G.BOOL, space_prefix))
    with open(path, "wb") as f:
        f.write(model(kv, len(toks)))


def vocabs(out, n_merges=1500):
    os.makedirs(out, exist_ok=True)
    toks, types, merges = gpt2_vocab(n_merges)
    extra = whole_words(toks)
    pres = [("llama3", "llama-bpe"), ("qwen2", "qwen2"), ("gpt2", "gpt-2"), ("default", None), ("smaug", "smaug-bpe")]
    for name, pre in pres:
        write_gpt2(os.path.join(out, "bpe_%s.gguf" % name), pre, toks, types, merges, pre == "llama-bpe")
        # Without tokenizer.ggml.add_bos_token: llama-bpe's default differs from the others'.
        write_gpt2(os.path.join(out, "bpex_%s.gguf" % name), pre, toks + extra, types + [1] * len(extra), merges,
                   None)
    # Other tokenizer.ggml.pre names llama.cpp gives the Llama 3 or Qwen2 pattern.
    for pre in ["llama3", "llama-v3", "falcon3", "falcon-h1", "pixtral", "midm-2.0", "lfm2", "dbrx",
                "deepseek-r1-qwen", "megrez"]:
        write_gpt2(os.path.join(out, "name_%s.gguf" % pre), pre, toks + extra, types + [1] * len(extra), merges, None)
    spm = spm_vocab(n_merges)
    write_spm(os.path.join(out, "spm_trained.gguf"), *spm)
    write_spm(os.path.join(out, "spm_no_space_prefix.gguf"), *spm, space_prefix=False)


SCRIPTS = [(0x41, 0x5a), (0x61, 0x7a), (0x30, 0x39), (0x21, 0x2f), (0x3a, 0x40), (0x5b, 0x60), (0x7b, 0x7e),
           (0xa0, 0xff), (0x100, 0x24f), (0x250, 0x2af), (0x2b0, 0x2ff), (0x300, 0x36f), (0x370, 0x3ff),
           (0x400, 0x4ff), (0x500, 0x52f), (0x530, 0x58f), (0x590, 0x5ff), (0x600, 0x6ff), (0x700, 0x74f),
           (0x780, 0x7bf), (0x900, 0x97f), (0x980, 0x9ff), (0xa00, 0xa7f), (0xb80, 0xbff), (0xc00, 0xc7f),
           (0xd00, 0xd7f), (0xd80, 0xdff), (0xe00, 0xe7f), (0xe80, 0xeff), (0xf00, 0xfff), (0x1000, 0x109f),
           (0x10a0, 0x10ff), (0x1100, 0x11ff), (0x1200, 0x137f), (0x13a0, 0x13ff), (0x1400, 0x167f),
           (0x1680, 0x169f), (0x16a0, 0x16ff), (0x1780, 0x17ff), (0x1800, 0x18af), (0x1e00, 0x1eff),
           (0x1f00, 0x1fff), (0x2000, 0x206f), (0x2070, 0x209f), (0x20a0, 0x20cf), (0x2100, 0x214f),
           (0x2150, 0x218f), (0x2190, 0x21ff), (0x2200, 0x22ff), (0x2460, 0x24ff), (0x2500, 0x257f),
           (0x2600, 0x26ff), (0x2c00, 0x2c5f), (0x2d30, 0x2d7f), (0x3000, 0x303f), (0x3040, 0x309f),
           (0x30a0, 0x30ff), (0x3100, 0x312f), (0x3130, 0x318f), (0x3400, 0x4dbf), (0x4e00, 0x9fff),
           (0xa000, 0xa48f), (0xa4d0, 0xa4ff), (0xa500, 0xa63f), (0xa640, 0xa69f), (0xa720, 0xa7ff),
           (0xac00, 0xd7a3), (0xf900, 0xfaff), (0xfb00, 0xfb4f), (0xfb50, 0xfdff), (0xfe70, 0xfeff),
           (0xff00, 0xffef), (0x10000, 0x1007f), (0x10300, 0x1034f), (0x10400, 0x1044f), (0x1d400, 0x1d7ff),
           (0x1f300, 0x1f64f), (0x1f900, 0x1f9ff), (0x20000, 0x2a6df), (0xe0000, 0xe007f), (0x1f1e6, 0x1f1ff)]
WS = [" ", "  ", "\t", "\n", "\r\n", "\n\n", " \n", "\t\n", "\u00a0", "\u3000", "\u2003", "\r", "\x0b", "\x0c", "\x85", "\u2028"]
CONTR = ["'s", "'t", "'re", "'ve", "'m", "'ll", "'d", "'S", "'T", "'RE", "'Ve", "'M", "'LL", "'D", "'x", "'", "''s"]
SPECIAL = ["<|im_start|>", "<|im_end|>", "<|begin_of_text|>", "<|eot_id|>", "<tool>", "<|im", "<s>", "</s>", "<unk>", "<|end_of_text|>"]


def rand_char(rng):
    lo, hi = rng.choice(SCRIPTS)
    while True:
        c = rng.randint(lo, hi)
        if not 0xd800 <= c <= 0xdfff:
            return chr(c)


def piece(rng):
    k = rng.random()
    if k < 0.3:
        return "".join(rand_char(rng) for _ in range(rng.randint(1, 6)))
    if k < 0.4:
        return "".join(rng.choice("0123456789") for _ in range(rng.randint(1, 12)))
    if k < 0.5:
        return rng.choice(["", " ", "x", "it", "I", "we"]) + rng.choice(CONTR)
    if k < 0.65:
        return rng.choice(WS) * rng.randint(1, 3)
    if k < 0.7:
        return rng.choice(SPECIAL)
    if k < 0.8:
        return rng.choice("aeiouAEOnc") + "".join(chr(rng.randint(0x300, 0x36f)) for _ in range(rng.randint(1, 3)))
    if k < 0.85:  # spaces before punctuation and contractions (detokenize's clean-up)
        return rng.choice(["a", "x", "", "don"]) + rng.choice([" .", " ?", " !", " ,", " ' ", " n't", " 'm", " 's",
                                                               " 've", " 're", "  .", " 'S"])
    b = rng.choice(BASE)
    i = rng.randrange(len(b))
    return b[i:i + rng.randint(1, 30)]


def strings(n, seed):
    rng = random.Random(seed)
    out = ["", " ", "  ", "\n", " \n", "\n ", "a ", " a", "  a", "a  b", "\t\tb", "1234567", " 1234", "x'S", "'s'",
           "don't", "DON'T", "Hello world", "\r\n\r\n", "a\r\n", "<|im_start|>user\nhi<|im_end|>", " <s> x", "<unk>"]
    out += BASE
    while len(out) < n:
        out.append("".join(piece(rng) for _ in range(rng.randint(1, 8))))
    return out[:n]


def probe(out, strings_path):
    os.makedirs(out, exist_ok=True)
    b2u = bytes_to_unicode()
    toks, merges = [b2u[b] for b in range(256)], []
    for p in "a1!":
        for b in range(0x80, 0x100):  # "a" + the lead byte of c merges only if "a"+c is one piece
            toks.append(p + b2u[b])
            merges.append(p + " " + b2u[b])
    types = [1] * len(toks) + [3, 3]
    toks += ["<|begin_of_text|>", "<|end_of_text|>"]
    # gpt-2: "a"+c one piece iff c is a letter, "1"+c iff a number; default: "!"+c iff punctuation;
    # qwen2 (a std::regex in llama.cpp, not hand-written): "!"+c split iff c is a number or a space.
    for name, pre in [("gpt2", "gpt-2"), ("default", None), ("llama3", "llama-bpe"), ("qwen2", "qwen2")]:
        write_gpt2(os.path.join(out, "probe_%s.gguf" % name), pre, toks, types, merges, False)
    cps = [c for c in range(0x80, 0x110000) if not 0xd800 <= c <= 0xdfff]
    strs = ["".join("a%s 1%s !%s\n" % (chr(c), chr(c), chr(c)) for c in cps[i:i + 48]) for i in range(0, len(cps), 48)]
    json.dump(strs, open(strings_path, "w"))


def compare(work, strings_path):
    strs = json.load(open(strings_path))
    total = 0
    for ref_path in sorted(glob.glob(os.path.join(work, "*.0.ref.json"))):
        name = os.path.basename(ref_path)[:-len(".0.ref.json")]
        counts, shown = [], []
        for sp in (0, 1):
            if not os.path.exists(os.path.join(work, "%s.%d.ref.json" % (name, sp))):
                continue
            ref = json.load(open(os.path.join(work, "%s.%d.ref.json" % (name, sp))))
            our = json.load(open(os.path.join(work, "%s.%d.our.json" % (name, sp))))
            ids = [i for i, (r, o) in enumerate(zip(ref, our)) if r["ids"] != o["ids"]]
            text = [i for i, (r, o) in enumerate(zip(ref, our)) if r["detokenized"] != o["detokenized"]]
            counts.append("%sids %d, detokenized %d" % ("with parse_special: " if sp else "", len(ids), len(text)))
            total += len(ids) + len(text)
            for i in (ids + text)[:3]:
                shown.append("    special=%d %r\n      llama.cpp  %s %r\n      infertrace %s %r" % (
                    sp, strs[i][:200], ref[i]["ids"][:60], ref[i]["detokenized"][:200], our[i]["ids"][:60],
                    our[i]["detokenized"][:200]))
        print("%-16s %d strings; differ: %s" % (name, len(strs), "; ".join(counts)))
        for s in shown[:3]:
            print(s)
    print("all agree" if total == 0 else "DIFFERENCES: %d" % total)
    return 0 if total == 0 else 1


if __name__ == "__main__":
    cmd = sys.argv[1] if len(sys.argv) > 1 else ""
    if cmd == "vocabs":
        vocabs(sys.argv[2])
    elif cmd == "strings":
        json.dump(strings(int(sys.argv[2]), int(sys.argv[3])), open(sys.argv[4], "w"))
    elif cmd == "probe":
        probe(sys.argv[2], sys.argv[3])
    elif cmd == "compare":
        sys.exit(compare(sys.argv[2], sys.argv[3]))
    else:
        sys.exit(__doc__)
