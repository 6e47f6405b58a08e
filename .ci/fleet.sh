#!/usr/bin/env bash
# Eight processes of examples/service ship sealed records to a real rsyslogd (from the OS
# packages) acting as a central collector; `seclog verify` checks the collector's one file.
#
# 1. A run with one process SIGKILLed: 8 chains, 7 closed, 1 open, nothing missing.
# 2. The same with the collector restarted while the processes run: every record is in the
#    file or named missing, and each missing range lies inside a range the process's syslog
#    sink reported itself (`sys_monitor_disabled`, reason `connection_lost`).
# 3. The same at 1 ms a request with the collector SIGKILLed and started again: what it had
#    read but not yet written is lost inside it, named missing by the verifier; the rest
#    as in 2.
# 4. Copies of the first run's file, each edited once: verify names the chain and the kind.
#
# The services are the same binary throughout, configured only by SECLOG_* variables.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/sbin"
export CARGO_TERM_COLOR=never
started=$SECONDS

cargo build --quiet --features syslog --example service
cargo build --quiet -p seclog-cli
target=${CARGO_TARGET_DIR:-$PWD/target}
service=$target/debug/examples/service
seclog=$target/debug/seclog

work=$(mktemp -d "${TMPDIR:-/tmp}/seclog-fleet.XXXXXX")
collector_pid=""
service_pids=()
cleanup() {
    local status=$?
    for pid in "${service_pids[@]}" $collector_pid; do
        kill -KILL "$pid" 2>/dev/null || true
    done
    if [ "$status" -eq 0 ]; then
        rm -rf "$work"
    else
        echo "fleet: failed; the collector's files and the services' stderr are in $work" >&2
    fi
}
trap cleanup EXIT

"$seclog" keygen --verifier --out "$work/verifier.key" >"$work/verifier.pub" 2>/dev/null
seal_to=$(cat "$work/verifier.pub")
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

# The collector: octet-counted TCP on loopback; each message's MSG (the BOM and the sealed
# record) written as received, after a prefix of the collector's own, one message a line.
# Control characters are not escaped (an escaped record would no longer verify), messages up
# to 64 KiB are taken whole, and the ruleset's queue is direct: what rsyslogd has read from a
# connection is in the file before it reads on.
write_config() { # DIR
    cat >"$1/rsyslog.conf" <<EOF
global(workDirectory="$1" maxMessageSize="64k"
       parser.escapeControlCharactersOnReceive="off")
module(load="imtcp")
template(name="archive" type="string"
         string="%timegenerated:::date-rfc3339% %fromhost-ip% %hostname% %app-name%[%procid%]: %msg%\n")
ruleset(name="fleet" queue.type="Direct") {
    action(type="omfile" file="$1/collected.log" template="archive")
}
input(type="imtcp" address="127.0.0.1" port="$port" ruleset="fleet"
      supportOctetCountedFraming="on")
EOF
}

collector_start() { # DIR
    rsyslogd -n -f "$1/rsyslog.conf" -i "$1/rsyslogd.pid" 2>>"$1/rsyslogd.err" &
    collector_pid=$!
    local tries=0
    until (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do
        tries=$((tries + 1))
        if [ "$tries" -gt 200 ] || ! kill -0 "$collector_pid" 2>/dev/null; then
            cat "$1/rsyslogd.err" >&2
            echo "fleet: rsyslogd did not start on port $port" >&2
            exit 1
        fi
        sleep 0.05
    done
}

collector_stop() { # [SIGNAL]
    kill "-${1:-TERM}" "$collector_pid"
    wait "$collector_pid" || true
    collector_pid=""
}

# run_fleet NAME REQUESTS PACE_MS KILL_AFTER [RESTART_AFTER [SIGNAL]]: eight services making
# REQUESTS requests, PACE_MS apart; the fourth SIGKILLed KILL_AFTER seconds in; the collector stopped with SIGNAL (TERM
# by default) RESTART_AFTER seconds in and started again a second later on the same port. Ends
# once the collector has the last record (`sys_shutdown`) of each of the seven others, and
# stops it.
run_fleet() {
    local name=$1 requests=$2 pace=$3 kill_after=$4 restart_after=${5:-} signal=${6:-TERM}
    local dir=$work/$name
    mkdir -p "$dir"
    write_config "$dir"
    collector_start "$dir"
    local t0=$SECONDS
    service_pids=()
    for i in 0 1 2 3 4 5 6 7; do
        SECLOG_OUTPUT="syslog+tcp://127.0.0.1:$port" SECLOG_SEAL_TO="$seal_to" \
            SECLOG_SERVICE=shop SERVICE_REQUESTS="$requests" SERVICE_PACE_MS="$pace" \
            "$service" >/dev/null 2>"$dir/service-$i.err" &
        service_pids+=($!)
    done
    sleep "$kill_after"
    kill -KILL "${service_pids[3]}"
    wait "${service_pids[3]}" 2>/dev/null || true
    echo "$name: SIGKILLed pid ${service_pids[3]} after $kill_after s"
    echo "${service_pids[3]}" >"$dir/killed.pid"
    if [ -n "$restart_after" ]; then
        sleep "$(python3 -c "print(max(0, $restart_after - $kill_after))")"
        collector_stop "$signal"
        echo "$name: collector stopped (SIG$signal) after $((SECONDS - t0)) s"
        sleep 1
        collector_start "$dir"
        echo "$name: collector started again on port $port"
    fi
    for i in 0 1 2 4 5 6 7; do
        if ! wait "${service_pids[i]}"; then
            cat "$dir/service-$i.err" >&2
            echo "fleet: service $i failed" >&2
            exit 1
        fi
    done
    service_pids=()
    local tries=0
    until [ "$(grep -c '"event":"sys_shutdown"' "$dir/collected.log" || true)" -eq 7 ]; do
        tries=$((tries + 1))
        if [ "$tries" -gt 600 ]; then
            echo "fleet: the collector never got the seven sys_shutdown records" >&2
            exit 1
        fi
        sleep 0.05
    done
    collector_stop
    echo "$name: $(wc -l <"$dir/collected.log") lines collected in $((SECONDS - t0)) s"
}

cat >"$work/check.py" <<'PY'
"""Checks `seclog verify --json` on the collector's file, and edits copies of it."""
import hashlib, hmac, json, os, subprocess, sys

def records(path):
    """(prefix, record text, parsed record) per line, in file order."""
    out = []
    with open(path, "rb") as f:
        for line in f.read().split(b"\n"):
            if not line:
                continue
            at = line.find(b'{"ts":"')
            assert at >= 0, f"not a record: {line[:200]!r}"
            out.append((line[:at], line[at:], json.loads(line[at:])))
    return out

def verify(seclog, key, path):
    p = subprocess.run([seclog, "verify", "--json", "--key", key, path],
                       capture_output=True)
    assert p.returncode in (0, 1), p.stderr.decode()
    return p.returncode, json.loads(p.stdout)

def by_chain(report):
    return {c["chain"]: c for c in report["chains"]}

def reported_losses(recs):
    """Per chain, the (from, to, count) of each report of records that may not reach the
    collector: a connection that ended without a receipt, records a full queue sent to stderr."""
    out = {}
    for _, _, r in recs:
        f = r.get("fields", {})
        if r["event"] == "sys_monitor_disabled" and f.get("reason") == "connection_lost":
            out.setdefault(r["chain"], []).append(
                (f["maybe_lost_from_seq"], f["maybe_lost_to_seq"], f["maybe_lost"]))
        if r["event"] == "sys_monitor_disabled" and f.get("reason") == "records_to_stderr":
            out.setdefault(r["chain"], []).append((f["from_seq"], f["to_seq"], f["diverted"]))
    return out

def check_run(seclog, key, path, killed, mode):
    """`mode`: `steady`, or the signal the collector was stopped with (`TERM`, `KILL`)."""
    restarted = mode != "steady"
    rc, report = verify(seclog, key, path)
    recs = records(path)
    chains = report["chains"]
    assert len(chains) == 8, f"{len(chains)} chains"
    ends = sorted(c["end"] for c in chains)
    assert ends == ["closed"] * 7 + ["open"], ends
    (open_chain,) = [c for c in chains if c["end"] == "open"]
    assert open_chain["pid"] == killed, (open_chain["pid"], killed)
    assert all(c["last_event"] == "sys_shutdown" for c in chains if c["end"] == "closed")
    assert report["unsealed"] == 0 and report["other_lines"] == 0, report
    assert report["incomplete_tails"] == [], report["incomplete_tails"]
    assert report["lines"] == len(recs), (report["lines"], len(recs))
    for c in chains:
        assert c["problems"] == [], c
        assert c["duplicates"] == 0, c
        assert c["service"] == "shop", c
    # Every seq of every chain, from its first record to its last, is in the file or named
    # missing by the verifier, and nothing is both.
    present = {}
    for _, _, r in recs:
        present.setdefault(r["chain"], set()).add(r["seq"])
    for c in chains:
        named = set()
        for a, b in c["missing"]:
            named.update(range(a, b + 1))
        seqs = present[c["chain"]]
        assert not (named & seqs), c["chain"]
        assert seqs | named == set(range(0, c["last_seq"] + 1)), c["chain"]
        assert c["records"] == len(seqs), (c["records"], len(seqs))
    losses = reported_losses(recs)
    missing = sum(b - a + 1 for c in chains for a, b in c["missing"])
    maybe = sum(n for ls in losses.values() for _, _, n in ls)
    if not restarted:
        assert missing == 0 and losses == {}, (missing, losses)
        assert rc == 0 and report["verdict"] == "VALID", report["verdict"]
        print(f"  verify: 8 chains, 7 closed, 1 open (pid {killed}), "
              f"{len(recs)} records, nothing missing, exit 0")
        return
    # Restarted cleanly: whatever is missing lies inside a range its own sink reported.
    # Killed: rsyslogd also loses what it had read from a connection (so TCP confirmed it)
    # and not yet written to its file; no sink can see that, and the verifier names it.
    unreported = 0
    for c in chains:
        ranges = losses.get(c["chain"], [])
        for a, b in c["missing"]:
            if any(f <= a and b <= t for f, t, _ in ranges):
                continue
            assert mode == "KILL", f"chain {c['chain']} misses {a}..{b}, reported: {ranges}"
            unreported += b - a + 1
    if missing:
        assert rc == 1 and report["verdict"] == "TAMPERED", (rc, report["verdict"])
    else:
        assert rc == 0 and report["verdict"] == "VALID", (rc, report["verdict"])
    print(f"  verify: 8 chains, 7 closed, 1 open (pid {killed}), {len(recs)} records, "
          f"{missing} missing, exit {rc}; every missing seq is in a range its sink reported"
          + (f", but {unreported} lost inside the killed collector" if unreported else ""))
    print("  the restart cost:")
    for c in sorted(chains, key=lambda c: c["pid"]):
        ranges = losses.get(c["chain"], [])
        if ranges or c["missing"]:
            print(f"    pid {c['pid']}: reported maybe lost {ranges} (from, to, count); "
                  f"missing {c['missing']}")
    print(f"    {maybe} records reported as maybe lost by {sum(map(len, losses.values()))} "
          f"reports (connection_lost, records_to_stderr), {missing} of them actually missing")
    if unreported:
        print(f"    {unreported} records were lost inside rsyslogd: read from their connections "
              "(so no reset told the sinks) and not yet written to its file when it was "
              "SIGKILLed; only application-level acknowledgements (RELP) would let a sink know")
    if maybe == 0:
        how = "stopped cleanly" if mode == "TERM" else "killed"
        print(f"    why nothing: rsyslogd, {how}, had read and written all that the sinks had "
              "sent, so its end closed each connection cleanly; a sink that reads the collector's close takes it "
              "as the receipt for everything written on the connection, then reconnects and "
              "resends only what the collector refused")
    else:
        print("    why: a sink counts what it wrote on a connection as unconfirmed until the "
              "collector's receipt (its clean close); a connection that ends otherwise (a reset, "
              "a collector killed) reports all of them, and what the collector had not yet "
              "written to its file when it died is what is missing")

def write(path, recs):
    with open(path, "wb") as f:
        for prefix, text, _ in recs:
            f.write(prefix + text + b"\n")

def edits(seclog, key, path, other_key, work):
    recs = records(path)
    rc, report = verify(seclog, key, path)
    assert rc == 0, "the file to edit verifies"
    closed = sorted((c for c in report["chains"] if c["end"] == "closed"),
                    key=lambda c: c["pid"])
    ids = [c["chain"] for c in closed]
    last = {c["chain"]: c["last_seq"] for c in closed}

    def at(chain, seq):
        (i,) = [i for i, (_, _, r) in enumerate(recs) if r["chain"] == chain and r["seq"] == seq]
        return i

    def mid(chain):
        return last[chain] // 2

    def check(name, edited, chain, expect, rc_expected=1):
        copy = os.path.join(work, f"edit-{name}.log")
        write(copy, edited)
        rc, rep = verify(seclog, key, copy)
        chains = by_chain(rep)
        got = chains[chain]
        for other, c in chains.items():
            if other != chain and other in ids:
                assert c["verified"] and not c["problems"] and not c["missing"], (name, c)
        assert rc == rc_expected, (name, rc, got)
        expect(got)
        kinds = sorted({p["kind"] for p in got["problems"]})
        print(f"  {name}: chain {chain} (pid {got['pid']}): problems {kinds or 'none'}, "
              f"missing {got['missing']}, end {got['end']} (last seq {got['last_seq']}), "
              f"exit {rc}")

    # A modified record: a failed login turned into a success.
    c = ids[0]
    fails = [i for i, (_, _, r) in enumerate(recs)
             if r["chain"] == c and r["event"] == "authn_login_fail"]
    i = fails[len(fails) // 2]
    seq = recs[i][2]["seq"]
    edited = list(recs)
    p, t, r = edited[i]
    t2 = t.replace(b'"outcome":"failure"', b'"outcome":"success"', 1)
    assert t2 != t
    edited[i] = (p, t2, r)
    def modified(got):
        assert [(q["seq"], q["kind"]) for q in got["problems"]] == [(seq, "modified")], got
        assert got["missing"] == [] and not got["verified"], got
    check("modified", edited, c, modified)

    # A deleted record.
    c = ids[1]
    seq = mid(c)
    edited = [x for j, x in enumerate(recs) if j != at(c, seq)]
    def deleted(got):
        assert got["missing"] == [[seq, seq]], got
        assert got["end"] == "closed", got
    check("deleted", edited, c, deleted)

    # A deleted middle range of 25 records.
    c = ids[2]
    first = mid(c) - 12
    gone = {at(c, s) for s in range(first, first + 25)}
    edited = [x for j, x in enumerate(recs) if j not in gone]
    def deleted_range(got):
        assert got["missing"] == [[first, first + 24]], got
        assert got["end"] == "closed", got
    check("deleted-range", edited, c, deleted_range)

    # A record copied from one chain into another: its chain id made the target's, placed
    # after the target's own record with that seq.
    src, dst = ids[3], ids[4]
    seq = mid(src)
    p, t, r = recs[at(src, seq)]
    t2 = t.replace(f'"chain":"{src}"'.encode(), f'"chain":"{dst}"'.encode())
    r2 = dict(r, chain=dst)
    edited = list(recs)
    edited.insert(at(dst, seq) + 1, (p, t2, r2))
    def copied(got):
        kinds = {(q["seq"], q["kind"]) for q in got["problems"]}
        assert kinds & {(seq, "inserted"), (seq, "modified")}, got
        assert not got["verified"], got
    check("copied", edited, dst, copied)

    # A chain re-sealed under another key: its records (kept in place, same chain id)
    # rewritten by someone holding a chain key of their own, with a key note for a verifier
    # key of theirs: every line is sealed consistently under that key, and the verifier's key
    # cannot open it.
    c = ids[5]
    _, other = verify(seclog, other_key, path)
    (other_id,) = other["key_ids"]
    resealed = {}
    chain_key = os.urandom(32)
    for s in range(0, last[c] + 1):
        p, t, r = recs[at(c, s)]
        body = t[: t.rfind(b',"chain":"')]
        if s == 0:
            old = r["fields"]
            body = body.replace(f'"key_id":"{old["key_id"]}"'.encode(),
                                f'"key_id":"{other_id}"'.encode())
            body = body.replace(old["encrypted_key"].encode(),
                                os.urandom(len(old["encrypted_key"]) // 2).hex().encode())
        body += f',"chain":"{c}"'.encode()
        mac = hmac.new(chain_key, body, hashlib.sha256).hexdigest()
        resealed[s] = (p, body + f',"mac":"{mac}"}}'.encode(), r)
        chain_key = hmac.new(chain_key, b"seclog chain key evolution", hashlib.sha256).digest()
    edited = [resealed[r["seq"]] if r["chain"] == c else (p, t, r) for p, t, r in recs]
    def bad_key(got):
        assert "bad key" in {q["kind"] for q in got["problems"]}, got
        assert not got["verified"], got
    check("resealed", edited, c, bad_key)

    # The chain's tail cut: its last ten records, sys_shutdown among them.
    c = ids[6]
    cut = {at(c, s) for s in range(last[c] - 9, last[c] + 1)}
    edited = [x for j, x in enumerate(recs) if j not in cut]
    def tail(got):
        assert got["end"] == "open" and got["last_seq"] == last[c] - 10, got
        assert got["missing"] == [] and got["problems"] == [], got
    check("tail-cut", edited, c, tail, rc_expected=0)

if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "run":
        seclog, key, path, killed, restarted = args
        check_run(seclog, key, path, int(killed), restarted)
    elif cmd == "edits":
        edits(*args)
PY

echo "== fleet: 8 services, one SIGKILLed, the collector up throughout"
run_fleet steady 200 20 2
python3 "$work/check.py" run "$seclog" "$work/verifier.key" "$work/steady/collected.log" \
    "$(cat "$work/steady/killed.pid")" steady

echo "== fleet: 8 services, one SIGKILLed, the collector restarted after 12 s"
run_fleet restart 800 20 4 12
python3 "$work/check.py" run "$seclog" "$work/verifier.key" "$work/restart/collected.log" \
    "$(cat "$work/restart/killed.pid")" TERM
echo "  the services' own words on stderr:"
grep -h "ended without a receipt\|accepts records again\|failed to write" "$work"/restart/service-*.err |
    sed 's/^/    /' | sort | uniq -c | sort -rn | head -n 20 || true

echo "== fleet: 8 services at 1 ms a request, one SIGKILLed, the collector SIGKILLed after 4 s and started again"
run_fleet crash 3000 1 2 4 KILL
python3 "$work/check.py" run "$seclog" "$work/verifier.key" "$work/crash/collected.log" \
    "$(cat "$work/crash/killed.pid")" KILL
grep -h "ended without a receipt" "$work"/crash/service-*.err | sed 's/^/    /' | head -n 8 || true

echo "== fleet: edited copies of the first run's file"
"$seclog" keygen --verifier --out "$work/other.key" >/dev/null 2>&1
python3 "$work/check.py" edits "$seclog" "$work/verifier.key" "$work/steady/collected.log" \
    "$work/other.key" "$work"

echo "fleet took $((SECONDS - started)) s"
