#!/usr/bin/env python3
"""Index lag of POST search: write a record with a word of its own, then search for the word until it is found.

    bench/search-lag.py BASE_URL TOKEN_FILE SAMPLES

The lag is the time from the write's answer (its commit) until the first search that finds it, polled back to back
on a second connection. Prints one line: LAG samples=N p50_ms=.. p99_ms=.. max_ms=.. searches_per_sample=..; the tokens are used
in turn (one namespace each); searches_per_sample is 1 when the first search after the write finds it."""
import http.client
import json
import sys
import time
import urllib.parse
import uuid

base, token_file, samples = sys.argv[1], sys.argv[2], int(sys.argv[3])
tokens = [line.strip() for line in open(token_file) if line.strip()]
url = urllib.parse.urlparse(base)
writer = http.client.HTTPConnection(url.hostname, url.port, timeout=10)
reader = http.client.HTTPConnection(url.hostname, url.port, timeout=10)


def post(conn, token, endpoint, body):
    conn.request("POST", url.path + "/" + endpoint, json.dumps(body),
                 {"Content-Type": "application/json", "Authorization": "Bearer " + token})
    reply = json.loads(conn.getresponse().read())
    if not reply.get("ok"):
        sys.exit("unexpected answer to %s: %s" % (endpoint, reply))
    return reply["result"]


run = uuid.uuid4().hex[:8]
lags = []
polls = 0
for i in range(samples):
    token = tokens[i % len(tokens)]
    word = "lag%sx%d" % (run, i)
    post(writer, token, "mutation", {"resource": "docs", "operation": "insert",
                                     "record": {"title": word, "body": "index lag sample"}})
    committed = time.monotonic()
    while True:
        polls += 1
        if post(reader, token, "search", {"query": word, "limit": 1})["results"]:
            break
        if time.monotonic() - committed > 10:
            sys.exit("sample %d: not found 10 s after its commit" % i)
    lags.append((time.monotonic() - committed) * 1000)
lags.sort()
pick = lambda q: lags[min(len(lags) - 1, int(len(lags) * q))]
print("LAG samples=%d p50_ms=%.1f p99_ms=%.1f max_ms=%.1f searches_per_sample=%.2f"
      % (len(lags), pick(0.5), pick(0.99), lags[-1], polls / len(lags)))
