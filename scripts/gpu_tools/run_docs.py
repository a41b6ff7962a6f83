"""The `engine run --json` documents a GPU-check part appended to one file, one after another (each
is pretty-printed over several lines), as a list of dicts without the bulky token lists; and the
same written back as JSON lines for the results tarball."""
import json
import sys

BULKY = ("prompt_ids", "output_ids", "text")


def read_run_docs(path):
    """Every whole document in `path` ([] when it does not exist). A document cut short (a run
    killed while printing) ends the list with a note on stderr instead of failing the table."""
    try:
        text = open(path).read()
    except FileNotFoundError:
        return []
    dec, i, rows = json.JSONDecoder(), 0, []
    while i < len(text):
        if text[i].isspace():
            i += 1
            continue
        try:
            doc, i = dec.raw_decode(text, i)
        except json.JSONDecodeError as e:
            print(f"{path}: unreadable from byte {i} on ({e.msg}); {len(rows)} run(s) kept", file=sys.stderr)
            break
        rows.append({k: v for k, v in doc.items() if k not in BULKY})
    return rows


def write_jsonl(rows, path):
    with open(path, "w") as f:
        for row in rows:
            f.write(json.dumps(row) + "\n")
