"""Latency figures a client reports, checked against the stamps a fake server took of the same
requests (time.monotonic(), when it read each request and when it wrote the events). No window
around a schedule: wake-ups on a loaded machine (and a client 30x slower under the sanitizers) move
the figures by any amount, but only later, and only by what happened between the server's stamp
and the client's read.

From below the check is exact. The client stamps a request's send before it connects and each event
when it has read it; the server stamps the request after reading it and an event before writing it.
So every client figure is at least its request's server figure, and as the pairing of client and
server requests is unknown (several are in flight), the sorted lists are compared: if a bijection
pairs each a with some b <= a, the k-th smallest a is at least the k-th smallest b, and extra server
requests (warm-up ones) can only lower the k-th smallest b.

From above no exact bound exists (the client's own delays are not stamped anywhere), so the bound
is the largest server figure plus SLACK_MS, the end-to-end tests' 5 s rule: it still catches a
figure in the wrong unit or taken at the wrong event of a stream that lasts longer than that."""
from _harness import check

SLACK_MS = 5000.0


def server_ms(stamps, start, end):
    """Each stamped request's end - start (keys of its stamp dict), in ms; requests without both
    stamps (a stream cut short) are left out."""
    return [1000.0 * (s[end] - s[start]) for s in stamps if start in s and end in s]


def within_server_stamps(client, server, what):
    """client: one figure (ms) per request the client completed; server: the same figure from the
    server's stamps, for every request it served (maybe more)."""
    client, server = sorted(client), sorted(server)
    check(len(server) >= len(client) > 0, "%s: %d client figures, %d server ones" % (what, len(client), len(server)))
    if not client or len(server) < len(client):
        return
    low = [k for k, (a, b) in enumerate(zip(client, server)) if a < b]
    check(not low, "%s: client %s ms below the server's stamps %s ms (k-th smallest each)"
          % (what, [round(x, 3) for x in client], [round(x, 3) for x in server]))
    check(client[-1] <= server[-1] + SLACK_MS, "%s: client's largest %.1f ms over the server's %.1f ms + %.0f ms"
          % (what, client[-1], server[-1], SLACK_MS))


def gap_near_server_gap(client, server, what):
    """One request's interval between two of its events as the client read them (client, ms) and as
    the server stamped their writes (server, ms). The client reads the later event after its write
    and the earlier one at most SLACK_MS after its write (the same read lag the bound above allows),
    so client >= server - SLACK_MS; and late by at most SLACK_MS on the later event, client <=
    server + SLACK_MS. Against a server gap longer than SLACK_MS, the lower bound is what catches a
    client that reads the stream as it arrives no longer: one that buffers the body and stamps
    every event at its end gives gaps of about 0."""
    check(server - SLACK_MS <= client <= server + SLACK_MS, "%s: client %.1f ms, the server's %.1f ms +- %.0f ms"
          % (what, client, server, SLACK_MS))
