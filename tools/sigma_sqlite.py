"""Checks for .ci/detect.sh: seclog's records, `seclog detect`'s alerts, and the Sigma rules
of rules/sigma run as SQLite queries on the records.

    sigma_sqlite.py in-process DIR
        no record in DIR/*.log is an alert: no process alerted on its own.
    sigma_sqlite.py detect ALERTS --expect RULE=VALUE ...
        ALERTS (`seclog detect --json` output) holds exactly the alerts named, one each
        (`credential_stuffing=203.0.113.66`: the rule and its key's value).
    sigma_sqlite.py sqlite --queries Z.json --rules DIR --db DB --event-field F
                    [--expect STEM=VALUE ...] [--agree ALERTS] PATH...
        loads the records of PATH (files, or directories' *.log) into the table `logs` of DB,
        one column per dotted key; runs each rule's query (Z.json: `sigma convert -t sqlite
        -f zircolite`); checks that each rule (by file stem) hits exactly the values given
        (a correlation's group-by value, or for a single-event rule the events, in column F)
        and every other rule nothing; with --agree, that the correlation rules' hits are the
        alerts of ALERTS (JSON lines: `seclog detect --json`, or records among which the
        in-process alerts are), rule for rule and key for key.

Standard library only, except `--rules`, which reads the rules with PyYAML (the Sigma venv's).
"""

import argparse
import glob
import json
import os
import sqlite3
import sys

# The events the watcher writes alerts as; an alert record also has `fields.rule`.
ALERT_EVENTS = {"authn_login_fail_max", "seclog.alert", "authn_login_successafterfail",
                "excess_rate_limit_exceeded"}

# Each watcher rule's key under `fields`.
KEY_OF = {"brute_force": "user", "credential_stuffing": "ip", "success_after_fail": "user",
          "failure_spike": "event", "perf_drift": "fn", "quota": "user"}

# The watcher rule each correlation rule (by file stem) stands for.
WATCHER_RULE = {
    "seclog_brute_force": "brute_force",
    "seclog_brute_force_attempted_user": "brute_force",
    "seclog_credential_stuffing": "credential_stuffing",
    "seclog_credential_stuffing_attempted_user": "credential_stuffing",
    "seclog_password_spraying_unknown_users": "credential_stuffing",
    "seclog_success_after_failures": "success_after_fail",
    "seclog_failure_spike": "failure_spike",
}


def fail(msg):
    print(f"FAILED: {msg}", file=sys.stderr)
    sys.exit(1)


def files_of(paths):
    out = []
    for p in paths:
        out.extend(sorted(glob.glob(os.path.join(p, "*.log"))) if os.path.isdir(p) else [p])
    return out


def records(paths):
    """Every JSON object of the files, one a line, after whatever prefix the line has."""
    decoder = json.JSONDecoder()
    for path in files_of(paths):
        with open(path, encoding="utf-8") as f:
            for line in f:
                at = line.find("{")
                if at < 0:
                    continue
                try:
                    value, _ = decoder.raw_decode(line, at)
                except json.JSONDecodeError:
                    continue
                if isinstance(value, dict):
                    yield value


def is_alert(r):
    fields = r.get("fields")
    return r.get("event") in ALERT_EVENTS and isinstance(fields, dict) and "rule" in fields


def alert_keys(recs):
    """(rule, key value) of each alert record, in order."""
    out = []
    for r in recs:
        if is_alert(r):
            rule = r["fields"]["rule"]
            out.append((rule, str(r["fields"].get(KEY_OF.get(rule, ""), "")).lower()))
    return out


def cmd_in_process(args):
    recs = list(records([args.dir]))
    if not recs:
        fail(f"no records in {args.dir}")
    # Stricter than `is_alert`: an alert event without `fields.rule`, or `fields.rule` on any
    # event, counts too.
    alerts = [r for r in recs
              if r.get("event") in ALERT_EVENTS or "rule" in (r.get("fields") or {})]
    for a in alerts:
        print(f"  in-process alert: {json.dumps(a)}", file=sys.stderr)
    if alerts:
        fail(f"{len(alerts)} alert records in {args.dir}: a process alerted on its own")
    print(f"  {len(recs)} records in {len(files_of([args.dir]))} files, no alert record: "
          "no process alerts on its own")


def cmd_detect(args):
    recs = list(records([args.alerts]))
    for r in recs:
        print(f"  {json.dumps(r)}")
    got = alert_keys(recs)
    want = [tuple(e.split("=", 1)) for e in args.expect]
    if len(recs) != len(got):
        fail(f"{len(recs) - len(got)} lines of {args.alerts} are not alert records")
    if sorted(got) != sorted((k, v.lower()) for k, v in want):
        fail(f"seclog detect found {got}, expected exactly {want}")
    print(f"  seclog detect: exactly {len(got)} alerts: "
          + ", ".join(f"{k} {KEY_OF[k]}={v}" for k, v in got))


def flatten(value, prefix, out):
    if isinstance(value, dict):
        for k, v in value.items():
            flatten(v, f"{prefix}{k}.", out)
    elif isinstance(value, list):
        out[prefix[:-1]] = json.dumps(value)
    else:
        out[prefix[:-1]] = value


def load(db, recs, required):
    """The table `logs`: one row per record, one column per dotted key (and per field a
    query needs, NULL where no record has it)."""
    rows = []
    for r in recs:
        row = {}
        flatten(r, "", row)
        rows.append(row)
    columns = sorted({k for row in rows for k in row} | set(required))
    quote = lambda c: '"' + c.replace('"', '""') + '"'
    db.execute(f"CREATE TABLE logs ({', '.join(quote(c) for c in columns)})")
    marks = ", ".join("?" for _ in columns)
    db.executemany(f"INSERT INTO logs VALUES ({marks})",
                   [[row.get(c) for c in columns] for row in rows])
    db.commit()
    return len(rows)


def rule_stems(rules_dir):
    """Each rule's (first document's) id → its file's stem."""
    import yaml

    out = {}
    for path in sorted(glob.glob(os.path.join(rules_dir, "*.yml"))):
        with open(path, encoding="utf-8") as f:
            first = next(yaml.safe_load_all(f))
        out[str(first["id"])] = os.path.splitext(os.path.basename(path))[0]
    return out


def cmd_sqlite(args):
    with open(args.queries, encoding="utf-8") as f:
        converted = json.load(f)
    stems = rule_stems(args.rules)
    if sorted(stems.values()) != sorted(stems[r["id"]] for r in converted if r["id"] in stems):
        fail(f"{args.queries} does not hold one query set per rule of {args.rules}")
    required = {args.ts_field}
    for r in converted:
        required.update(r.get("required_fields") or [])
        for fields in (r.get("correlation_plan") or {}).get("required_fields", {}).values():
            required.update(fields)
    if os.path.exists(args.db):
        os.remove(args.db)
    db = sqlite3.connect(args.db)
    n = load(db, records(args.paths), required)
    if n == 0:
        fail(f"no records in {args.paths}")
    expect = {}
    for e in args.expect:
        stem, value = e.split("=", 1)
        expect.setdefault(stem, set()).add(value.lower())
    unknown = set(expect) - set(stems.values())
    if unknown:
        fail(f"expectations for rules that do not exist: {sorted(unknown)}")
    sigma_alerts = set()
    problems = []
    for r in sorted(converted, key=lambda r: stems[r["id"]]):
        stem = stems[r["id"]]
        hits, rows = set(), 0
        for query in r["rule"]:
            cur = db.execute(query)
            names = [d[0] for d in cur.description]
            for row in cur.fetchall():
                rows += 1
                row = dict(zip(names, row))
                if r["result_type"] == "correlation":
                    keys = json.loads(row["group_keys"])
                    hits.add(",".join(str(v).lower() for v in keys.values()))
                else:
                    hits.add(str(row.get(args.event_field)).lower())
        if r["result_type"] == "correlation" and stem in WATCHER_RULE:
            sigma_alerts.update((WATCHER_RULE[stem], h) for h in hits)
        want = expect.get(stem, set())
        verdict = "ok" if hits == want else f"EXPECTED {sorted(want) or 'nothing'}"
        if hits != want:
            problems.append(stem)
        print(f"  {stem:44} {r['result_type']:11} {rows:3} rows, hits "
              f"{sorted(hits) or 'none'}: {verdict}")
    print(f"  ({n} records in {args.db})")
    if problems:
        fail(f"rules that hit other than where their attack is: {problems}")
    if args.agree:
        covered = set(WATCHER_RULE.values())
        alerts = {a for a in alert_keys(records([args.agree])) if a[0] in covered}
        if alerts != sigma_alerts:
            fail(f"Sigma correlations found {sorted(sigma_alerts)}, the watcher's alerts in "
                 f"{args.agree} are {sorted(alerts)}")
        print(f"  the correlation rules' hits are the alerts of {args.agree}, one for one: "
              + (", ".join(f"{k} {KEY_OF[k]}={v}" for k, v in sorted(alerts)) or "none"))


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    a = sub.add_parser("in-process")
    a.add_argument("dir")
    a.set_defaults(run=cmd_in_process)
    a = sub.add_parser("detect")
    a.add_argument("alerts")
    a.add_argument("--expect", action="append", default=[])
    a.set_defaults(run=cmd_detect)
    a = sub.add_parser("sqlite")
    a.add_argument("--queries", required=True)
    a.add_argument("--rules", required=True)
    a.add_argument("--db", required=True)
    a.add_argument("--ts-field", default="ts")
    a.add_argument("--event-field", default="event")
    a.add_argument("--expect", action="append", default=[])
    a.add_argument("--agree")
    a.add_argument("paths", nargs="+")
    a.set_defaults(run=cmd_sqlite)
    args = p.parse_args()
    args.run(args)


if __name__ == "__main__":
    main()
