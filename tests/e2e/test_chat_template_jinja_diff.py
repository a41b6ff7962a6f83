"""Differential: the server's chat-template code (tests/support/chat_render: ChatTemplate::detect and
render, no model, no server) against jinja2 rendering the same template text as transformers does
(trim_blocks, lstrip_blocks, loopcontrols, raise_exception). For every template either the server
refuses it, or it renders every conversation byte for byte as jinja2 does (or refuses that
conversation where jinja2 raises). The corpus: ChatML templates of the shapes the server renders,
written here (plain, raw-text, Qwen2.5-shaped with and without a default system message,
Qwen1.5-shaped with one, the qwen2 presets' own template from `model synth`), each mutated: text or
an expression before, between or after the parts, a `set` of the messages, a second loop, a changed
literal, axolotl's `add_generation_prompt is defined` prelude, Qwen2.5's loop condition without its
assistant clause, jinja2 syntax errors, a `set` of a number or string literal (those jinja2's lexer reads
as one token and decodes accepted, those it splits in two or cannot decode refused), and seeded random white space and whitespace-control signs between the tags. The
unmutated shapes must be accepted (so the test cannot pass by refusing everything), and so must the
mutations jinja2 writes nothing more for (a comment, stripped white space). Qwen3-marked templates
too: our own Qwen3-shaped text and the qwen3 presets' template, with the constructs of published
Qwen3-marked templates that render otherwise (Qwen3.5-VL's generation prompt and think rule, a
training variant's think block in every turn, a trimmed content, a macro), harmless changes, and the
same random white space; conversations with think blocks and a tool response among the six (eight).
Zephyr-shaped templates too (ours, laid out one tag a line and on one line, with literal headers
and with every header written from the role), with GLM's marker, bos_token, a changed content, EOS,
header or generation prompt, a user or assistant message not written or raising, refused; other
spellings, no system branch (a system message writes nothing, or raises with a literal message),
accepted; Llama 3 templates too (ours: 3.1+ with tool parts behind Meta's conditions, 3.0, 3.0 built
in a `set`) with review CT's edits, those the reader takes from the template accepted; ChatML's mutations with ChatML's verdicts (a `set` of a literal and axolotl's prelude
accepted) and the same random white space; every template is rendered with eos_token "</s>"
(chat_render's third argument).
INFERTRACE_QWEN3_TEMPLATES may name a folder of published Qwen3-marked texts (kept outside the
repository), each held to the same rule and reported accepted or refused; one whose file name holds
"official" must be accepted. Without jinja2 it is
skipped."""
import json
import os
import random
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
import _gguf  # noqa: E402
from _harness import check, failures, run, skip  # noqa: E402

try:
    import jinja2
    import jinja2.sandbox
except ImportError:
    skip("jinja2 is not installed (python3-jinja2; scripts/setup.sh installs it)")

RENDER = os.path.join(os.environ["INFERTRACE_BINARY_DIR"], "tests", "support", "chat_render", "chat_render")
if not os.path.exists(RENDER):
    skip("chat_render was not built (no it_serve: cpp-httplib missing)")

CONVERSATIONS = [
    [{"role": "user", "content": "hi"}],
    [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "hi"}],
    [{"role": "user", "content": " a \n"}, {"role": "assistant", "content": "b"}, {"role": "user", "content": "c"}],
    [{"role": "system", "content": "S"}, {"role": "user", "content": "u"}, {"role": "assistant", "content": "x\ty"}],
    [{"role": "assistant", "content": "first"}],
    [{"role": "user", "content": "q"}, {"role": "system", "content": "late"}, {"role": "user", "content": "\u00e9 \u3000"}],
    [{"role": "user", "content": "q"}, {"role": "assistant", "content": "<think>\nr\n</think>\n\n a "},
     {"role": "user", "content": "<tool_response>t</tool_response>"}, {"role": "assistant", "content": "x"},
     {"role": "assistant", "content": "<think>s</think>y"}],
    [{"role": "user", "content": "a"}, {"role": "assistant", "content": "<think>old</think>b"},
     {"role": "user", "content": "c"}, {"role": "assistant", "content": "<think> </think>\n"}],
]

NL = "\\n"  # a newline escape inside a Jinja string literal
# eos_token's text for every template, in jinja2 and in chat_render (its third argument, as the server
# passes its vocabulary's EOS token): Zephyr's templates write it after every message.
EOS = "</s>"

# Our own ChatML templates of each shape the server renders.
PLAIN = ("{% for message in messages %}{{ '<|im_start|>' + message['role'] + '" + NL + "' + message['content'] + "
         "'<|im_end|>' + '" + NL + "' }}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant" + NL +
         "' }}{% endif %}")
PLAIN_DASHED = ("{%- for turn in messages -%}\n  {{- '<|im_start|>' ~ turn.role ~ '" + NL + "' ~ turn.content ~ "
                "'<|im_end|>" + NL + "' -}}\n{%- endfor -%}\n{%- if add_generation_prompt -%}\n  {{- '<|im_start|>"
                "assistant" + NL + "' -}}\n{%- endif -%}\n")
RAW_TEXT = ("{% for m in messages %}\n<|im_start|>{{ m.role }}\n{{ m[\"content\"] }}<|im_end|>\n{% endfor %}\n"
            "{% if add_generation_prompt %}\n<|im_start|>assistant\n{% endif %}\n")
QWEN25_SHAPE = (
    "{%- if tools %}\n    {{- '<|im_start|>system" + NL + "' }}\n    {{- 'Tools: ' + tools | tojson + '<|im_end|>" + NL +
    "' }}\n"
    "{%- else %}\n    {%- if messages[0]['role'] == 'system' %}\n"
    "        {{- '<|im_start|>system" + NL + "' + messages[0]['content'] + '<|im_end|>" + NL + "' }}\n"
    "    {%- else %}\n        {{- '<|im_start|>system" + NL + "Reply as a careful assistant.<|im_end|>" + NL + "' }}\n"
    "    {%- endif %}\n{%- endif %}\n{%- for message in messages %}\n"
    "    {%- if (message.role == \"user\") or (message.role == \"system\" and not loop.first) or "
    "(message.role == \"assistant\" and not message.tool_calls) %}\n"
    "        {{- '<|im_start|>' + message.role + '" + NL + "' + message.content + '<|im_end|>' + '" + NL + "' }}\n"
    "    {%- elif message.role == \"assistant\" %}\n        {{- '<|im_start|>' + message.role + '" + NL + "(calls)<|im_end|>" +
    NL + "' }}\n    {%- elif message.role == \"tool\" %}\n        {{- '<|im_start|>user" + NL + "' + message.content + "
    "'<|im_end|>" + NL + "' }}\n    {%- endif %}\n{%- endfor %}\n{%- if add_generation_prompt %}\n"
    "    {{- '<|im_start|>assistant" + NL + "' }}\n{%- endif %}\n")
# Qwen2.5's shape with its default removed, as Qwen3's template opens: the system block has no else.
QWEN25_NO_DEFAULT = QWEN25_SHAPE.replace(
    "    {%- else %}\n        {{- '<|im_start|>system" + NL + "Reply as a careful assistant.<|im_end|>" + NL + "' }}\n", "")
QWEN15_SHAPE = ("{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}"
                "{{ '<|im_start|>system" + NL + "Short answers only.<|im_end|>" + NL + "' }}{% endif %}"
                "{{'<|im_start|>' + message['role'] + '" + NL + "' + message['content'] + '<|im_end|>' + '" + NL +
                "'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant" + NL + "' }}{% endif %}")


# Our own Llama 3 templates (review CT M1): the 3.1+ shape laid out one tag a line, with tool parts of
# our own behind the conditions Meta's templates test (passed over by the reader: false without
# tools), a 3.0 shape on one line, and 3.0 with the message built in a `set` (Meta's 3.0 spelling).
LLAMA31_SHAPE = (
    "{{- bos_token }}\n{%- if custom_tools is defined %}\n    {%- set tools = custom_tools %}\n{%- endif %}\n"
    "{%- if not tools_in_user_message is defined %}\n    {%- set tools_in_user_message = false %}\n{%- endif %}\n"
    "{%- if not date_string is defined %}\n    {%- set date_string = \"03 Mar 2025\" %}\n{%- endif %}\n"
    "{%- if not tools is defined %}\n    {%- set tools = none %}\n{%- endif %}\n"
    "{#- the first system message goes into the header #}\n"
    "{%- if messages[0]['role'] == 'system' %}\n    {%- set system_message = messages[0]['content']|trim %}\n"
    "    {%- set messages = messages[1:] %}\n{%- else %}\n    {%- set system_message = \"\" %}\n{%- endif %}\n"
    "{{- \"<|start_header_id|>system<|end_header_id|>" + NL + NL + "\" }}\n"
    "{%- if builtin_tools is defined or tools is not none %}\n    {{- \"Tools follow." + NL + "\" }}\n{%- endif %}\n"
    "{{- \"Cutting Knowledge Date: December 2023" + NL + "\" }}\n"
    "{{- \"Today Date: \" + date_string + \"" + NL + NL + "\" }}\n"
    "{%- if tools is not none and not tools_in_user_message %}\n    {{- tools | tojson }}\n{%- endif %}\n"
    "{{- system_message }}\n{{- \"<|eot_id|>\" }}\n"
    "{%- for message in messages %}\n"
    "    {%- if not (message.role == 'ipython' or message.role == 'tool' or 'tool_calls' in message) %}\n"
    "        {{- '<|start_header_id|>' + message['role'] + '<|end_header_id|>" + NL + NL + "'+ message['content'] | trim "
    "+ '<|eot_id|>' }}\n"
    "    {%- elif 'tool_calls' in message %}\n        {{- '<|start_header_id|>assistant<|end_header_id|>" + NL + NL +
    "(call)<|eot_id|>' }}\n"
    "    {%- else %}\n        {{- '<|start_header_id|>ipython<|end_header_id|>" + NL + NL + "' + message.content | tojson "
    "+ '<|eot_id|>' }}\n    {%- endif %}\n{%- endfor %}\n"
    "{%- if add_generation_prompt %}\n    {{- '<|start_header_id|>assistant<|end_header_id|>" + NL + NL + "' }}\n"
    "{%- endif %}\n")
LLAMA30_SHAPE = ("{{- bos_token }}{%- for message in messages %}{{- '<|start_header_id|>' + message['role'] + "
                 "'<|end_header_id|>" + NL + NL + "' + message['content'] | trim + '<|eot_id|>' }}{%- endfor %}{%- if "
                 "add_generation_prompt %}{{- '<|start_header_id|>assistant<|end_header_id|>" + NL + NL +
                 "' }}{%- endif %}")
LLAMA30_SET_SHAPE = ("{% set loop_messages = messages %}{% for message in loop_messages %}{% set content = "
                     "'<|start_header_id|>' + message['role'] + '<|end_header_id|>" + NL + NL + "'+ message['content'] "
                     "| trim + '<|eot_id|>' %}{% if loop.index0 == 0 %}{% set content = bos_token + content %}{% endif "
                     "%}{{ content }}{% endfor %}{% if add_generation_prompt %}{{ '<|start_header_id|>assistant"
                     "<|end_header_id|>" + NL + NL + "' }}{% endif %}")


def llama3_mutations(base):
    """(label, text, must be accepted) for review CT's edits of a Llama 3 template: the ones the reader
    takes from the template (a cut-off date, a default system message, <|eom_id|>, one newline after the
    header, untrimmed content) must be accepted; the rest must be refused or equal to jinja2."""
    out = []

    def rep(label, old, new, must=False):
        if old in base:
            out.append((label, base.replace(old, new), must))
    rep("another cut-off date", "December 2023", "March 2024", True)
    rep("a default system message", "set system_message = \"\"", "set system_message = \"You are kind.\"", True)
    rep("<|eom_id|>", "| trim + '<|eot_id|>'", "| trim + '<|eom_id|>'", True)
    rep("<|eom_id|>, spaced", "| trim \n+ '<|eot_id|>'", "| trim \n+ '<|eom_id|>'", True)
    rep("one newline after the header", "'<|end_header_id|>" + NL + NL + "'+ message", "'<|end_header_id|>" + NL +
        "'+ message", True)
    rep("one newline after the header", "'<|end_header_id|>" + NL + NL + "' + message", "'<|end_header_id|>" + NL +
        "' + message", True)
    rep("untrimmed content", "message['content'] | trim", "message['content']", True)
    rep("role | upper", "+ message['role'] +", "+ message['role'] | upper +")
    rep("a default system turn", "{%- for message", "{%- if messages[0]['role'] != 'system' %}{{- '<|start_header_id|>"
        "system<|end_header_id|>" + NL + NL + "Be kind.<|eot_id|>' }}{%- endif %}{%- for message")
    rep("system messages skipped", "{%- for message in messages %}", "{%- for message in messages %}{%- if "
        "message['role'] == 'system' %}{%- continue %}{%- endif %}")
    rep("no tools guard", "{%- if not tools is defined %}\n    {%- set tools = none %}\n{%- endif %}\n", "")
    rep("system message untrimmed", "messages[0]['content']|trim", "messages[0]['content']")
    rep("no date guard", "{%- if not date_string is defined %}\n    {%- set date_string = \"03 Mar 2025\" %}\n"
        "{%- endif %}\n", "{%- set date_string = \"03 Mar 2025\" %}\n", True)
    at = base.find("{%- if add_generation_prompt")
    if at < 0:
        at = base.find("{% if add_generation_prompt")
    out.append(("no generation prompt", base[:at], False))
    out.append(("text after", base + "X", False))
    out.append(("a second bos_token", "{{ bos_token }}" + base, False))
    return out


# Our own template with the constructs of Qwen3's: the last query found backwards (tool responses
# skipped), the assistant's reasoning split off and written under Qwen3's two conditions, the
# generation prompt's enable_thinking test. Its variants: the think condition in one tag, no
# enable_thinking test (as Qwen3-2507-Instruct), a tool response told by containing both tags.
QWEN3_SHAPE = (
    "{%- set found = namespace(looking=true, last_query_index=messages|length - 1) -%}\n"
    "{%- for m in messages[::-1] -%}\n"
    "  {%- if found.looking and m.role == 'user' and not(m.content.startswith('<tool_response>') and "
    "m.content.endswith('</tool_response>')) -%}\n"
    "    {%- set found.looking = false -%}\n    {%- set found.last_query_index = (messages|length - 1) - loop.index0 -%}\n"
    "  {%- endif -%}\n{%- endfor -%}\n"
    "{%- for m in messages -%}\n"
    "  {%- if m.role == 'assistant' -%}\n"
    "    {%- set said = m.content -%}\n    {%- set why = '' -%}\n"
    "    {%- if '</think>' in said -%}\n"
    "      {%- set why = said.split('</think>')[0].rstrip('" + NL + "').split('<think>')[-1].lstrip('" + NL + "') -%}\n"
    "      {%- set said = said.split('</think>')[-1].lstrip('" + NL + "') -%}\n"
    "    {%- endif -%}\n"
    "    {%- if loop.index0 > found.last_query_index -%}\n"
    "      {%- if loop.last or (not loop.last and why) -%}\n"
    "        {{- '<|im_start|>' + m.role + '" + NL + "<think>" + NL + "' + why.strip('" + NL + "') + '" + NL + "</think>" +
    NL + NL + "' + said.lstrip('" + NL + "') -}}\n"
    "      {%- else -%}\n        {{- '<|im_start|>' + m.role + '" + NL + "' + said -}}\n      {%- endif -%}\n"
    "    {%- else -%}\n      {{- '<|im_start|>' + m.role + '" + NL + "' + said -}}\n    {%- endif -%}\n"
    "    {{- '<|im_end|>" + NL + "' -}}\n"
    "  {%- else -%}\n    {{- '<|im_start|>' + m.role + '" + NL + "' + m.content + '<|im_end|>" + NL + "' -}}\n"
    "  {%- endif -%}\n{%- endfor -%}\n"
    "{%- if add_generation_prompt -%}\n  {{- '<|im_start|>assistant" + NL + "' -}}\n"
    "  {%- if enable_thinking is defined and enable_thinking is false -%}\n    {{- '<think>" + NL + NL + "</think>" + NL +
    NL + "' -}}\n  {%- endif -%}\n{%- endif -%}\n")
QWEN3_THINK_IF = "{%- if loop.last or (not loop.last and why) -%}"
QWEN3_THINK = ("{{- '<|im_start|>' + m.role + '" + NL + "<think>" + NL + "' + why.strip('" + NL + "') + '" + NL +
               "</think>" + NL + NL + "' + said.lstrip('" + NL + "') -}}")
QWEN3_PROMPT_TEST = ("  {%- if enable_thinking is defined and enable_thinking is false -%}\n    {{- '<think>" + NL + NL +
                     "</think>" + NL + NL + "' -}}\n  {%- endif -%}\n")


def qwen3_mutations(base):
    """(label, text, must accept) for a Qwen3-shaped base: the constructs of Qwen3-marked templates that
    render otherwise (Qwen3.5-VL's generation prompt and think rule, a training variant's think block
    in every turn, a trimmed content, a macro), each refused; and changes jinja2 writes nothing more
    for, accepted."""
    rep = lambda a, b: base.replace(a, b, 1) if a in base else None  # noqa: E731
    m = [
        ("think block unless enabled", rep(QWEN3_PROMPT_TEST, "  {%- if enable_thinking is defined and enable_thinking is "
                                           "true -%}{{- '<think>" + NL + "' -}}{%- else -%}{{- '<think>" + NL + NL +
                                           "</think>" + NL + NL + "' -}}{%- endif -%}"), False),
        ("think block in every assistant turn",
         rep("    {%- if loop.index0 > found.last_query_index -%}", "    " + QWEN3_THINK + "{%- if false -%}"), False),
        ("think block after the last query whatever the turn", rep(QWEN3_THINK_IF, "{%- if true -%}"), False),
        ("think block unstripped", rep("why.strip('" + NL + "')", "why"), False),
        ("trimmed content", rep("{%- set said = m.content -%}", "{%- set said = m.content|trim -%}"), False),
        ("content through a macro", "{%- macro c(x) -%}{{- x -}}{%- endmacro -%}" +
         base.replace("{%- set said = m.content -%}", "{%- set said = c(m.content) -%}", 1), False),
        ("enable_thinking set", "{%- set enable_thinking = false -%}" + base, False),
        ("text in the loop", rep("  {%- endif -%}\n{%- endfor -%}\n{%- if add", "  {%- endif -%}X\n{%- endfor -%}\n"
                                 "{%- if add"), False),
        ("comment in the loop", rep("    {%- set why = '' -%}", "    {%- set why = '' -%}{# note #}"), True),
        ("no enable_thinking test", rep(QWEN3_PROMPT_TEST, ""), True),
        ("a tool response contains both tags",
         rep("not(m.content.startswith('<tool_response>') and m.content.endswith('</tool_response>'))",
             "not('<tool_response>' in m.content and '</tool_response>' in m.content)"), True),
        ("the think condition in one tag, and an `if true` inside",
         rep("    {%- if loop.index0 > found.last_query_index -%}\n      " + QWEN3_THINK_IF,
             "    {%- if loop.index0 > found.last_query_index and (loop.last or why) -%}\n      {%- if true -%}"), False),
    ]
    return [(label, text, must) for label, text, must in m if text is not None and text != base]


# Our own Zephyr-shaped templates (the shape of zephyr-7b-beta's and TinyLlama-1.1B-Chat's): a
# branch per role writing '<|ROLE|>\n' + content + eos_token, the generation prompt in the loop.
# Laid out one tag a line (the newline after each `}}` is written) and on one line.
ZEPHYR_SHAPE = ("{% for message in messages %}\n{% if message['role'] == 'user' %}\n"
                "{{ '<|user|>" + NL + "' + message['content'] + eos_token }}\n{% elif message['role'] == 'system' %}\n"
                "{{ '<|system|>" + NL + "' + message['content'] + eos_token }}\n"
                "{% elif message['role'] == 'assistant' %}\n{{ '<|assistant|>" + NL + "' + message['content'] + "
                "eos_token }}\n{% endif %}\n{% if loop.last and add_generation_prompt %}\n{{ '<|assistant|>' }}\n"
                "{% endif %}\n{% endfor %}")
ZEPHYR_ONE_LINE = ZEPHYR_SHAPE.replace("\n", "")
ZEPHYR_PROMPT = "{% if loop.last and add_generation_prompt %}"
ZEPHYR_ASSISTANT = "{% elif message['role'] == 'assistant' %}"
SYSTEM_WRITE = "{{ '<|system|>" + NL + "' + message['content'] + eos_token }}"


def zephyr_mutations(base):
    """(label, text, must accept) for a Zephyr-shaped base: GLM's marker, bos_token, a transformed or
    dropped content or EOS, a role not written, another generation prompt, refused; other spellings
    jinja2 writes the same for, accepted."""
    rep = lambda a, b: base.replace(a, b, 1) if a in base else None  # noqa: E731
    prompt = base[base.find(ZEPHYR_PROMPT):base.find("{% endfor %}")]
    assistant = base.find(ZEPHYR_ASSISTANT)
    system = base.find("{% elif message['role'] == 'system' %}")
    end = base.find("{% endif %}", assistant)
    m = [
        ("glm marker", "[gMASK]<sop>" + base, False),
        ("bos_token first", "{{ bos_token }}" + base, False),
        ("content trimmed", rep("message['content'] + eos_token", "message['content'] | trim + eos_token"), False),
        ("no eos_token after a user message", rep("message['content'] + eos_token", "message['content']"), False),
        # No system branch: jinja2 writes nothing of a system message (or raises where its branch
        # raises), as the server does; a raise it cannot name, or a system message written otherwise,
        # is refused.
        ("a tool branch for the system one", rep("{% elif message['role'] == 'system' %}",
                                                 "{% elif message['role'] == 'tool' %}"), True),
        ("no system branch", base[:system] + base[assistant:] if 0 <= system < assistant else None, True),
        ("no system branch, an else raising", base[:system] + base[assistant:end] + "{% else %}{{ raise_exception("
         "'Only user and assistant roles are supported!') }}" + base[end:] if 0 <= system < assistant < end else None,
         True),
        ("system branch raising", rep(SYSTEM_WRITE, "{{ raise_exception('no system messages') }}"), True),
        ("system branch raising a built message", rep(SYSTEM_WRITE, "{{ raise_exception('no ' + message['role']) }}"),
         False),
        ("system branch writing and raising", rep(SYSTEM_WRITE, "{{ 'S' }}{{ raise_exception('no') }}"), False),
        ("system branch writing the content only", rep("'<|system|>" + NL + "' + ", ""), False),
        ("another generation prompt", rep("{{ '<|assistant|>' }}", "{{ '<|assistant|>" + NL + "Sure' }}"), False),
        ("generation prompt on the first message", rep("loop.last and", "loop.first and"), False),
        ("text after the generation prompt", rep("{% endfor %}", "X{% endfor %}"), False),
        ("an else an assistant message reaches, raising", base[:assistant] + "{% else %}{{ raise_exception('no') }}" +
         base[base.find("{% endif %}", assistant):] if assistant >= 0 else None, False),
        ("comment before the loop", "{# a note #}" + base, True),
        ("set of a string before the loop", "{% set sep = '" + NL + "' %}\n" + base, True),
        ("set of a literal after the loop", base + "{%- set done = true %}", True),
        ("set eos_token", "{% set eos_token = '<e>' %}" + base, False),
        ("set of another name to a name", "{% set sep = eos_token %}" + base, False),
        ("add_generation_prompt default after the loop", base + "{% if not add_generation_prompt is defined %}"
         "{% set add_generation_prompt = true %}{% endif %}", False),
        ("a dead else raising", rep("{% endif %}", "{% else %}{{ raise_exception('roles: system, user, assistant') }}"
                                                   "{% endif %}"), True),
        ("a tool branch", rep(ZEPHYR_ASSISTANT, "{% elif message['role'] == 'tool' %}{{ 'T' }}" + ZEPHYR_ASSISTANT), True),
        ("a tool branch writing a number jinja2 splits",
         rep(ZEPHYR_ASSISTANT, "{% elif message['role'] == 'tool' %}{{ 0x }}" + ZEPHYR_ASSISTANT), False),
        ("a tool branch writing a string jinja2 cannot decode",
         rep(ZEPHYR_ASSISTANT, "{% elif message['role'] == 'tool' %}{{ '\\u12' }}" + ZEPHYR_ASSISTANT), False),
        ("a second user branch", rep(ZEPHYR_ASSISTANT, "{% elif message['role'] == 'user' %}{{ 'U' }}" + ZEPHYR_ASSISTANT),
         True),
        ("~ for +, fields by dot", base.replace("' + message['content'] + ", "' ~ message.content ~ "), True),
        ("the role test the other way round", base.replace("message['role'] == 'user'", "'user' == message.role"), True),
        ("the generation prompt after the loop",
         base.replace(prompt, "") + prompt.replace("loop.last and ", "") if prompt else None, True),
    ]
    m += [("set of a string %s before the loop" % v, "{% set sep = " + v + " %}\n" + base, True)
          for v in LITERALS_JINJA2_READS if v.startswith(("'", '"'))]
    return [(label, text, must) for label, text, must in m if text is not None and text != base]


# Zephyr's shape with every header written from the role ('<|' + role + '|>', no <|user|> literal),
# the generation prompt after the loop; laid out one tag a line and on one line.
ZEPHYR_FROM_ROLE = ("{% for message in messages %}\n{{ '<|' + message['role'] + '|>" + NL + "' + message['content'] + "
                    "eos_token }}\n{% endfor %}\n{% if add_generation_prompt %}\n{{ '<|assistant|>' }}\n{% endif %}\n")
ZEPHYR_FROM_ROLE_ONE_LINE = ZEPHYR_FROM_ROLE.replace("\n", "")


def zephyr_from_role_mutations(base):
    """(label, text, must accept) for a Zephyr base writing its headers from the role: another header,
    role or generation prompt and bos_token refused; other spellings and the prompt in the loop
    accepted."""
    rep = lambda a, b: base.replace(a, b, 1) if a in base else None  # noqa: E731
    expr = "'<|' + message['role'] + '|>" + NL + "' + message['content'] + eos_token"
    start = base.find("{% if add_generation_prompt %}")
    prompt = base[start:base.find("{% endif %}", start) + len("{% endif %}")]
    m = [
        ("bos_token first", "{{ bos_token }}" + base, False),
        ("header without its newline", rep("'|>" + NL + "'", "'|>'"), False),
        ("role written twice", rep("message['role'] + '|>", "message['role'] + message['role'] + '|>"), False),
        ("role upper-cased", rep("message['role'] + '|>", "message['role'] | upper + '|>"), False),
        ("one role for all", rep("message['role']", "'user'"), False),
        ("no eos_token", rep(" + eos_token", ""), False),
        ("another generation prompt", rep("{{ '<|assistant|>' }}", "{{ '<|' + 'bot|>' }}"), False),
        ("~ and double quotes, fields by dot",
         rep(expr, "\"<|\" ~ message.role ~ \"|>" + NL + "\" ~ message.content ~ eos_token"), True),
        ("the generation prompt in the loop",
         base.replace(prompt, "").replace("{% endfor %}", prompt.replace("if add_generation_prompt",
                                                                         "if loop.last and add_generation_prompt") +
                                          "{% endfor %}") if prompt else None, True),
    ]
    return [(label, text, must) for label, text, must in m if text is not None and text != base]


def synth_template(tmp, preset):
    """The template `model synth PRESET` writes into its file (None when the preset has none)."""
    path = os.path.join(tmp, preset + ".gguf")
    r = run("model", "synth", "--preset", preset, "--dtype", "f32", "-o", path)
    check(r.returncode == 0, "model synth %s: %s" % (preset, r.stderr))
    if r.returncode != 0:
        return None
    with open(path, "rb") as f:
        kv = _gguf.parse(f.read())[2]
    entry = kv.get("tokenizer.chat_template")
    check(entry is not None, "%s carries no chat template" % preset)
    return entry[1] if entry else None


def jinja_render(template):
    """jinja2's prompts for CONVERSATIONS (an exception's text in place of one it raises on), or the
    TemplateSyntaxError's text when it does not compile."""
    env = jinja2.sandbox.ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True,
                                                       extensions=["jinja2.ext.loopcontrols"])

    def raise_exception(m):
        raise jinja2.TemplateError(m)
    env.globals["raise_exception"] = raise_exception
    try:
        t = env.from_string(template)
    except jinja2.TemplateSyntaxError as e:
        return None, str(e)
    out = []
    for conv in CONVERSATIONS:
        try:
            out.append(t.render(messages=conv, add_generation_prompt=True, bos_token="", eos_token=EOS))
        except Exception as e:  # noqa: BLE001 -- any raise: the server must not render that conversation
            out.append({"raised": str(e)})
    return out, None


def ours(tmp, templates):
    """The server's verdict on each of TEMPLATES, in order: one chat_render run for all of them (a
    process per template cost ~0.15 s each under ASan, 93 s in all)."""
    tp = os.path.join(tmp, "templates.json")
    with open(tp, "w", encoding="utf-8") as f:
        json.dump(templates, f)
    cp = os.path.join(tmp, "conversations.json")
    with open(cp, "w", encoding="utf-8") as f:
        json.dump(CONVERSATIONS, f)
    r = subprocess.run([RENDER, tp, cp, EOS], capture_output=True, text=True, timeout=600)
    check(r.returncode == 0, "chat_render exit %d: %s" % (r.returncode, r.stderr))
    got = json.loads(r.stdout) if r.returncode == 0 else []
    check(len(got) == len(templates), "chat_render gave %d verdicts for %d templates" % (len(got), len(templates)))
    return got if len(got) == len(templates) else [{"refused": "chat_render failed"}] * len(templates)


def compare(label, template, got, must_accept=False):
    """Checks the rule on the server's verdict GOT for TEMPLATE; returns 'accepted' or 'refused'."""
    want, syntax_error = jinja_render(template)
    if "refused" in got:
        check(not must_accept, "%s: refused (%s), but jinja2 renders it as the server would" % (label, got["refused"]))
        return "refused"
    check(syntax_error is None, "%s: accepted (%s), but jinja2 does not compile it: %s" %
          (label, got["family"], syntax_error))
    if syntax_error is not None:
        return "accepted"
    for conv, w, g in zip(CONVERSATIONS, want, got["prompts"]):
        if isinstance(w, dict):
            check(isinstance(g, dict), "%s: %s: jinja2 raises (%s), the server renders %r" % (label, conv, w["raised"], g))
        else:
            check(g == w, "%s: %s: the server renders %r, jinja2 %r" % (label, conv, g, w))
    return "accepted"


def insert_before(text, marker, what):
    at = text.find(marker)
    return text[:at] + what + text[at:] if at >= 0 else None


def loop_of(text):
    """The message loop's text, from its `for` tag through its `endfor` tag."""
    start = text.rfind("{", 0, text.find("for ", max(0, text.find("in messages") - 30)))
    end = text.find("endfor", start)
    end = text.find("}", end) + 1
    return text[start:end]


ASSISTANT_CLAUSE = ' or (message.role == "assistant" and not message.tool_calls)'


def without_assistant_clause(base):
    """Qwen2.5's loop condition without its assistant clause, and with the assistant elif gone too, so
    assistant messages reach no branch: jinja2 writes none of them (review CL H1)."""
    if ASSISTANT_CLAUSE not in base:
        return None
    t = base.replace(ASSISTANT_CLAUSE, "")
    start = t.find("{%- elif message.role == \"assistant\" %}")
    end = t.find("{%- elif", start + 1)
    return t[:start] + t[end:] if start >= 0 and end >= 0 else t


LITERALS_JINJA2_READS = ["0", "10", "00", "1_000", "1.5", "1e5", "1.5e-3", "1_0.2_5E1_0", "0x1F", "0b101", "0o17",
                         "'" + NL + "'", "'\\x41'", "'\\u00e9'", "'\\U0001F600'", "'\\101'", "'\\q'",
                         "\"\\x41\\t\\a\""]
LITERALS_JINJA2_REFUSES = ["08", "007", "1_", "1__0", "1e", "1.5e", "1.", "0x", "0x1g", "0b2", "0o8", "1a", "1_.5",
                           "'\\x4'", "'\\xg1'", "'\\u12'", "'\\U0011000'", "'\\U00110000'", "'\\N{NOPE}'"]


def mutations(base):
    """(label, text, whether the server must accept it: jinja2 writes the same for it as for base,
    and the server knows why) for base."""
    loop = loop_of(base)
    gen = base.rfind("{", 0, base.find("add_generation_prompt"))
    after_loop = base.find(loop) + len(loop)
    m = [
        ("text before", "X" + base, False),
        ("text after", base + "X", False),
        ("expression before the loop", insert_before(base, loop, "{{ 'X' }}"), False),
        ("expression after the loop", base[:after_loop] + "{{ 'X' }}" + base[after_loop:], False),
        ("literal text between loop and prompt", base[:after_loop] + "Y" + base[after_loop:], False),
        ("set messages", insert_before(base, loop, "{% set messages = messages[1:] %}"), False),
        ("set of another name", insert_before(base, loop, "{% set unused = 1 %}"), True),
        ("set of another name to a call", insert_before(base, loop, "{% set unused = raise_exception('no') %}"), False),
        ("set add_generation_prompt", insert_before(base, loop, "{% set add_generation_prompt = false %}"), False),
        # axolotl's chatml prelude: it never runs when add_generation_prompt is passed (review CL H2).
        ("add_generation_prompt default", insert_before(base, loop, "{% if not add_generation_prompt is defined %}"
                                                        "{% set add_generation_prompt = false %}{% endif %}"), True),
        ("add_generation_prompt default, other spelling",
         insert_before(base, loop, "{%- if add_generation_prompt is not defined %}\n  {%- set add_generation_prompt = "
                       "true %}\n{%- endif %}"), True),
        ("add_generation_prompt default writing", insert_before(base, loop, "{% if not add_generation_prompt is defined "
                                                                "%}X{% endif %}"), False),
        ("no assistant clause", without_assistant_clause(base), False),
        ("second loop", base[:after_loop] + loop + base[after_loop:], False),
        ("comment before the loop", insert_before(base, loop, "{# a note #}"), True),
        ("indented newline before the prompt", base[:gen] + "\n    " + base[gen:], False),
        ("changed end literal", base.replace("<|im_end|>", "<|im_end|> ", 1), False),
        ("not add_generation_prompt", base.replace("if add_generation_prompt", "if not add_generation_prompt"), False),
        ("unbalanced ( in a condition", base.replace("if add_generation_prompt", "if (add_generation_prompt"), False),
        ("unbalanced ) in a condition", base.replace("if add_generation_prompt", "if add_generation_prompt)"), False),
        ("unclosed last tag", base.rstrip()[:-2], False),
        ("missing endif", base[:base.rfind("{")] + base[base.rfind("}") + 1:], False),
        ("missing endfor", base.replace("endfor", "endif", 1), False),
        ("unknown statement", insert_before(base, loop, "{% frobnicate %}"), False),
        ("else outside a block", insert_before(base, loop, "{% else %}"), False),
    ]
    # Number literals jinja2 lexes as one token, accepted (strings too where the reader takes a `set`
    # of one: Zephyr's, below; ChatML's refuses any non-empty one, a possible default system
    # message); those it splits in two or cannot decode, refused (review Z2 M1, M2).
    for v, must in [(v, not v.startswith(("'", '"'))) for v in LITERALS_JINJA2_READS] + \
            [(v, False) for v in LITERALS_JINJA2_REFUSES]:
        m.append(("set of another name to %s" % v, insert_before(base, loop, "{% set unused = " + v + " %}"), must))
    return [(label, text, must) for label, text, must in m if text is not None and text != base]


def whitespace_variants(base, rng, n):
    """Base with random white space inserted at tag boundaries and signs (-, +) toggled on tags."""
    out = []
    for _ in range(n):
        t = base
        for _ in range(rng.randint(1, 4)):
            cuts = [i for i in range(len(t)) if t.startswith(("{%", "{{", "{#"), i)
                    or (i >= 2 and t.startswith(("%}", "}}", "#}"), i - 2))]
            if not cuts:
                break
            at = rng.choice(cuts)
            op = rng.randrange(3)
            if op == 0:
                t = t[:at] + rng.choice([" ", "\n", "  \n", "\n  ", "\t", "\n\n", " \n "]) + t[at:]
            elif op == 1 and t.startswith(("{%", "{{"), at) and t[at + 2:at + 3] not in "-+":
                t = t[:at + 2] + rng.choice("-+") + t[at + 2:]
            elif op == 2 and t.startswith(("%}", "}}"), at - 2) and t[at - 3:at - 2] not in "-+":
                t = t[:at - 2] + rng.choice("-+ ") + t[at - 2:]
        out.append(t)
    return out


def main():
    rng = random.Random(20261202)
    counts = {"accepted": 0, "refused": 0}
    with tempfile.TemporaryDirectory() as tmp:
        cases = []  # (label, template text, must be accepted, printed as a published template's)

        def add(label, text, must_accept=False, published=False):
            cases.append((label, text, must_accept, published))

        bases = [("plain", PLAIN), ("plain, dashed", PLAIN_DASHED), ("raw text", RAW_TEXT),
                 ("qwen2.5 shape", QWEN25_SHAPE), ("qwen2.5 shape, no default", QWEN25_NO_DEFAULT),
                 ("qwen1.5 shape", QWEN15_SHAPE)]
        synth = synth_template(tmp, "tiny-qwen2")
        if synth is not None:
            bases.append(("tiny-qwen2's own", synth))
        for name, base in bases:
            add(name, base, must_accept=True)
            for label, text, must in mutations(base):
                add("%s: %s" % (name, label), text, must_accept=must)
            for k, text in enumerate(whitespace_variants(base, rng, 40)):
                add("%s: white space %d %r" % (name, k, text), text)
        qwen3_bases = [("qwen3 shape", QWEN3_SHAPE)]
        synth3 = synth_template(tmp, "tiny-qwen3")
        if synth3 is not None:
            qwen3_bases.append(("tiny-qwen3's own", synth3))
        for name, base in qwen3_bases:
            add(name, base, must_accept=True)
            for label, text, must in qwen3_mutations(base):
                add("%s: %s" % (name, label), text, must_accept=must)
            for k, text in enumerate(whitespace_variants(base, rng, 40)):
                add("%s: white space %d %r" % (name, k, text), text)
        zephyr_bases = [("zephyr shape", ZEPHYR_SHAPE), ("zephyr shape, one line", ZEPHYR_ONE_LINE)]
        for name, base in zephyr_bases:
            add(name, base, must_accept=True)
            # ChatML's mutations too, with ChatML's verdicts: the Zephyr reader takes a `set` of a
            # literal and axolotl's add_generation_prompt prelude as ChatML's does.
            for label, text, must in zephyr_mutations(base) + mutations(base):
                add("%s: %s" % (name, label), text, must_accept=must)
            for k, text in enumerate(whitespace_variants(base, rng, 40)):
                add("%s: white space %d %r" % (name, k, text), text)
        from_role_bases = [("zephyr from the role", ZEPHYR_FROM_ROLE),
                           ("zephyr from the role, one line", ZEPHYR_FROM_ROLE_ONE_LINE)]
        zephyr_bases += from_role_bases
        for name, base in from_role_bases:
            add(name, base, must_accept=True)
            for label, text, must in zephyr_from_role_mutations(base) + mutations(base):
                add("%s: %s" % (name, label), text, must_accept=must)
            for k, text in enumerate(whitespace_variants(base, rng, 40)):
                add("%s: white space %d %r" % (name, k, text), text)
        llama3_bases = [("llama3.1 shape", LLAMA31_SHAPE), ("llama3.0 shape", LLAMA30_SHAPE),
                        ("llama3.0 set shape", LLAMA30_SET_SHAPE)]
        for name, base in llama3_bases:
            add(name, base, must_accept=True)
            for label, text, must in llama3_mutations(base):
                add("%s: %s" % (name, label), text, must_accept=must)
            for k, text in enumerate(whitespace_variants(base, rng, 40)):
                add("%s: white space %d %r" % (name, k, text), text)
        published = os.environ.get("INFERTRACE_QWEN3_TEMPLATES", "")
        if published:
            names = sorted(n for n in os.listdir(published) if os.path.isfile(os.path.join(published, n)))
            check(names, "INFERTRACE_QWEN3_TEMPLATES=%s holds no template files" % published)
            for n in names:
                with open(os.path.join(published, n), encoding="utf-8") as f:
                    # Qwen3's own published text (a name holding "official") is the one the
                    # renderer stands for: refusing it fails the test, not a refusal to count
                    # (review DA).
                    add("published " + n, f.read(), must_accept="official" in n, published=True)
        verdicts = ours(tmp, [text for _, text, _, _ in cases])
        for (label, text, must, is_published), got in zip(cases, verdicts):
            verdict = compare(label, text, got, must_accept=must)
            if is_published:
                print("%s: %s" % (label, verdict))
            else:
                counts[verdict] += 1
    print("templates: %d accepted and equal to jinja2, %d refused" % (counts["accepted"], counts["refused"]))
    check(counts["accepted"] >= len(bases) + len(qwen3_bases) + len(zephyr_bases) + len(llama3_bases),
          "fewer accepted templates than unmutated shapes")

main()
if failures:
    print("%d failure(s)" % len(failures))
    sys.exit(1)
print("ok")
