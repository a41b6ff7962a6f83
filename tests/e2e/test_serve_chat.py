"""End-to-end: `infertrace serve`'s /v1/chat/completions on the synthetic tiny-qwen3, tiny-llama and
tiny-qwen2 files (which carry chat templates of the Qwen3, Llama 3.1+ and Qwen2.5-shaped ChatML
families, the project's own texts). Expected values are
computed without the server's template code: the prompt of each conversation is written out by hand
below (and, when jinja2 is installed, checked against jinja2 rendering the template text read from
the file with Hugging Face's settings), its tokens come from `model tokenize --special`, and the
greedy answer from /v1/completions on that hand-rendered prompt. Checked: usage and prompt ids,
the text and tokens non-streamed and streamed (role chunk, one chunk per token, finish_reason,
usage, [DONE]), the OpenAI Node client (when /tmp/auditB/node_modules/openai exists), 300 seeded
random conversations per file against jinja2's rendering (when installed), the server's
start line naming the template, and the 400s (image parts, tool role, a model without a template,
a template of a family the server does not render, a Zephyr template on a vocabulary without EOS,
served with one); and, when INFERTRACE_INST_TEMPLATES names a
folder of [INST] chat templates (one per file: published Llama-2 / Mistral templates, which the
repository does not hold), each on a llama file: the server's start line naming an [INST] variant,
and 200 random conversations against jinja2, including those the template raises on (the server's
400); unset, that part is reported as not run. A Zephyr-shaped template of our own on a llama
file: its start line and 200 random conversations against jinja2 with eos_token </s>. Without jinja2 (python3-jinja2, which
scripts/setup.sh installs) the other checks run and the test then ends as skipped, naming what
did not run."""
import http.client
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
import _gguf  # noqa: E402
from _harness import check, failures, require_serve, run, skip  # noqa: E402
from _serve import start_server as serve_on_free_port  # noqa: E402

try:
    import jinja2
except ImportError:
    jinja2 = None

require_serve()

HOST = "127.0.0.1"
NODE_OPENAI = "/tmp/auditB/node_modules/openai"


def start_server(model, ctx=256):
    return serve_on_free_port(model, "-t", "1", "--ctx", str(ctx), "--model-name", "m")


def stop_server(p):
    p.terminate()
    _, err = p.communicate(timeout=30)
    check(p.returncode == 0, "server exit %s" % p.returncode)
    return err


def post(port, path, body):
    c = http.client.HTTPConnection(HOST, port, timeout=120)
    c.request("POST", path, body=json.dumps(body), headers={"Content-Type": "application/json"})
    r = c.getresponse()
    status, text = r.status, r.read().decode("utf-8", "replace")
    c.close()
    return status, text


def events_of(text):
    out = []
    for block in text.split("\n\n"):
        if block:
            check(block.startswith("data: "), "SSE block %r" % block)
            payload = block[len("data: "):]
            out.append(payload if payload == "[DONE]" else json.loads(payload))
    return out


def tokenize(model, text):
    r = run("model", "tokenize", "-m", model, "--special", "-p", text, "--json")
    check(r.returncode == 0, "tokenize: " + r.stderr)
    return json.loads(r.stdout)["ids"]


def jinja_render(model, messages, **kwargs):
    """The file's own template rendered by jinja2 as transformers renders it (None without jinja2).
    bos_token is empty: these vocabularies add BOS themselves, so the server leaves the template's
    out and the tokenizer puts one BOS first."""
    if jinja2 is None:
        return None
    with open(model, "rb") as f:
        kv = _gguf.parse(f.read())[2]
    env = jinja2.Environment(trim_blocks=True, lstrip_blocks=True, extensions=["jinja2.ext.loopcontrols"])

    def raise_exception(m):
        raise jinja2.TemplateError(m)
    env.globals.update(raise_exception=raise_exception, strftime_now=time.strftime)
    return env.from_string(kv["tokenizer.chat_template"][1]).render(
        messages=messages, add_generation_prompt=True, bos_token="", eos_token="", **kwargs)


def node_client(port, messages):
    """Non-streamed and streamed greedy answers through the OpenAI Node client, or None."""
    if not (os.path.isdir(NODE_OPENAI) and shutil.which("node")):
        return None
    script = """
const OpenAI = require(%s);
const client = new OpenAI({apiKey: "none", baseURL: "http://127.0.0.1:%d/v1"});
(async () => {
  const args = {model: "m", messages: %s, max_tokens: 8, temperature: 0, ignore_eos: true};
  const whole = await client.chat.completions.create(args);
  const stream = await client.chat.completions.create({...args, stream: true, stream_options: {include_usage: true}});
  const chunks = [];
  for await (const c of stream) chunks.push(c);
  console.log(JSON.stringify({whole, chunks}));
})().catch(e => { console.error(String(e)); process.exit(1); });
""" % (json.dumps(NODE_OPENAI), port, json.dumps(messages))
    r = subprocess.run(["node", "-e", script], capture_output=True, text=True, timeout=120)
    check(r.returncode == 0, "node client: " + r.stderr)
    return json.loads(r.stdout) if r.returncode == 0 else None


def check_family(model, start_line, messages, hand_prompt, jinja_kwargs=None):
    rendered = jinja_render(model, messages, **(jinja_kwargs or {}))
    if rendered is not None:
        check(rendered == hand_prompt, "jinja2 renders %r, the hand-written prompt is %r" % (rendered, hand_prompt))
    ids = tokenize(model, hand_prompt)
    server, port = start_server(model)
    try:
        # The greedy reference: /v1/completions on the hand-rendered prompt.
        status, text = post(port, "/v1/completions", {"prompt": hand_prompt, "max_tokens": 10, "temperature": 0,
                                                      "ignore_eos": True, "return_token_ids": True})
        check(status == 200, "completion: %d %s" % (status, text))
        ref = json.loads(text)["choices"][0]
        check(ref["prompt_token_ids"] == ids, "completions prompt ids = model tokenize --special")

        body = {"model": "m", "messages": messages, "max_tokens": 10, "temperature": 0, "ignore_eos": True,
                "return_token_ids": True}
        status, text = post(port, "/v1/chat/completions", body)
        check(status == 200, "chat: %d %s" % (status, text))
        j = json.loads(text)
        c = j["choices"][0]
        check(j["object"] == "chat.completion" and j["id"].startswith("chatcmpl-") and j["model"] == "m", "fields %s" % j)
        check(j["usage"] == {"prompt_tokens": len(ids), "completion_tokens": 10, "total_tokens": len(ids) + 10},
              "usage %s vs %d prompt tokens" % (j["usage"], len(ids)))
        check(c["prompt_token_ids"] == ids, "chat prompt ids %s vs %s" % (c["prompt_token_ids"], ids))
        check(c["message"] == {"role": "assistant", "content": ref["text"]},
              "chat message %r vs completion text %r" % (c["message"], ref["text"]))
        check(c["token_ids"] == ref["token_ids"], "chat tokens = completion tokens")
        check(c["finish_reason"] == "length" and c["index"] == 0, "choice %s" % c)

        # max_completion_tokens and content parts (joined with "\n": a single part is the string).
        parts = [dict(m, content=[{"type": "text", "text": m["content"]}]) for m in messages]
        status, text = post(port, "/v1/chat/completions", dict(body, messages=parts, max_tokens=99,
                                                                max_completion_tokens=10))
        check(status == 200 and json.loads(text)["choices"][0]["token_ids"] == ref["token_ids"],
              "text parts + max_completion_tokens: %d %s" % (status, text[:300]))

        # Streamed: the role chunk, then one chunk per token, the same text, usage, [DONE].
        status, text = post(port, "/v1/chat/completions", dict(body, stream=True, stream_options={"include_usage": True}))
        check(status == 200, "stream %d" % status)
        ev = events_of(text)
        check(ev[-1] == "[DONE]", "stream ends with [DONE]")
        chunks = [e for e in ev[:-1] if e["choices"]]
        check(all(e["object"] == "chat.completion.chunk" for e in ev[:-1]), "chunk objects")
        check(chunks[0]["choices"][0]["delta"] == {"role": "assistant", "content": ""}, "role chunk %s" % chunks[0])
        tok = chunks[1:]
        check(len(tok) == 10, "%d token chunks, want 10" % len(tok))
        check("".join(e["choices"][0]["delta"]["content"] for e in tok) == ref["text"], "streamed text")
        check([e["choices"][0]["token_ids"][0] for e in tok] == ref["token_ids"], "streamed tokens")
        check([e["choices"][0]["finish_reason"] for e in tok] == [None] * 9 + ["length"], "finish reasons")
        check(ev[-2]["choices"] == [] and ev[-2]["usage"]["prompt_tokens"] == len(ids)
              and ev[-2]["usage"]["completion_tokens"] == 10, "usage chunk %s" % ev[-2])

        # The OpenAI Node client, greedy: the same text both ways.
        got = node_client(port, messages)
        if got is not None:
            ref8 = json.loads(post(port, "/v1/completions", {"prompt": hand_prompt, "max_tokens": 8, "temperature": 0,
                                                             "ignore_eos": True})[1])["choices"][0]["text"]
            w = got["whole"]
            check(w["choices"][0]["message"]["content"] == ref8 and w["usage"]["prompt_tokens"] == len(ids),
                  "node non-stream %s vs %r" % (w, ref8))
            deltas = [c["choices"][0]["delta"] for c in got["chunks"] if c["choices"]]
            check(deltas[0].get("role") == "assistant", "node first delta %s" % deltas[0])
            check("".join(d.get("content") or "" for d in deltas) == ref8, "node streamed text")
            check(got["chunks"][-1]["usage"]["completion_tokens"] == 8, "node usage chunk")
        else:
            print("note: OpenAI Node client not found, raw HTTP only")

        # Refusals.
        for bad_body, needle in [
            ({"messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "x"}}]}]},
             "only text parts"),
            ({"messages": [{"role": "tool", "content": "x"}]}, "only system, user and assistant"),
            ({"messages": messages, "tools": [{"type": "function", "function": {"name": "f"}}]}, "no tool calling"),
            ({"messages": messages, "presence_penalty": 1}, "presence_penalty"),
        ]:
            status, text = post(port, "/v1/chat/completions", bad_body)
            check(status == 400 and needle in json.loads(text)["error"]["message"],
                  "%s: %d %s" % (bad_body, status, text))
        status, text = post(port, "/v1/chat/completions", dict(body, model="other"))
        check(status == 404, "other model: %d" % status)
    finally:
        err = stop_server(server)
    check(start_line in err, "start line %r in stderr:\n%s" % (start_line, err))


def differential(tmp, model, count=300):
    """Seeded random conversations (newlines, Unicode spaces, think tags, tool responses in the
    contents): the server's prompt ids equal `model tokenize --special` of jinja2's rendering of the
    file's own template, for every one. Skipped without jinja2."""
    import random
    rnd = random.Random(11)
    atoms = ["a", "b c", "\n", "\n\n", " ", "\t", "<think>", "</think>", "<tool_response>", "</tool_response>",
             "x\ny", "\u00a0", "\u3000", "\u00e9", "  z  "]
    convs = []
    for _ in range(count):
        convs.append([{"role": rnd.choice(["system", "user", "assistant"]),
                       "content": "".join(rnd.choice(atoms) for _ in range(rnd.randint(0, 6)))}
                      for _ in range(rnd.randint(1, 5))])
    texts = [jinja_render(model, c) for c in convs]
    if texts[0] is None:
        return
    batch = os.path.join(tmp, "batch.json")
    with open(batch, "w") as f:
        json.dump(texts, f)
    r = run("model", "tokenize", "-m", model, "--special", "--batch", batch)
    check(r.returncode == 0, "tokenize --batch: " + r.stderr)
    want = [x["ids"] for x in json.loads(r.stdout)]
    server, port = start_server(model, ctx=512)
    try:
        bad = 0
        for conv, ids, text in zip(convs, want, texts):
            status, body = post(port, "/v1/chat/completions", {"messages": conv, "max_tokens": 1, "temperature": 0,
                                                               "return_token_ids": True})
            got = json.loads(body)["choices"][0]["prompt_token_ids"] if status == 200 else body
            if got != ids:
                bad += 1
                if bad <= 3:
                    check(False, "conversation %s: jinja2 renders %r; server ids %s, want %s" % (conv, text, got, ids))
        check(bad == 0, "%d of %d conversations differ from jinja2's rendering" % (bad, count))
    finally:
        stop_server(server)


# Published [INST] templates (Llama-2-chat's, Mistral's and Mixtral's), one per file, from a folder
# outside the repository: the server knows those variants only by a hash of their code, so a
# template written here would not be taken (and a copy of theirs may not be kept here).
INST_TEMPLATES = os.environ.get("INFERTRACE_INST_TEMPLATES", "")


def inst_templates():
    """(file name, text) of each file in INFERTRACE_INST_TEMPLATES, by name; [] when it is unset."""
    if not INST_TEMPLATES:
        return []
    names = sorted(n for n in os.listdir(INST_TEMPLATES) if os.path.isfile(os.path.join(INST_TEMPLATES, n)))
    check(names, "INFERTRACE_INST_TEMPLATES=%s holds no template files" % INST_TEMPLATES)
    out = []
    for n in names:
        with open(os.path.join(INST_TEMPLATES, n), encoding="utf-8") as f:
            out.append((n, f.read()))
    return out


def inst_family(tmp, label, template, count=200):
    """A llama-architecture file with an [INST] template (`label`: its file name): the server's start
    line names an [INST] variant; seeded random conversations, alternating or not, with and without
    a system message. Where jinja2 (with the vocabulary's <s> and </s>) raises, the server answers
    400, and where it renders nothing but that <s> (only a system message) too, the prompt being
    empty; otherwise its prompt ids are `model tokenize --special` of jinja2's text less the
    template's first <s> (the vocabulary adds BOS itself). Skipped without jinja2."""
    if jinja2 is None:
        return
    import random
    w = _gguf.mini_llama(n_ctx=512)
    w.add("tokenizer.chat_template", _gguf.STR, template)
    model = os.path.join(tmp, "inst.gguf")
    with open(model, "wb") as f:
        f.write(w.bytes())
    env = jinja2.Environment(trim_blocks=True, lstrip_blocks=True, extensions=["jinja2.ext.loopcontrols"])

    def raise_exception(m):
        raise jinja2.TemplateError(m)
    env.globals.update(raise_exception=raise_exception)
    compiled = env.from_string(template)
    rnd = random.Random(5)
    atoms = ["a", "b a", "\n", " ", "\t", "\u00a0", "[INST]", "<s>", "</s>", "<<SYS>>", "ab"]
    convs, texts = [], []
    for _ in range(count):
        if rnd.random() < 0.6:
            conv = [{"role": "system"}] if rnd.random() < 0.5 else []
            conv += [{"role": "user" if i % 2 == 0 else "assistant"} for i in range(rnd.randint(1, 4))]
        else:
            conv = [{"role": rnd.choice(["system", "user", "assistant"])} for _ in range(rnd.randint(1, 4))]
        for m in conv:
            m["content"] = "".join(rnd.choice(atoms) for _ in range(rnd.randint(0, 4)))
        try:
            text = compiled.render(messages=conv, add_generation_prompt=True, bos_token="<s>", eos_token="</s>")
            texts.append(text[3:] if text.startswith("<s>") else text)
        except jinja2.TemplateError:
            texts.append(None)
        convs.append(conv)
    rendered = [t for t in texts if t is not None]
    batch = os.path.join(tmp, "inst_batch.json")
    with open(batch, "w") as f:
        json.dump(rendered, f)
    r = run("model", "tokenize", "-m", model, "--special", "--batch", batch)
    check(r.returncode == 0, "tokenize --batch: " + r.stderr)
    ids = iter([x["ids"] for x in json.loads(r.stdout)])
    server, port = start_server(model, ctx=512)
    try:
        bad = 0
        for conv, text in zip(convs, texts):
            status, body = post(port, "/v1/chat/completions", {"messages": conv, "max_tokens": 1, "temperature": 0,
                                                               "return_token_ids": True})
            if text is None:
                ok = status == 400 and "cannot render the chat template" in body
            elif text == "":  # only a system message, which these templates write into a user turn
                ok = status == 400 and "renders to an empty prompt" in body
                next(ids)
            else:
                want = next(ids)
                ok = status == 200 and json.loads(body)["choices"][0]["prompt_token_ids"] == want
            if not ok:
                bad += 1
                if bad <= 3:
                    check(False, "conversation %s: jinja2 renders %r; server %d %s" % (conv, text, status, body[:300]))
        check(bad == 0, "%s: %d of %d [INST] conversations differ from jinja2's rendering" % (label, bad, count))
    finally:
        err = stop_server(server)
    named = [line for line in err.splitlines() if "chat template: " in line and "([INST])" in line]
    check(named, "%s: no start line naming an [INST] variant in stderr:\n%s" % (label, err))
    print("[INST] %s: %s: %d conversations, %d raised by the template" % (
        label, named[0].split("chat template: ")[1].split("([INST])")[0] + "([INST])" if named else "not detected", count, texts.count(None)))


# A Zephyr-shaped template (our own text, in the shape of zephyr-7b-beta's and TinyLlama-1.1B-Chat's),
# laid out one tag a line: jinja2 writes the newline after each `}}`.
ZEPHYR_TEMPLATE = ("{% for message in messages %}\n{% if message['role'] == 'user' %}\n"
                   "{{ '<|user|>\\n' + message['content'] + eos_token }}\n{% elif message['role'] == 'system' %}\n"
                   "{{ '<|system|>\\n' + message['content'] + eos_token }}\n{% elif message['role'] == 'assistant' %}\n"
                   "{{ '<|assistant|>\\n' + message['content'] + eos_token }}\n{% endif %}\n"
                   "{% if loop.last and add_generation_prompt %}\n{{ '<|assistant|>' }}\n{% endif %}\n{% endfor %}")


def zephyr_family(tmp, count=200):
    """A llama-architecture file (SentencePiece vocabulary, EOS </s>) with ZEPHYR_TEMPLATE: the
    server's start line names it, and for seeded random conversations its prompt ids are `model
    tokenize --special` of jinja2's text with eos_token the vocabulary's </s> (as the server passes
    it). Skipped without jinja2."""
    if jinja2 is None:
        return
    import random
    w = _gguf.mini_llama(n_ctx=512)
    w.add("tokenizer.chat_template", _gguf.STR, ZEPHYR_TEMPLATE)
    model = os.path.join(tmp, "zephyr.gguf")
    with open(model, "wb") as f:
        f.write(w.bytes())
    compiled = jinja2.Environment(trim_blocks=True, lstrip_blocks=True).from_string(ZEPHYR_TEMPLATE)
    rnd = random.Random(7)
    atoms = ["a", "b a", "\n", " ", "\t", "\u00a0", "</s>", "<s>", "<|user|>", "<|assistant|>", "ab"]
    convs = [[{"role": rnd.choice(["system", "user", "assistant"]),
               "content": "".join(rnd.choice(atoms) for _ in range(rnd.randint(0, 4)))}
              for _ in range(rnd.randint(1, 4))] for _ in range(count)]
    texts = [compiled.render(messages=c, add_generation_prompt=True, bos_token="<s>", eos_token="</s>") for c in convs]
    batch = os.path.join(tmp, "zephyr_batch.json")
    with open(batch, "w") as f:
        json.dump(texts, f)
    r = run("model", "tokenize", "-m", model, "--special", "--batch", batch)
    check(r.returncode == 0, "tokenize --batch: " + r.stderr)
    want = [x["ids"] for x in json.loads(r.stdout)] if r.returncode == 0 else []
    server, port = start_server(model, ctx=512)
    try:
        bad = 0
        for conv, text, ids in zip(convs, texts, want):
            status, body = post(port, "/v1/chat/completions", {"messages": conv, "max_tokens": 1, "temperature": 0,
                                                               "return_token_ids": True})
            if not (status == 200 and json.loads(body)["choices"][0]["prompt_token_ids"] == ids):
                bad += 1
                if bad <= 3:
                    check(False, "conversation %s: jinja2 renders %r; server %d %s" % (conv, text, status, body[:300]))
        bad += count - len(want)
        check(bad == 0, "zephyr: %d of %d conversations differ from jinja2's rendering" % (bad, count))
    finally:
        err = stop_server(server)
    check("chat template: zephyr" in err, "no start line naming the zephyr template in stderr:\n" + err)
    print("zephyr: %d conversations, %d differ from jinja2's rendering" % (count, bad))


def zephyr_with_eos(tmp):
    """ZEPHYR_TEMPLATE on the plain llama file with its EOS (</s>, the SentencePiece default): chat is
    served, so a refusal of the same file without EOS is the missing EOS's, not the template's."""
    w = _gguf.mini_llama()
    w.add("tokenizer.chat_template", _gguf.STR, ZEPHYR_TEMPLATE)
    path = os.path.join(tmp, "zephyr_eos.gguf")
    with open(path, "wb") as f:
        f.write(w.bytes())
    server, port = start_server(path, ctx=64)
    try:
        status, text = post(port, "/v1/chat/completions", {"messages": [{"role": "user", "content": "a"}],
                                                           "max_tokens": 1})
        check(status == 200, "zephyr with EOS: %d %s" % (status, text[:300]))
    finally:
        err = stop_server(server)
    check("chat template: zephyr" in err, "zephyr with EOS: start line:\n" + err)


# ChatML templates with a default system message in the shapes the server renders
# (src/serve/chatml_default_system.h), our own texts: Qwen2.5's shape (an if/else on the first
# message's role, the loop skipping a first system message; Jinja escapes for the newlines, white
# space stripped by `-`) and Qwen1.5's / Qwen2's (an `if loop.first` at the loop's head; real
# newlines in the literals, as a "\n" in tokenizer_config.json decodes to).
CHATML_DEFAULT_SHAPES = [
    ("qwen2.5-shape", "Answer in one line, please.",
     "{%- if tools %}\n    {{- raise_exception('no tools here') }}\n{%- else %}\n"
     "    {%- if messages[0]['role'] == 'system' %}\n"
     "        {{- '<|im_start|>system\\n' + messages[0]['content'] + '<|im_end|>\\n' }}\n"
     "    {%- else %}\n        {{- '<|im_start|>system\\nAnswer in one line, please.<|im_end|>\\n' }}\n"
     "    {%- endif %}\n{%- endif %}\n{%- for message in messages %}\n"
     "    {%- if (message.role == \"user\") or (message.role == \"system\" and not loop.first) or "
     "(message.role == \"assistant\") %}\n"
     "        {{- '<|im_start|>' + message.role + '\\n' + message.content + '<|im_end|>' + '\\n' }}\n"
     "    {%- endif %}\n{%- endfor %}\n{%- if add_generation_prompt %}\n    {{- '<|im_start|>assistant\\n' }}\n"
     "{%- endif %}\n"),
    ("qwen1.5-shape", "Keep it short.",
     "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}"
     "{{ '<|im_start|>system\nKeep it short.<|im_end|>\n' }}{% endif %}{{'<|im_start|>' + message['role'] + "
     "'\n' + message['content'] + '<|im_end|>' + '\n'}}{% endfor %}{% if add_generation_prompt %}"
     "{{ '<|im_start|>assistant\n' }}{% endif %}"),
]
# Published templates of those shapes (Qwen2.5-Instruct's, Qwen2-Instruct's), one per file, from a
# folder outside the repository, as for [INST] above.
CHATML_TEMPLATES = os.environ.get("INFERTRACE_CHATML_TEMPLATES", "")


def with_template(src, dst, template):
    """A copy of the GGUF at src with its chat template replaced."""
    with open(src, "rb") as f:
        _, align, kv, tensors, _ = _gguf.parse(f.read())
    w = _gguf.Writer(align)
    for k, (t, v) in kv.items():
        if k != "general.alignment":
            w.add(k, t, template if k == "tokenizer.chat_template" else v)
    for t in tensors:
        w.tensor(t["name"], t["ne"], t["type"], t["data"])
    with open(dst, "wb") as f:
        f.write(w.bytes())


def chatml_default_family(tmp, base, label, template, default=None):
    """A ChatML file (tiny-qwen3's vocabulary) with `template`: the server's start line says it renders
    the default; a conversation without a system message gets `default` (when given) in front, one
    with its own does not; random conversations match jinja2's rendering (differential)."""
    model = os.path.join(tmp, "chatml_default.gguf")
    with_template(base, model, template)
    server, port = start_server(model, ctx=512)
    try:
        cases = [([{"role": "user", "content": "hi"}], default),
                 ([{"role": "system", "content": "Mine."}, {"role": "user", "content": "hi"}], "Mine.")]
        for conv, first in cases:
            status, body = post(port, "/v1/chat/completions", {"messages": conv, "max_tokens": 1, "temperature": 0,
                                                               "return_token_ids": True})
            check(status == 200, "%s: %d %s" % (label, status, body[:300]))
            if first is not None and status == 200:
                want = tokenize(model, "<|im_start|>system\n%s<|im_end|>\n" % first +
                                "".join("<|im_start|>%s\n%s<|im_end|>\n" % (m["role"], m["content"]) for m in conv
                                        if m["role"] != "system") + "<|im_start|>assistant\n")
                got = json.loads(body)["choices"][0]["prompt_token_ids"]
                check(got == want, "%s: %s: prompt ids %s, want %s" % (label, conv, got, want))
    finally:
        err = stop_server(server)
    check("chat template: chatml (default system message)" in err, "%s: start line:\n%s" % (label, err))
    differential(tmp, model)


def misplaced_chatml_defaults():
    """Review BY's four texts with Qwen2.5's default block (from our qwen2.5-shape above) where it does
    not run first: after the message loop, inside its body, under a false condition, in a comment."""
    text = CHATML_DEFAULT_SHAPES[0][2]
    block = text[text.index("    {%- if messages[0]['role']"):text.index("{%- endif %}\n{%- for message")]
    loop = text[text.index("{%- for message in messages"):text.index("{%- if add_generation_prompt")]
    gen = text[text.index("{%- if add_generation_prompt"):]
    body = loop.index("    {%- if (message.role")
    return [("after the loop", loop + block + gen),
            ("inside the loop", loop[:body] + block + loop[body:] + gen),
            ("under a false if", "{%- if messages|length > 100 %}" + block + "{%- endif %}\n" + loop + gen),
            ("in a comment", "{#- " + block + " -#}\n" + loop + gen)]


def chatml_default_misplaced(tmp, base, label, template, default):
    """A default block that does not run first: jinja2 (when installed) renders some conversation
    otherwise than with the default in front; the server refuses chat with this template."""
    model = os.path.join(tmp, "chatml_misplaced.gguf")
    with_template(base, model, template)
    if jinja2 is not None:
        convs = [[{"role": "user", "content": "hi"}],
                 [{"role": "system", "content": "Mine."}, {"role": "user", "content": "hi"}]]
        front = ["<|im_start|>system\n%s<|im_end|>\n<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n" % d
                 for d in (default, "Mine.")]
        check([jinja_render(model, c) for c in convs] != front,
              "%s: jinja2 renders the default in front: the text is no misplaced one" % label)
    server, port = start_server(model, ctx=512)
    try:
        status, text = post(port, "/v1/chat/completions", {"messages": [{"role": "user", "content": "hi"}]})
        check(status == 400 and "default system message" in text, "%s: %d %s" % (label, status, text[:300]))
    finally:
        err = stop_server(server)
    check("chat template: chatml (default system message)" not in err, "%s: start line:\n%s" % (label, err))


def refused_without_template(tmp, template, needle, kind=_gguf.STR, extra=()):
    w = _gguf.mini_llama()
    if template is not None:
        w.add("tokenizer.chat_template", kind, template)
    for key, t, v in extra:
        w.add(key, t, v)
    path = os.path.join(tmp, "plain.gguf")
    with open(path, "wb") as f:
        f.write(w.bytes())
    server, port = start_server(path, ctx=64)
    try:
        status, text = post(port, "/v1/chat/completions", {"messages": [{"role": "user", "content": "a"}]})
        check(status == 400 and needle in json.loads(text)["error"]["message"], "%d %s" % (status, text))
        status, _ = post(port, "/v1/completions", {"prompt": "a", "max_tokens": 1})
        check(status == 200, "completions still served without a chat template")
    finally:
        err = stop_server(server)
    check("/v1/chat/completions refuses every request" in err, "start line says chat is refused:\n" + err)


with tempfile.TemporaryDirectory() as tmp:
    qwen = os.path.join(tmp, "q.gguf")
    llama = os.path.join(tmp, "l.gguf")
    qwen2 = os.path.join(tmp, "q2.gguf")
    for preset, path in [("tiny-qwen3", qwen), ("tiny-llama", llama), ("tiny-qwen2", qwen2)]:
        r = run("model", "synth", "--preset", preset, "--dtype", "f32", "-o", path)
        check(r.returncode == 0, "synth: " + r.stderr)

    # Qwen3: an earlier assistant turn loses its think block; the generation prompt has none.
    conv = [{"role": "system", "content": "You are terse."}, {"role": "user", "content": "hello world"},
            {"role": "assistant", "content": "<think>\nplan\n</think>\n\nhi there"},
            {"role": "user", "content": "tell me a story"}]
    check_family(qwen, "chat template: qwen3", conv,
                 "<|im_start|>system\nYou are terse.<|im_end|>\n<|im_start|>user\nhello world<|im_end|>\n"
                 "<|im_start|>assistant\nhi there<|im_end|>\n<|im_start|>user\ntell me a story<|im_end|>\n"
                 "<|im_start|>assistant\n")

    # Llama 3.2: the system message trimmed into the dated system header, contents trimmed. The
    # server and jinja2 date the prompt when they render it: a run across midnight would compare
    # two dates, so the date is read before and after, and a check that spanned a change of date
    # says nothing (its failures dropped) and is made again, within one date.
    conv = [{"role": "system", "content": " Be brief. "}, {"role": "user", "content": "hello world \n"}]
    for _ in range(2):
        today, failed_before = time.strftime("%d %b %Y"), len(failures)
        check_family(llama, "chat template: llama3.1+", conv,
                     "<|start_header_id|>system<|end_header_id|>\n\nCutting Knowledge Date: December 2023\n"
                     "Today Date: %s\n\nBe brief.<|eot_id|><|start_header_id|>user<|end_header_id|>\n\n"
                     "hello world<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n" % today)
        if time.strftime("%d %b %Y") == today:
            break
        print("the date changed during the llama3.1+ check (%s): made again" % today)
        del failures[failed_before:]

    # tiny-qwen2: ChatML of Qwen2.5's shape with the preset's own default system message, written in
    # front of a conversation that has none; a later system message stays where it is.
    conv = [{"role": "user", "content": "hello world"}, {"role": "assistant", "content": "hi there"},
            {"role": "system", "content": "Now be terse."}, {"role": "user", "content": "tell me a story"}]
    check_family(qwen2, "chat template: chatml (default system message)", conv,
                 "<|im_start|>system\nYou are a small synthetic model. Answer briefly.<|im_end|>\n"
                 "<|im_start|>user\nhello world<|im_end|>\n<|im_start|>assistant\nhi there<|im_end|>\n"
                 "<|im_start|>system\nNow be terse.<|im_end|>\n<|im_start|>user\ntell me a story<|im_end|>\n"
                 "<|im_start|>assistant\n")

    differential(tmp, qwen)
    differential(tmp, llama)
    differential(tmp, qwen2)
    for label, template in inst_templates():
        inst_family(tmp, label, template)
    zephyr_family(tmp)
    if not INST_TEMPLATES:
        print("not run: [INST] conversations against jinja2 (set INFERTRACE_INST_TEMPLATES to a folder of "
              "published Llama-2 / Mistral chat templates, one per file)")
    for label, default, template in CHATML_DEFAULT_SHAPES:
        chatml_default_family(tmp, qwen, label, template, default)
    for label, template in misplaced_chatml_defaults():
        chatml_default_misplaced(tmp, qwen, label, template, CHATML_DEFAULT_SHAPES[0][1])
    print("ChatML default system message where it does not run first (%s): refused" %
          ", ".join(label for label, _ in misplaced_chatml_defaults()))
    if CHATML_TEMPLATES:
        names = sorted(n for n in os.listdir(CHATML_TEMPLATES) if os.path.isfile(os.path.join(CHATML_TEMPLATES, n)))
        check(names, "INFERTRACE_CHATML_TEMPLATES=%s holds no template files" % CHATML_TEMPLATES)
        for n in names:
            with open(os.path.join(CHATML_TEMPLATES, n), encoding="utf-8") as f:
                chatml_default_family(tmp, qwen, n, f.read())
            print("ChatML with a default system message %s: rendered as jinja2 does" % n)
    else:
        print("not run: published ChatML templates with a default system message against jinja2 (set "
              "INFERTRACE_CHATML_TEMPLATES to a folder of them, e.g. Qwen2.5-Instruct's, one per file)")
    refused_without_template(tmp, None, "no chat template")
    refused_without_template(tmp, "{{ '<start_of_turn>' + message['role'] }}", "'gemma'")
    # A template that is not a string: chat refused, the server still up.
    refused_without_template(tmp, 7, "not a string", kind=_gguf.U32)
    # A Zephyr template (EOS after every message) on a vocabulary without EOS (eos_token_id -1, which
    # the SentencePiece default of 2 would otherwise fill): chat refused at start, naming why.
    refused_without_template(tmp, ZEPHYR_TEMPLATE, "Zephyr chat template writes EOS after every message, and its "
                             "vocabulary has none", extra=[("tokenizer.ggml.eos_token_id", _gguf.I32, -1)])
    # The same file with its EOS: chat served (the refusal above is the missing EOS's).
    zephyr_with_eos(tmp)
    # ChatML writing the generation prompt after each user turn (Yi's shape): refused at start.
    refused_without_template(tmp, "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + "
                             "message['content'] + '<|im_end|>\\n<|im_start|>assistant\\n' }}{% endfor %}",
                             "add_generation_prompt")

if failures:
    print("%d failure(s)" % len(failures))
    sys.exit(1)
if jinja2 is None:
    skip("jinja2 is not installed (python3-jinja2; scripts/setup.sh installs it): the other checks passed, but "
         "none against jinja2's rendering ran (the differential and [INST] conversations, the hand-written prompts)")
print("ok")
