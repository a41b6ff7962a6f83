"""`bench serve --profile poisson --repeat N` (review SV58 M2): every run of a load draws its own
arrivals (the repetition is mixed into the generator's seed; before, all runs had one schedule, so
the runs' spread left out a poisson point's main noise), and the same seed and repetition give the
same schedule again. Against a fake server answering at once."""
import json

from _fake_openai import FakeModelsHandler, serve, stream_tokens
from _harness import check, failures, require_serve, run

require_serve()


class Fake(FakeModelsHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers["Content-Length"]))
        stream_tokens(self, 1)


srv, url = serve(Fake)
srv.daemon_threads = True


def schedules(seed):
    r = run("bench", "serve", "--url", url, "--profile", "poisson", "--rate", "50", "--repeat", "2", "--requests",
            "6", "--seed", str(seed), "--warmup", "0", "--prompt-tokens", "2", "--output-tokens", "1", "--json",
            timeout=120)
    check(r.returncode == 0, f"bench serve: exit {r.returncode}: {r.stderr}")
    pts = json.loads(r.stdout)["points"]
    check([p["repetition"] for p in pts] == [1, 2], f"repetitions {[p['repetition'] for p in pts]}")
    return [[q["scheduled_s"] for q in p["requests"]] for p in pts]


a = schedules(7)
check(a[0] != a[1], f"the two runs of a load have their own arrivals: {a}")
check(all(len(s) == 6 and s[0] == 0 for s in a), f"6 arrivals from 0: {a}")
check(schedules(7) == a, "the same seed and repetition give the same schedule")
check(schedules(8)[0] != a[0], "another seed, another schedule")

if failures:
    raise SystemExit(1)
print("ok")
