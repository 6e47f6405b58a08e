#!/usr/bin/env bash
# Detection where the fleet's records meet: examples/fleet spreads a credential-stuffing run
# and a brute force over eight processes, so thin that none of them alerts; `seclog detect`
# on their merged records, and the Sigma rules of rules/sigma run by a real engine (SQLite)
# on the same records, find exactly the two attacks.
#
# 1. The fleet: no process alerts on its own.
# 2. `seclog detect --json` on its records: one credential_stuffing alert naming the address,
#    one brute_force alert naming the account, nothing else.
# 3. The Sigma tools from PyPI, pinned, in target/sigma-venv (reused while the pins match).
# 4. `sigma check` on every rule: no errors, no issues, ATT&CK tags checked too.
# 5. Every rule converted to SQLite and run on the fleet's records loaded as a table `logs`:
#    each rule hits where its attack is and nowhere else, and the correlation rules' hits are
#    `seclog detect`'s alerts one for one; the same through the ECS and OCSF pipelines on the
#    fleet's ECS and OCSF records. On the attack example's records, the success-after-failures
#    and over-budget rules hit too, and the correlations agree with its in-process alerts.
# 6. Every rule converted through the ECS and the OCSF pipeline to ES|QL (correlations
#    included) and Lucene (single-event rules): no failure. The ordered correlation (success
#    after failures) is one neither can express: the backend's refusal is printed.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR=never
started=$SECONDS

# The fleet's attacks, as examples/fleet.rs makes them.
stuffer=203.0.113.66
target_user=bob

work=target/sigma
fleet=target/fleet
mkdir -p "$work"

# The pins: versions that work together. pysigma-backend-sqlite 2.0.0 is the newest release
# for pySigma 1.x (2.1 needs pySigma 2, which pysigma-backend-elasticsearch 2.1.1 and
# sigma-cli 3.1.0 do not take) and the first with correlations compiled to sliding windows.
venv=target/sigma-venv
pins="sigma-cli==3.1.0 pysigma==1.5.1 pysigma-backend-sqlite==2.0.0 pysigma-backend-elasticsearch==2.1.1"
# The last pySigma that shipped the MITRE ATT&CK and D3FEND tables (see tools/sigma_mitre_offline.py).
mitre_pin="pysigma==0.11.23"
# pySigma keeps its MITRE cache under $HOME: the tools get a home of their own in target/.
sigma_home=$PWD/target/sigma-home

echo "== detect: examples/fleet, 8 processes behind a round-robin load balancer ($fleet)"
cargo run --quiet --example fleet -- --out "$fleet"
python3 tools/sigma_sqlite.py in-process "$fleet"

echo "== detect: seclog detect --json $fleet (the fleet's records merged)"
if ! cargo run --quiet -p seclog-cli -- detect --json "$fleet" >"$work/detect.jsonl" 2>"$work/detect.err"; then
    cat "$work/detect.err" >&2
    echo "detect: \`seclog detect --json $fleet\` failed" >&2
    exit 1
fi
sed 's/^/  /' "$work/detect.err"
python3 tools/sigma_sqlite.py detect "$work/detect.jsonl" \
    --expect "credential_stuffing=$stuffer" --expect "brute_force=$target_user"

echo "== detect: the Sigma tools ($pins)"
make_venv() { # DIR PINS...
    local dir=$1
    shift
    if [ -f "$dir/.pins" ] && [ "$(cat "$dir/.pins")" = "$*" ]; then
        echo "  $dir: reused"
        return
    fi
    rm -rf "$dir"
    python3 -m venv "$dir"
    "$dir/bin/pip" install --quiet --disable-pip-version-check "$@"
    echo "$*" >"$dir/.pins"
    echo "  $dir: installed $*"
}
# shellcheck disable=SC2086
make_venv "$venv" $pins
sigma() { HOME="$sigma_home" "$venv/bin/sigma" "$@"; }
if ! [ -f "$sigma_home/.mitre" ] || [ "$(cat "$sigma_home/.mitre")" != "$mitre_pin" ]; then
    mkdir -p "$sigma_home" "$work/mitre"
    "$venv/bin/pip" download --quiet --disable-pip-version-check --no-deps \
        --dest "$work/mitre" "$mitre_pin"
    "$venv/bin/python" tools/sigma_mitre_offline.py "$work"/mitre/pysigma-0.11.23-*.whl "$work/mitre"
    sigma pysigma update-cache --yes --url "mitre_attack:$PWD/$work/mitre/enterprise-attack.json" \
        --url "mitre_d3fend:$PWD/$work/mitre/d3fend.json" | sed 's/^/  /'
    echo "$mitre_pin" >"$sigma_home/.mitre"
fi

rules=(rules/sigma/*.yml)
mapfile -t single < <(grep -L '^correlation:' "${rules[@]}")
mapfile -t unordered < <(grep -L 'type: temporal_ordered' "${rules[@]}")
mapfile -t ordered < <(grep -l 'type: temporal_ordered' "${rules[@]}")
echo "  ${#rules[@]} rules: ${#single[@]} single-event, $((${#rules[@]} - ${#single[@]})) correlations (${#ordered[@]} temporal_ordered)"

echo "== detect: sigma check rules/sigma/*.yml"
sigma check --fail-on-issues "${rules[@]}" 2>&1 | grep -v '^Parsing Sigma rules' | sed 's/^/  /'

echo "== detect: the rules in SQLite on the fleet's records, and on the attack example's"
# seclog's timestamps have nanoseconds; SQLite's date functions keep milliseconds, in which a
# failed login and the success after it can fall together. Whole seconds from julianday(),
# the fraction as written.
ts_expr='(ROUND((julianday(substr({field}, 1, 19)) - 2440587.5) * 86400) + CAST(substr({field}, 20, 10) AS REAL))'
to_sqlite() { # OUT TIMESTAMP_FIELD [PIPELINE]
    local out=$1 ts=$2
    shift 2
    if ! sigma convert --target sqlite --format zircolite ${1:+--pipeline "$1"} \
        --backend-option "timestamp_field=$ts" --backend-option "timestamp_seconds_expression=$ts_expr" \
        "${rules[@]}" >"$out" 2>"$out.err"; then
        cat "$out.err" >&2
        echo "detect: converting the rules to SQLite${1:+ through $1} failed" >&2
        exit 1
    fi
}
check_sqlite() { # QUERIES DB TIMESTAMP_FIELD EVENT_FIELD ARGS...
    local queries=$1 db=$2 ts=$3 event=$4
    shift 4
    "$venv/bin/python" tools/sigma_sqlite.py sqlite --queries "$queries" --rules rules/sigma \
        --db "$db" --ts-field "$ts" --event-field "$event" "$@"
}
fleet_hits=(--expect "seclog_credential_stuffing=$stuffer" --expect "seclog_brute_force=$target_user")

to_sqlite "$work/sqlite.json" ts
echo "  seclog JSON, $fleet:"
check_sqlite "$work/sqlite.json" "$work/fleet.sqlite" ts event "${fleet_hits[@]}" \
    --agree "$work/detect.jsonl" "$fleet"

mkdir -p "$work/attack"
cargo run --quiet --example attack >"$work/attack/attack.log" 2>/dev/null
echo "  seclog JSON, examples/attack ($work/attack):"
check_sqlite "$work/sqlite.json" "$work/attack.sqlite" ts event \
    --expect "seclog_credential_stuffing=$stuffer" --expect seclog_brute_force=bob \
    --expect seclog_success_after_failures=bob --expect seclog_over_budget=report.export \
    --agree "$work/attack/attack.log" "$work/attack"

for format in ecs ocsf; do
    case $format in
    ecs) ts=@timestamp event=event.action ;;
    ocsf) ts=metadata.original_time event=message ;;
    esac
    SECLOG_FORMAT=$format cargo run --quiet --example fleet -- --out "$work/fleet-$format" 2>/dev/null
    to_sqlite "$work/sqlite-$format.json" "$ts" "rules/sigma/pipelines/$format.yml"
    echo "  through rules/sigma/pipelines/$format.yml, the fleet run with SECLOG_FORMAT=$format ($work/fleet-$format):"
    check_sqlite "$work/sqlite-$format.json" "$work/fleet-$format.sqlite" "$ts" "$event" \
        "${fleet_hits[@]}" --agree "$work/detect.jsonl" "$work/fleet-$format"
done

echo "== detect: the rules through the ECS and OCSF pipelines to ES|QL and Lucene"
# As Elastic Security rules (NDJSON, for Kibana's rule import).
mkdir -p "$work/elastic"
for format in ecs ocsf; do
    pipeline=rules/sigma/pipelines/$format.yml
    for target in esql lucene; do
        case $target in
        esql) files=("${unordered[@]}") ;;
        lucene) files=("${single[@]}") ;;
        esac
        out=$work/elastic/$format-$target.ndjson
        if ! sigma convert --target "$target" --format siem_rule_ndjson --pipeline "$pipeline" \
            "${files[@]}" >"$out" 2>"$out.err"; then
            cat "$out.err" >&2
            echo "detect: converting to $target through $pipeline failed" >&2
            exit 1
        fi
        "$venv/bin/python" - "$out" "${#files[@]}" "$target" <<'PY'
import json, sys
path, want, target = sys.argv[1], int(sys.argv[2]), sys.argv[3]
rules = [json.loads(line) for line in open(path).read().splitlines() if line.strip()]
# A file with a chained correlation holds its inner correlation too.
assert len(rules) >= want, f"{path}: {len(rules)} rules converted, {want} expected"
assert all(r["query"] and r["language"] == target for r in rules), path
print(f"  {path}: {len(rules)} rules as Elastic Security rules ({target})")
PY
    done
    # The ordered correlation: ES|QL has no sequences, and says so.
    for rule in "${ordered[@]}"; do
        if sigma convert --target esql --pipeline "$pipeline" "$rule" >/dev/null 2>"$work/elastic/ordered.err"; then
            echo "detect: $rule converted to ES|QL; the README says it cannot be" >&2
            exit 1
        fi
        echo "  $rule through $format: $(grep -o 'Correlation type.*' "$work/elastic/ordered.err" | head -1)"
    done
done

echo "detect took $((SECONDS - started)) s"
