//! `seclog detect` on a fleet's records: an attack spread over 8 processes, below every
//! threshold in each, found once the records are merged, whatever form the archive takes
//! (files, one interleaved file, shuffled within seconds, collectors' prefixes, a CloudWatch
//! export, standard input, a directory); the table and its summary (records, hosts,
//! processes, chains, span); thresholds set by flag; and hostile input (a million distinct
//! addresses, lines that are not records, clocks hours off or centuries ahead, records missing
//! keys, a 100 MiB line) within bounded memory, never panicking.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use seclog::context::{self, Caller};
use seclog::testing::capture;
use seclog::{Redact, security_logged};
use seclog_cli::detect;
use seclog_runtime::integrity::{ChainKey, ChainWriter, Seal};
use seclog_runtime::watch::{Replay, Rules};
use serde_json::{Value, json};

mod common;
use common::{Rng, command, run};

const BIN: &str = env!("CARGO_BIN_EXE_seclog");
const HOSTS: usize = 8;
/// The credential-stuffing run's address, and how many leaked names it tries.
const STUFFER: &str = "203.0.113.66";
const LEAKED: usize = 30;
/// The brute force's account, and its failures (from as many addresses).
const TARGET: &str = "bob";
const GUESSES: usize = 12;

// ---------------------------------------------------------------------------------------
// Records

/// What one record is about.
#[derive(Clone, Debug)]
enum What {
    Fail { user: String, ip: String },
    Login { user: String, ip: String },
    Order { user: String, ip: String },
}

/// One record of the fleet: when, on which host, its `seq` there.
#[derive(Clone, Debug)]
struct Ev {
    at: SystemTime,
    host: usize,
    seq: u64,
    what: What,
}

fn ts(t: SystemTime) -> String {
    humantime::format_rfc3339_nanos(t).to_string()
}

/// How the summary and the table print a time: to the second.
fn secs(t: SystemTime) -> String {
    humantime::format_rfc3339_seconds(t).to_string()
}

fn pid(host: usize) -> u32 {
    3000 + host as u32 * 7
}

/// A record as the runtime writes it (the record layout of `runtime/src/record/`), with
/// `who` as given (`""` for none).
fn layout(
    at: &str,
    seq: u64,
    host: usize,
    (event, level, outcome): (&str, &str, &str),
    func: &str,
    who: &str,
    tail: &str,
) -> String {
    format!(
        r#"{{"ts":"{at}","seq":{seq},"event":"{event}","level":"{level}","outcome":"{outcome}","duration_ns":{},"where":{{"service":"shop","version":"1.4.2","host":"web-{host}","pid":{},"fn":"{func}","file":"src/handlers.rs","line":{}}}{who}{tail}}}"#,
        40_000 + seq * 37 % 9000,
        pid(host),
        17 + func.len()
    )
}

fn who(user: &str, ip: &str) -> String {
    format!(r#","who":{{"user":"{user}","ip":"{ip}"}}"#)
}

fn login_inputs(user: &str) -> String {
    format!(r#","inputs":{{"req":{{"username":"{user}","password":"[REDACTED]"}}}}"#)
}

impl Ev {
    fn line(&self) -> String {
        let at = ts(self.at);
        match &self.what {
            What::Fail { user, ip } => layout(
                &at,
                self.seq,
                self.host,
                ("authn_login_fail", "WARN", "failure"),
                "shop::auth::login",
                &who(user, ip),
                &format!(
                    r#"{},"error":{{"BadCredentials":null}},"redacted":["inputs.req.password:full"]"#,
                    login_inputs(user)
                ),
            ),
            What::Login { user, ip } => layout(
                &at,
                self.seq,
                self.host,
                ("authn_login_success", "INFO", "success"),
                "shop::auth::login",
                &who(user, ip),
                &format!(
                    r#"{},"output":{},"redacted":["inputs.req.password:full"]"#,
                    login_inputs(user),
                    user.len() * 7919
                ),
            ),
            What::Order { user, ip } => layout(
                &at,
                self.seq,
                self.host,
                ("order.place", "INFO", "success"),
                "shop::orders::place",
                &who(user, ip),
                &format!(
                    r#","inputs":{{"sku":"book-42"}},"output":{}"#,
                    2000 + user.len()
                ),
            ),
        }
    }
}

/// The fleet's clock origin: the next whole second, plus two. Records a little ahead of now
/// are well within what `detect` watches, and the `seclog.chain` record a [`ChainWriter`]
/// stamps with the time it is written comes before them, as in a process that seals its own
/// records.
fn t0() -> SystemTime {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
    UNIX_EPOCH + Duration::from_secs(now.as_secs() + 2)
}

/// The fleet's records, in time order: one every 200 ms (and a few ms), handed round robin to
/// the hosts, as a load balancer does.
struct Fleet {
    events: Vec<Ev>,
}

impl Fleet {
    fn new(t0: SystemTime, whats: Vec<What>) -> Fleet {
        let mut seqs = [0u64; HOSTS];
        let events = whats
            .into_iter()
            .enumerate()
            .map(|(i, what)| {
                let host = i % HOSTS;
                seqs[host] += 1;
                Ev {
                    at: t0 + Duration::from_millis(200 * i as u64 + (i as u64 * 3) % 7),
                    host,
                    seq: seqs[host],
                    what,
                }
            })
            .collect();
        Fleet { events }
    }

    /// Each host's lines, in its own order.
    fn hosts(&self) -> Vec<Vec<String>> {
        let mut out = vec![Vec::new(); HOSTS];
        for e in &self.events {
            out[e.host].push(e.line());
        }
        out
    }

    /// Every line in time order.
    fn lines(&self) -> Vec<String> {
        self.events.iter().map(Ev::line).collect()
    }

    /// The times of the failed logins matching `pick`, in order.
    fn failures(&self, pick: impl Fn(&str, &str) -> bool) -> Vec<SystemTime> {
        self.events
            .iter()
            .filter_map(|e| match &e.what {
                What::Fail { user, ip } if pick(user, ip) => Some(e.at),
                _ => None,
            })
            .collect()
    }

    fn first(&self) -> SystemTime {
        self.events[0].at
    }

    fn last(&self) -> SystemTime {
        self.events.last().unwrap().at
    }
}

fn customer(c: usize) -> (String, String) {
    (format!("cust{c:02}"), format!("192.0.2.{}", 10 + c))
}

/// Ordinary traffic (16 customers logging in and ordering, 4 visits each, two more who
/// mistype their password once and give up), a credential-stuffing run of [`LEAKED`] names
/// from [`STUFFER`], and [`GUESSES`] wrong passwords for [`TARGET`] from as many addresses,
/// mixed in a fixed pseudo-random order.
fn attack() -> Vec<What> {
    let mut ordinary = Vec::new();
    for _visit in 0..4 {
        for c in 0..16 {
            let (user, ip) = customer(c);
            ordinary.push(What::Login {
                user: user.clone(),
                ip: ip.clone(),
            });
            ordinary.push(What::Order { user, ip });
        }
    }
    for c in 16..18 {
        let (user, ip) = customer(c);
        ordinary.insert(40 * (c - 15), What::Fail { user, ip });
    }
    let stuffing = (0..LEAKED)
        .map(|i| What::Fail {
            user: format!("leaked{i:02}"),
            ip: STUFFER.into(),
        })
        .collect();
    let guesses = (0..GUESSES)
        .map(|i| What::Fail {
            user: TARGET.into(),
            ip: format!("198.51.100.{}", i + 1),
        })
        .collect();
    mix(vec![ordinary, stuffing, guesses], 21)
}

/// The queues' items interleaved, each queue kept in order, a queue picked with a chance in
/// proportion to what it has left.
fn mix(mut queues: Vec<Vec<What>>, seed: u64) -> Vec<What> {
    let mut rng = Rng(seed);
    for q in &mut queues {
        q.reverse();
    }
    let mut out = Vec::new();
    loop {
        let left: usize = queues.iter().map(Vec::len).sum();
        if left == 0 {
            return out;
        }
        let mut k = rng.index(left);
        for q in &mut queues {
            if k < q.len() {
                out.push(q.pop().unwrap());
                break;
            }
            k -= q.len();
        }
    }
}

fn joined(lines: &[String]) -> Vec<u8> {
    let mut out = lines.join("\n").into_bytes();
    out.push(b'\n');
    out
}

// ---------------------------------------------------------------------------------------
// Running the binary

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("seclog-detect-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn text(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned() + &String::from_utf8_lossy(&o.stderr)
}

/// Exit 0, no panic.
fn ok(o: &Output) {
    assert!(
        !String::from_utf8_lossy(&o.stderr).contains("panicked"),
        "{}",
        text(o)
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(o));
}

/// The summary line, read back.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
struct Summary {
    alerts: u64,
    records: u64,
    hosts: u64,
    processes: u64,
    chains: u64,
    at_least: bool,
    inputs: u64,
    span: Option<(String, String)>,
    not_records: u64,
    late: u64,
    future: u64,
}

fn number(word: &str) -> u64 {
    word.parse()
        .unwrap_or_else(|_| panic!("a number, not {word:?}"))
}

/// Reads `N alerts in N records from [at least ]N hosts, [at least ]N processes, [at least ]N
/// chains, N inputs[, A to B][ (extras)].`
fn summary_of(line: &str) -> Summary {
    let body = line
        .strip_suffix('.')
        .unwrap_or_else(|| panic!("the summary ends with a full stop: {line:?}"));
    let mut s = Summary::default();
    let body = match body.strip_suffix(')') {
        Some(b) => {
            let (main, extras) = b.split_once(" (").expect("extras in brackets");
            for extra in extras.split("; ") {
                let n = number(extra.split(' ').next().unwrap());
                if extra.ends_with("not records") {
                    s.not_records = n;
                } else if extra.ends_with("were watched late") {
                    s.late = n;
                } else if extra.ends_with("stamped in the future, not watched") {
                    s.future = n;
                } else {
                    panic!("an unknown extra {extra:?} in {line:?}");
                }
            }
            main
        }
        None => body,
    };
    let (counts, rest) = body
        .split_once(" records from ")
        .unwrap_or_else(|| panic!("{line:?}"));
    let words: Vec<&str> = counts.split(' ').collect();
    assert!(
        words.len() == 4 && matches!(words[1], "alert" | "alerts") && words[2] == "in",
        "{line:?}"
    );
    s.alerts = number(words[0]);
    s.records = number(words[3]);
    for part in rest.split(", ") {
        if let Some((a, b)) = part.split_once(" to ") {
            s.span = Some((a.to_owned(), b.to_owned()));
            continue;
        }
        let (n, what) = match part.strip_prefix("at least ") {
            Some(p) => {
                s.at_least = true;
                p.split_once(' ').unwrap()
            }
            None => part.split_once(' ').unwrap(),
        };
        let n = number(n);
        match what {
            "host" | "hosts" => s.hosts = n,
            "process" | "processes" => s.processes = n,
            "chain" | "chains" => s.chains = n,
            "input" | "inputs" => s.inputs = n,
            _ => panic!("an unknown count {part:?} in {line:?}"),
        }
    }
    s
}

/// `seclog detect --json [extra] PATHS`: the alerts (every line of standard output one alert
/// record) and the summary (standard error).
fn detect_json(paths: &[&str], extra: &[&str], stdin: Option<Vec<u8>>) -> (Vec<Value>, Summary) {
    let mut args = vec!["detect", "--json"];
    args.extend_from_slice(extra);
    args.extend_from_slice(paths);
    let o = run(&args, stdin);
    ok(&o);
    let alerts = String::from_utf8(o.stdout.clone())
        .unwrap()
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l)
                .unwrap_or_else(|e| panic!("an alert record ({e}): {l:?}\n{}", text(&o)))
        })
        .collect();
    let stderr = String::from_utf8(o.stderr.clone()).unwrap();
    let line = stderr
        .lines()
        .find_map(|l| l.strip_prefix("seclog: "))
        .unwrap_or_else(|| panic!("a summary on standard error: {stderr:?}"));
    (alerts, summary_of(line))
}

fn paths_of(files: &[PathBuf]) -> Vec<&str> {
    files.iter().map(|p| p.to_str().unwrap()).collect()
}

/// Writes each host's lines to `dir/web-N.log`.
fn write_hosts(dir: &Path, hosts: &[Vec<String>]) -> Vec<PathBuf> {
    hosts
        .iter()
        .enumerate()
        .map(|(h, lines)| {
            let p = dir.join(format!("web-{h}.log"));
            std::fs::write(&p, joined(lines)).unwrap();
            p
        })
        .collect()
}

// ---------------------------------------------------------------------------------------
// What the attack must raise

fn of_rule<'a>(alerts: &'a [Value], rule: &str) -> Vec<&'a Value> {
    alerts
        .iter()
        .filter(|a| a["fields"]["rule"] == rule)
        .collect()
}

/// Exactly one `credential_stuffing` alert naming [`STUFFER`] and one `brute_force` naming
/// [`TARGET`], each with the counts and times of the records that raised it.
fn assert_attack_found(alerts: &[Value], fleet: &Fleet, how: &str) {
    let rules: Vec<&str> = alerts
        .iter()
        .map(|a| a["fields"]["rule"].as_str().unwrap_or("?"))
        .collect();
    assert_eq!(
        alerts.len(),
        2,
        "{how}: two alerts, not {rules:?}: {alerts:#?}"
    );

    let stuffing = of_rule(alerts, "credential_stuffing");
    assert_eq!(stuffing.len(), 1, "{how}: {alerts:#?}");
    let a = stuffing[0];
    assert_eq!(a["event"], "seclog.alert", "{how}");
    assert_eq!(a["level"], "WARN", "{how}");
    let f = &a["fields"];
    assert_eq!(f["ip"], STUFFER, "{how}");
    assert_eq!(f["count"], 20, "{how}: distinct users when the rule fired");
    assert_eq!(f["window_s"], 600, "{how}");
    let attempts = fleet.failures(|_, ip| ip == STUFFER);
    assert_eq!(attempts.len(), LEAKED);
    assert_eq!(f["first_seen"], ts(attempts[0]), "{how}");
    // Distinct users are estimated from a bitmap: the 20th is counted at the 20th name, or a
    // little later when two names share a bit.
    let last = f["last_seen"].as_str().unwrap();
    let at = attempts
        .iter()
        .position(|t| ts(*t) == last)
        .unwrap_or_else(|| panic!("{how}: last_seen {last} is a stuffing attempt's time"));
    assert!(at >= 19, "{how}: fired at attempt {}", at + 1);
    let failures = f["failures"].as_u64().unwrap();
    assert_eq!(
        failures,
        at as u64 + 1,
        "{how}: the address's failures then"
    );

    let brute = of_rule(alerts, "brute_force");
    assert_eq!(brute.len(), 1, "{how}: {alerts:#?}");
    let a = brute[0];
    assert_eq!(a["event"], "authn_login_fail_max", "{how}");
    let f = &a["fields"];
    assert_eq!(f["user"], TARGET, "{how}");
    assert_eq!(f["count"], 10, "{how}");
    assert_eq!(f["window_s"], 300, "{how}");
    let guesses = fleet.failures(|user, _| user == TARGET);
    assert_eq!(guesses.len(), GUESSES);
    assert_eq!(f["first_seen"], ts(guesses[0]), "{how}");
    assert_eq!(f["last_seen"], ts(guesses[9]), "{how}: the 10th failure");
}

/// What the summary of the attack's records says: every record, 8 hosts, their span.
fn summary_of_attack(fleet: &Fleet, inputs: u64) -> Summary {
    Summary {
        alerts: 2,
        records: fleet.events.len() as u64,
        hosts: HOSTS as u64,
        processes: HOSTS as u64,
        chains: 0,
        at_least: false,
        inputs,
        span: Some((secs(fleet.first()), secs(fleet.last()))),
        not_records: 0,
        late: 0,
        future: 0,
    }
}

fn assert_attack_summary(s: &Summary, fleet: &Fleet, inputs: u64, how: &str) {
    assert_eq!(s, &summary_of_attack(fleet, inputs), "{how}");
}

// ---------------------------------------------------------------------------------------
// The attack, in every form an archive takes

#[test]
fn the_records_laid_out_here_are_the_runtime_s() {
    #[derive(Redact)]
    struct LoginRequest {
        username: String,
        #[redact]
        password: String,
    }
    #[derive(Redact, Debug)]
    enum AuthError {
        BadCredentials,
    }
    #[security_logged(event = "authn_login", who = req.username)]
    fn login(req: LoginRequest) -> Result<u64, AuthError> {
        if req.password == "right" {
            Ok(req.username.len() as u64 * 7919)
        } else {
            Err(AuthError::BadCredentials)
        }
    }
    let ((), records) = capture(|| {
        for password in ["guess", "right"] {
            context::scope_sync(
                Caller::new().with_ip("198.51.100.1".parse().unwrap()),
                || {
                    let _ = login(LoginRequest {
                        username: TARGET.into(),
                        password: password.into(),
                    });
                },
            );
        }
    });
    assert_eq!(records.len(), 2);
    let keys = |v: &Value| -> Vec<String> {
        let mut out = Vec::new();
        for (k, v) in v.as_object().unwrap() {
            out.push(k.clone());
            if matches!(k.as_str(), "where" | "who") {
                out.extend(v.as_object().unwrap().keys().map(|s| format!("{k}.{s}")));
            }
        }
        out.sort();
        out
    };
    let t = SystemTime::now();
    for (runtime, what) in records.iter().zip([
        What::Fail {
            user: TARGET.into(),
            ip: "198.51.100.1".into(),
        },
        What::Login {
            user: TARGET.into(),
            ip: "198.51.100.1".into(),
        },
    ]) {
        let ours = Ev {
            at: t,
            host: 0,
            seq: 1,
            what,
        }
        .line();
        let ours: Value = serde_json::from_str(&ours).unwrap();
        assert_eq!(keys(&ours), keys(runtime), "{runtime:#}");
        for k in ["event", "level", "outcome", "who", "inputs", "redacted"] {
            assert_eq!(ours[k], runtime[k], "{k}");
        }
        assert_eq!(
            ours["ts"].as_str().unwrap().len(),
            runtime["ts"].as_str().unwrap().len()
        );
    }
}

#[test]
fn a_distributed_attack_is_found_in_eight_files_and_in_none_alone() {
    let fleet = Fleet::new(t0(), attack());
    let dir = temp_dir("eight");
    let files = write_hosts(&dir, &fleet.hosts());
    for (h, f) in files.iter().enumerate() {
        let (alerts, s) = detect_json(&[f.to_str().unwrap()], &[], None);
        assert!(
            alerts.is_empty(),
            "web-{h} alone is below every threshold: {alerts:#?}"
        );
        assert_eq!((s.hosts, s.inputs), (1, 1));
        assert_eq!(
            s.records,
            fleet.events.iter().filter(|e| e.host == h).count() as u64
        );
    }
    let (alerts, s) = detect_json(&paths_of(&files), &[], None);
    assert_attack_found(&alerts, &fleet, "8 files");
    assert_attack_summary(&s, &fleet, 8, "8 files");
    // The order of the inputs on the command line changes nothing.
    let mut reversed = paths_of(&files);
    reversed.reverse();
    let (again, s2) = detect_json(&reversed, &[], None);
    assert_attack_found(&again, &fleet, "8 files, reversed");
    assert_eq!(s2, s);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The hosts' lines in one stream as a collector writes them: every 3 s of record time, each
/// host's batch of lines in order, the hosts in a new pseudo-random order each time.
fn interleaved(hosts: &[Vec<String>], seed: u64) -> Vec<String> {
    let mut rng = Rng(seed);
    let ts_of = |l: &str| l[l.find("{\"ts\":\"").unwrap() + 7..][..30].to_owned();
    let start = hosts.iter().map(|h| ts_of(&h[0])).min().unwrap();
    let start = humantime::parse_rfc3339(&start).unwrap();
    let mut at = vec![0usize; hosts.len()];
    let mut out = Vec::new();
    let mut until = start;
    while at.iter().zip(hosts).any(|(a, h)| *a < h.len()) {
        until += Duration::from_secs(3);
        let limit = ts(until);
        let mut order: Vec<usize> = (0..hosts.len()).collect();
        for i in (1..order.len()).rev() {
            order.swap(i, rng.index(i + 1));
        }
        for h in order {
            while at[h] < hosts[h].len() && ts_of(&hosts[h][at[h]]) < limit {
                out.push(hosts[h][at[h]].clone());
                at[h] += 1;
            }
        }
    }
    out
}

/// How far a line comes after a later-stamped one, at most.
fn disorder(lines: &[String]) -> Duration {
    let ts_of = |l: &str| {
        let at = l.find("{\"ts\":\"").unwrap() + 7;
        humantime::parse_rfc3339(&l[at..at + 30]).unwrap()
    };
    let mut latest = UNIX_EPOCH;
    let mut worst = Duration::ZERO;
    for l in lines {
        let t = ts_of(l);
        worst = worst.max(latest.duration_since(t).unwrap_or_default());
        latest = latest.max(t);
    }
    worst
}

#[test]
fn one_collector_file_interleaved_or_shuffled_within_seconds_gives_the_same_alerts() {
    let fleet = Fleet::new(t0(), attack());
    let dir = temp_dir("one-file");
    let mixed = interleaved(&fleet.hosts(), 5);
    assert_eq!(mixed.len(), fleet.events.len());
    let d = disorder(&mixed);
    assert!(
        d > Duration::from_secs(1) && d < Duration::from_secs(9),
        "out of order, within the reorder lag: {d:?}"
    );
    let file = dir.join("collector.log");
    std::fs::write(&file, joined(&mixed)).unwrap();
    let (alerts, s) = detect_json(&[file.to_str().unwrap()], &[], None);
    assert_attack_found(&alerts, &fleet, "interleaved");
    assert_attack_summary(&s, &fleet, 1, "interleaved");

    // Reversed within each 5 s of record time: every line before the ones it follows.
    let lines = fleet.lines();
    let mut reversed = Vec::new();
    let mut block: Vec<String> = Vec::new();
    let mut block_of = None;
    for (e, l) in fleet.events.iter().zip(&lines) {
        let b = e.at.duration_since(fleet.first()).unwrap().as_secs() / 5;
        if block_of != Some(b) {
            reversed.extend(block.drain(..).rev());
            block_of = Some(b);
        }
        block.push(l.clone());
    }
    reversed.extend(block.drain(..).rev());
    assert!(disorder(&reversed) > Duration::from_secs(4));
    std::fs::write(&file, joined(&reversed)).unwrap();
    let (alerts, s) = detect_json(&[file.to_str().unwrap()], &[], None);
    assert_attack_found(&alerts, &fleet, "reversed within 5 s");
    assert_attack_summary(&s, &fleet, 1, "reversed within 5 s");

    // The same bytes on standard input.
    let (alerts, s) = detect_json(&["-"], &[], Some(joined(&mixed)));
    assert_attack_found(&alerts, &fleet, "standard input");
    assert_attack_summary(&s, &fleet, 1, "standard input");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn collectors_prefixes_cloudwatch_exports_and_directories_give_the_same_alerts() {
    let fleet = Fleet::new(t0(), attack());
    let dir = temp_dir("forms");
    // A syslog collector's file: RFC 5424 and rsyslog's traditional prefix, turn about, some
    // lines ending in CRLF.
    let mut n = 0;
    let prefixed: Vec<String> = interleaved(&fleet.hosts(), 9)
        .into_iter()
        .map(|l| {
            n += 1;
            let host = l
                .split("\"host\":\"")
                .nth(1)
                .unwrap()
                .split('"')
                .next()
                .unwrap();
            let pid = l
                .split("\"pid\":")
                .nth(1)
                .unwrap()
                .split(',')
                .next()
                .unwrap();
            match n % 3 {
                0 => format!("<38>1 {}Z {host} shop {pid} - - {l}", &l[7..30]),
                1 => format!("Dec  2 10:00:00 {host} shop[{pid}]: {l}"),
                _ => format!("Dec  2 10:00:00 {host} shop[{pid}]: {l}\r"),
            }
        })
        .collect();
    let file = dir.join("syslog.log");
    std::fs::write(&file, joined(&prefixed)).unwrap();
    let (alerts, s) = detect_json(&[file.to_str().unwrap()], &[], None);
    assert_attack_found(&alerts, &fleet, "syslog prefixes");
    assert_attack_summary(&s, &fleet, 1, "syslog prefixes");

    // CloudWatch Logs exports, one per host; half the messages behind Lambda's prefix.
    let exports: Vec<PathBuf> = fleet
        .hosts()
        .iter()
        .enumerate()
        .map(|(h, lines)| {
            let events: Vec<Value> = lines
                .iter()
                .enumerate()
                .map(|(i, l)| {
                    let message = if i % 2 == 0 {
                        format!("{l}\n")
                    } else {
                        format!("{}Z\tc0ffee-{h}-{i}\tINFO\t{l}\n", &l[7..30])
                    };
                    json!({"logStreamName": format!("web-{h}"), "timestamp": 1_796_000_000_000u64 + i as u64,
                           "message": message, "ingestionTime": 1_796_000_000_500u64, "eventId": format!("{h}{i:04}")})
                })
                .collect();
            let p = dir.join(format!("export-{h}.json"));
            let export = json!({"events": events, "searchedLogStreams": []});
            std::fs::write(&p, serde_json::to_vec_pretty(&export).unwrap()).unwrap();
            p
        })
        .collect();
    let (alerts, s) = detect_json(&paths_of(&exports), &[], None);
    assert_attack_found(&alerts, &fleet, "CloudWatch exports");
    assert_attack_summary(&s, &fleet, 8, "CloudWatch exports");
    // An export on standard input.
    let one = std::fs::read(&exports[3]).unwrap();
    let (alerts, s) = detect_json(&["-"], &[], Some(one));
    assert!(alerts.is_empty(), "{alerts:#?}");
    assert_eq!(
        s.records,
        fleet.events.iter().filter(|e| e.host == 3).count() as u64
    );
    assert_eq!(s.not_records, 0);

    // A directory of the hosts' files.
    let logs = dir.join("logs");
    std::fs::create_dir_all(&logs).unwrap();
    write_hosts(&logs, &fleet.hosts());
    std::fs::write(logs.join("README.txt"), "not a log: not read\n").unwrap();
    let (alerts, s) = detect_json(&[logs.to_str().unwrap()], &[], None);
    assert_attack_found(&alerts, &fleet, "a directory");
    assert_attack_summary(&s, &fleet, 8, "a directory");
    std::fs::remove_dir_all(&dir).unwrap();
}

// ---------------------------------------------------------------------------------------
// The table

/// Every record of `lines` sealed into a new chain: its lines (the `seclog.chain` record
/// first) and that record's `ts`.
fn sealed(lines: &[String], key: u8) -> (Vec<String>, SystemTime) {
    let mut w = ChainWriter::new(&Seal::symmetric(ChainKey::from_bytes([key; 32]))).unwrap();
    let mut out = Vec::new();
    for l in lines {
        w.seal(l.as_bytes(), &mut out);
    }
    let text = String::from_utf8(out).unwrap();
    let lines: Vec<String> = text.lines().map(str::to_owned).collect();
    assert!(lines[0].contains("\"event\":\"seclog.chain\""));
    assert!(lines[1].ends_with("\"}") && lines[1].contains(w.id()));
    let start = humantime::parse_rfc3339(&lines[0][7..37]).unwrap();
    (lines, start)
}

#[test]
fn the_table_has_a_row_per_alert_and_the_summary_of_what_was_read() {
    let fleet = Fleet::new(t0(), attack());
    let dir = temp_dir("table");
    let mut hosts = fleet.hosts();
    // Two of the processes seal their records.
    let mut starts = Vec::new();
    for (h, key) in [(2, 5), (6, 9)] {
        let (lines, start) = sealed(&hosts[h], key);
        hosts[h] = lines;
        starts.push(start);
    }
    let files = write_hosts(&dir, &hosts);
    let mut args = vec!["detect"];
    args.extend(paths_of(&files));
    let o = run(&args, None);
    ok(&o);
    let out = String::from_utf8(o.stdout.clone()).unwrap();
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 4, "header, two rows, summary: {out}");
    let header: Vec<&str> = lines[0].split_whitespace().collect();
    assert_eq!(
        header,
        ["time", "rule", "key", "count", "window", "first", "seen"]
    );
    // Columns line up: each row's fields start where the header's do.
    let columns: Vec<usize> = ["rule", "key", "first seen"]
        .iter()
        .map(|c| lines[0].find(c).unwrap())
        .collect();
    let mut rows = Vec::new();
    for row in &lines[1..3] {
        let cells: Vec<&str> = row.split_whitespace().collect();
        assert_eq!(cells.len(), 6, "{row:?}");
        assert_eq!(row.find(cells[1]), Some(columns[0]), "{row:?}");
        assert_eq!(row.find(cells[2]), Some(columns[1]), "{row:?}");
        assert_eq!(row.rfind(cells[5]), Some(columns[2]), "{row:?}");
        rows.push(cells);
    }
    // A row as each alert fires: in the order of their times.
    assert!(rows[0][0] <= rows[1][0], "{rows:?}");
    let row = |rule: &str| {
        rows.iter()
            .find(|r| r[1] == rule)
            .unwrap_or_else(|| panic!("{rule}: {out}"))
    };
    let guesses = fleet.failures(|u, _| u == TARGET);
    assert_eq!(
        row("brute_force")[..],
        [
            &secs(guesses[9])[..],
            "brute_force",
            "user=bob",
            "10",
            "5m",
            &secs(guesses[0])[..]
        ]
    );
    let attempts = fleet.failures(|_, ip| ip == STUFFER);
    let r = row("credential_stuffing");
    assert_eq!(
        r[1..5],
        ["credential_stuffing", "ip=203.0.113.66", "20", "10m"]
    );
    assert_eq!(r[5], secs(attempts[0]));
    assert!(
        attempts[19..].iter().any(|t| secs(*t) == r[0]),
        "fired at a stuffing attempt from the 20th on: {r:?}"
    );

    let s = summary_of(lines[3]);
    let total = fleet.events.len() as u64 + 2;
    assert_eq!(
        (
            s.alerts,
            s.records + s.not_records,
            s.hosts,
            s.chains,
            s.inputs
        ),
        (2, total, 8, 2, 8),
        "{}",
        lines[3]
    );
    assert_eq!((s.late, s.future, s.at_least), (0, 0, false));
    let earliest = starts.iter().copied().min().unwrap();
    assert_eq!(
        s.span,
        Some((secs(earliest.min(fleet.first())), secs(fleet.last()))),
        "from the first record (the chains' starts come first) to the last"
    );
    assert_eq!(
        lines[3],
        format!(
            "2 alerts in {} records from 8 hosts, 8 processes, 2 chains, 8 inputs, {} to {}{}.",
            s.records,
            s.span.as_ref().unwrap().0,
            s.span.as_ref().unwrap().1,
            if s.not_records > 0 {
                format!(" ({} lines not records)", s.not_records)
            } else {
                String::new()
            }
        )
    );

    // Nothing to report: a line that says so, and the summary.
    let quiet = run(&["detect", files[0].to_str().unwrap()], None);
    ok(&quiet);
    let out = String::from_utf8(quiet.stdout).unwrap();
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "No alerts.");
    let s = summary_of(lines[1]);
    assert_eq!(
        (s.alerts, s.hosts, s.processes, s.chains, s.inputs),
        (0, 1, 1, 0, 1)
    );
    assert_eq!(lines.len(), 2);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_sealed_chain_s_first_record_is_a_record() {
    // `seclog.chain` is a record like any other (as `seclog stats` counts it), written by
    // every sealed process: a clean sealed archive has no line that is not a record.
    let fleet = Fleet::new(t0(), attack());
    let dir = temp_dir("chain-start");
    let (lines, _) = sealed(&fleet.hosts()[0], 3);
    let file = dir.join("sealed.log");
    std::fs::write(&file, joined(&lines)).unwrap();
    let (alerts, s) = detect_json(&[file.to_str().unwrap()], &[], None);
    assert!(alerts.is_empty());
    assert_eq!(s.chains, 1);
    assert_eq!(
        (s.records, s.not_records),
        (lines.len() as u64, 0),
        "every line of a sealed chain is a record"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

// ---------------------------------------------------------------------------------------
// Thresholds by flag

#[test]
fn thresholds_and_rules_are_set_by_flags() {
    let fleet = Fleet::new(t0(), attack());
    let dir = temp_dir("flags");
    let files = write_hosts(&dir, &fleet.hosts());
    let paths = paths_of(&files);

    // Four wrong passwords for one account, over two hosts: under the default ten.
    let few = Fleet::new(
        t0(),
        mix(
            vec![
                (0..4)
                    .map(|i| What::Fail {
                        user: "carol".into(),
                        ip: format!("198.51.100.{}", 40 + i),
                    })
                    .collect(),
                (0..12)
                    .map(|c| {
                        let (user, ip) = customer(c);
                        What::Order { user, ip }
                    })
                    .collect(),
            ],
            3,
        ),
    );
    let few_files = write_hosts(&temp_dir("flags-few"), &few.hosts());
    let few_paths = paths_of(&few_files);
    let (alerts, _) = detect_json(&few_paths, &[], None);
    assert!(alerts.is_empty(), "{alerts:#?}");
    let (alerts, s) = detect_json(&few_paths, &["--brute-force", "3/1m"], None);
    assert_eq!(alerts.len(), 1, "{alerts:#?}");
    assert_eq!(s.alerts, 1);
    let f = &alerts[0]["fields"];
    let carol = few.failures(|u, _| u == "carol");
    assert_eq!(
        (&f["rule"], &f["user"], &f["count"], &f["window_s"]),
        (
            &json!("brute_force"),
            &json!("carol"),
            &json!(3),
            &json!(60)
        )
    );
    assert_eq!(f["first_seen"], ts(carol[0]));
    assert_eq!(f["last_seen"], ts(carol[2]), "at the third failure");
    // A window a quarter of the shortest time any three failures take: counted over it and
    // the window before (weighted), no three fall within one.
    let spread = carol
        .windows(3)
        .map(|w| w[2].duration_since(w[0]).unwrap())
        .min()
        .unwrap();
    let short = format!("3/{}ms", spread.as_millis() / 4);
    let (alerts, _) = detect_json(&few_paths, &["--brute-force", &short], None);
    assert!(alerts.is_empty(), "{short}: {alerts:#?}");

    // The attack with a rule off, or a threshold above it.
    let (alerts, s) = detect_json(&paths, &["--disable", "brute_force"], None);
    assert_eq!(s.alerts, 1);
    assert_eq!(
        of_rule(&alerts, "credential_stuffing").len(),
        1,
        "{alerts:#?}"
    );
    assert_eq!(alerts.len(), 1, "{alerts:#?}");
    let (alerts, _) = detect_json(
        &paths,
        &[
            "--disable",
            "brute_force",
            "--disable",
            "credential_stuffing",
        ],
        None,
    );
    assert!(alerts.is_empty(), "{alerts:#?}");
    let (alerts, _) = detect_json(
        &paths,
        &["--credential-stuffing", &format!("{}/10m", LEAKED + 5)],
        None,
    );
    assert_eq!(alerts.len(), 1, "{alerts:#?}");
    assert_eq!(alerts[0]["fields"]["user"], TARGET);
    let (alerts, _) = detect_json(&paths, &["--brute-force", "10/1s"], None);
    assert_eq!(
        alerts.len(),
        1,
        "no ten guesses within a second: {alerts:#?}"
    );
    assert_eq!(alerts[0]["fields"]["ip"], STUFFER);

    // Bad values: exit 2, a message naming what is wrong, nothing read.
    for (flag, value, says) in [
        ("--brute-force", "10", "expected NUMBER/WINDOW"),
        ("--brute-force", "ten/5m", "invalid digit"),
        ("--brute-force", "10/0s", "longer than 0"),
        ("--brute-force", "10/soon", "soon"),
        (
            "--failure-spike",
            "0.5/5m",
            "expected a factor of at least 1",
        ),
        (
            "--failure-spike",
            "NaN/5m",
            "expected a factor of at least 1",
        ),
        ("--credential-stuffing", "=-1/10m", "invalid digit"),
        (
            "--disable",
            "everything",
            "expected brute_force, credential_stuffing",
        ),
    ] {
        // `=` joins a value that starts with a dash to its flag.
        let joined_flag = format!("{flag}{value}");
        let o = match value.strip_prefix('=') {
            Some(_) => run(&["detect", &joined_flag, paths[0]], None),
            None => run(&["detect", flag, value, paths[0]], None),
        };
        assert_eq!(o.status.code(), Some(2), "{flag} {value}: {}", text(&o));
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(
            err.contains(flag) && err.contains(says),
            "{flag} {value}: {err}"
        );
        assert!(o.stdout.is_empty(), "{flag} {value}: {}", text(&o));
    }
    let o = run(&["detect"], None);
    assert_eq!(o.status.code(), Some(2), "a path is required: {}", text(&o));
    let o = run(&["detect", dir.join("nope.log").to_str().unwrap()], None);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(String::from_utf8_lossy(&o.stderr).contains("nope.log"));
    std::fs::remove_dir_all(&dir).unwrap();
    std::fs::remove_dir_all(few_files[0].parent().unwrap()).unwrap();
}

// ---------------------------------------------------------------------------------------
// Bad input

/// `seclog detect --json PATHS` in a shell that caps its address space at `mem_mib` and its
/// CPU time, so that a runaway fails the run rather than the machine. Returns the output and
/// the largest resident size seen (`VmHWM`, KiB) while it ran.
fn detect_capped(mem_mib: u64, cpu_secs: u64, paths: &[&str]) -> (Output, u64) {
    let mut c = command("sh");
    c.arg("-c")
        .arg(format!(
            "ulimit -v {}; ulimit -t {cpu_secs}; exec \"$0\" \"$@\"",
            mem_mib * 1024
        ))
        .arg(BIN)
        .args(["detect", "--json"])
        .args(paths)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let child = c.spawn().expect("sh runs");
    let pid = child.id();
    let done = Arc::new(AtomicBool::new(false));
    let hwm = Arc::new(AtomicU64::new(0));
    let watcher = {
        let (done, hwm) = (done.clone(), hwm.clone());
        std::thread::spawn(move || {
            while !done.load(Ordering::Relaxed) {
                if let Ok(status) = std::fs::read_to_string(format!("/proc/{pid}/status")) {
                    let kib = status
                        .lines()
                        .find_map(|l| l.strip_prefix("VmHWM:"))
                        .and_then(|v| v.trim().trim_end_matches(" kB").trim().parse().ok());
                    if let Some(kib) = kib {
                        hwm.fetch_max(kib, Ordering::Relaxed);
                    }
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        })
    };
    let out = child.wait_with_output().unwrap();
    done.store(true, Ordering::Relaxed);
    watcher.join().unwrap();
    (out, hwm.load(Ordering::Relaxed))
}

fn alerts_and_summary(o: &Output) -> (Vec<Value>, Summary) {
    ok(o);
    let alerts = String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let stderr = String::from_utf8_lossy(&o.stderr);
    let line = stderr
        .lines()
        .find_map(|l| l.strip_prefix("seclog: "))
        .unwrap_or_else(|| panic!("a summary: {stderr}"));
    (alerts, summary_of(line))
}

#[test]
fn a_million_distinct_addresses_stay_within_bounds_and_the_attack_is_still_found() {
    const FLOOD: u64 = 1_000_000;
    let dir = temp_dir("million");
    let t0 = t0();
    // The attack in a burst halfway through, one attack record after each flood record.
    let attack: Vec<What> = attack()
        .into_iter()
        .filter(|w| matches!(w, What::Fail { user, ip } if ip == STUFFER || user == TARGET))
        .collect();
    let mut burst = Vec::new();
    let file = dir.join("flood.log");
    {
        let mut out = std::io::BufWriter::new(std::fs::File::create(&file).unwrap());
        let mut seqs = [0u64; HOSTS];
        let mut attack = attack.iter();
        for i in 0..FLOOD {
            let host = (i % HOSTS as u64) as usize;
            let at = t0 + Duration::from_micros(100 * i);
            seqs[host] += 1;
            let e = Ev {
                at,
                host,
                seq: seqs[host],
                what: What::Fail {
                    user: format!("user{i}"),
                    ip: format!("10.{}.{}.{}", i >> 16, (i >> 8) & 255, i & 255),
                },
            };
            writeln!(out, "{}", e.line()).unwrap();
            if i >= FLOOD / 2
                && let Some(what) = attack.next()
            {
                seqs[host] += 1;
                let e = Ev {
                    at: at + Duration::from_micros(50),
                    host,
                    seq: seqs[host],
                    what: what.clone(),
                };
                writeln!(out, "{}", e.line()).unwrap();
                burst.push(e);
            }
        }
        out.flush().unwrap();
    }
    assert_eq!(burst.len(), LEAKED + GUESSES);
    let (o, hwm_kib) = detect_capped(512, 300, &[file.to_str().unwrap()]);
    let (alerts, s) = alerts_and_summary(&o);
    eprintln!("a million addresses: peak resident {} MiB", hwm_kib / 1024);
    let fleet = Fleet { events: burst };
    assert_attack_found(&alerts, &fleet, "a million addresses");
    assert_eq!(s.records, FLOOD + (LEAKED + GUESSES) as u64);
    assert_eq!((s.hosts, s.not_records, s.late, s.future), (8, 0, 0, 0));
    assert_eq!(
        s.span,
        Some((
            secs(t0),
            secs(t0 + Duration::from_micros(100 * (FLOOD - 1)))
        ))
    );
    // The rules' state (capped), the reorder buffer (here its record count is the bound),
    // the read buffer, and the program itself.
    let longest = std::fs::read_to_string(&file)
        .unwrap()
        .lines()
        .take(1000)
        .map(str::len)
        .max()
        .unwrap();
    let cap = Replay::new(Rules::default()).memory_cap()
        + detect::REORDER_RECORDS * (longest + 64)
        + 4 * detect::MAX_LINE
        + (24 << 20);
    eprintln!("the bound: {} MiB", cap >> 20);
    assert!(
        hwm_kib * 1024 < cap as u64,
        "peak resident {} MiB for a million distinct addresses, over {} MiB",
        hwm_kib / 1024,
        cap >> 20
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The non-blank lines of `bytes`, as `detect` splits them (`\n`, a `\r` before it dropped,
/// lines of whitespace skipped).
fn non_blank_lines(bytes: &[u8]) -> u64 {
    bytes
        .split(|&b| b == b'\n')
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
        .filter(|l| !l.iter().all(u8::is_ascii_whitespace))
        .count() as u64
}

#[test]
fn lines_that_are_not_records_and_binary_garbage_are_counted_and_skipped() {
    let fleet = Fleet::new(t0(), attack());
    let dir = temp_dir("garbage");
    let mut rng = Rng(77);
    let mut junk_lines = 0;
    let files: Vec<PathBuf> = fleet
        .hosts()
        .iter()
        .enumerate()
        .map(|(h, lines)| {
            let mut out = Vec::new();
            for (i, l) in lines.iter().enumerate() {
                out.extend_from_slice(l.as_bytes());
                out.extend_from_slice(if i % 5 == 0 { b"\r\n" } else { b"\n" });
                let junk: Vec<u8> = match (i + h) % 9 {
                    0 => b"GET /health HTTP/1.1 200 12ms".to_vec(),
                    1 => br#"{"@timestamp":"2026-12-02T10:00:00Z","message":"another format"}"#
                        .to_vec(),
                    2 => br#"{"ts":"yesterday","seq":1,"event":"x"}"#.to_vec(),
                    3 => br#"{"ts":"2026-13-45T99:00:00Z","seq":1}"#.to_vec(),
                    4 => (0..rng.index(3000))
                        .map(|_| rng.next() as u8)
                        .filter(|b| *b != b'{')
                        .collect(),
                    5 => format!("{}\t  \t", " ".repeat(40)).into_bytes(),
                    6 => vec![0u8; 64],
                    7 => l.as_bytes()[..l.len() / 2].to_vec(),
                    _ => Vec::new(),
                };
                junk_lines += non_blank_lines(&junk);
                out.extend_from_slice(&junk);
                out.push(b'\n');
            }
            let p = dir.join(format!("web-{h}.log"));
            std::fs::write(&p, out).unwrap();
            p
        })
        .collect();
    assert!(junk_lines > 100, "{junk_lines}");
    let (alerts, s) = detect_json(&paths_of(&files), &[], None);
    assert_attack_found(&alerts, &fleet, "with garbage");
    assert_eq!(
        (s.records, s.not_records, s.hosts, s.late, s.future),
        (fleet.events.len() as u64, junk_lines, 8, 0, 0)
    );
    assert_eq!(s.span, Some((secs(fleet.first()), secs(fleet.last()))));

    // Nothing but garbage, and nothing at all.
    let noise: Vec<u8> = (0..1 << 20).map(|_| rng.next() as u8).collect();
    let (alerts, s) = detect_json(&["-"], &[], Some(noise.clone()));
    assert!(alerts.is_empty());
    assert_eq!(
        (s.records, s.not_records, s.hosts, s.span),
        (0, non_blank_lines(&noise), 0, None)
    );
    let (alerts, s) = detect_json(&["-"], &[], Some(Vec::new()));
    assert!(alerts.is_empty());
    assert_eq!(
        s,
        Summary {
            inputs: 1,
            ..Summary::default()
        }
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn lines_the_rules_cannot_read_count_nowhere_but_as_not_records() {
    // A `ts`, a `where` and a seal, but not the record layout (no `level`, no `outcome`):
    // not a record, so neither its time, nor its host, nor its chain, nor its lateness is.
    let fleet = Fleet::new(t0(), attack());
    let dir = temp_dir("unread");
    let mut hosts = fleet.hosts();
    let odd: Vec<String> = (0..3)
        .map(|i| {
            format!(
                r#"{{"ts":"{}","seq":{i},"event":"note","where":{{"host":"elsewhere","pid":1}},"chain":"abcdef01","mac":"00"}}"#,
                ts(fleet.first() - Duration::from_secs(3 * 3600 + i))
            )
        })
        .collect();
    let at = hosts[0].len() * 2 / 3;
    hosts[0].splice(at..at, odd);
    let files = write_hosts(&dir, &hosts);
    let (alerts, s) = detect_json(&paths_of(&files), &[], None);
    assert_attack_found(&alerts, &fleet, "with lines the rules cannot read");
    assert_eq!(
        s,
        Summary {
            not_records: 3,
            ..summary_of_attack(&fleet, 8)
        }
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn records_hours_out_of_order_are_counted_late_and_the_attack_is_still_found() {
    let fleet = Fleet::new(t0(), attack());
    let dir = temp_dir("hours");
    let mut hosts = fleet.hosts();
    // A host that replays five orders from three hours ago, 20 s into its records.
    let stale: Vec<String> = (0..5)
        .map(|i| {
            Ev {
                at: fleet.first() - Duration::from_secs(3 * 3600) + Duration::from_secs(i),
                host: 2,
                seq: 900 + i,
                what: What::Order {
                    user: "cust03".into(),
                    ip: "192.0.2.13".into(),
                },
            }
            .line()
        })
        .collect();
    let at = hosts[2].len() * 2 / 3;
    hosts[2].splice(at..at, stale.iter().cloned());
    let files = write_hosts(&dir, &hosts);
    let (alerts, s) = detect_json(&paths_of(&files), &[], None);
    assert_attack_found(&alerts, &fleet, "hours late");
    assert_eq!(
        (s.records, s.late, s.not_records, s.future),
        (fleet.events.len() as u64 + 5, 5, 0, 0)
    );
    assert_eq!(
        s.span,
        Some((
            secs(fleet.first() - Duration::from_secs(3 * 3600)),
            secs(fleet.last())
        ))
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_timestamp_in_the_future_is_counted_not_watched_and_stops_nothing() {
    let fleet = Fleet::new(t0(), attack());
    let dir = temp_dir("future");
    let mut hosts = fleet.hosts();
    let year_2200 = |host: usize, user: &str| {
        let mut l = Ev {
            at: fleet.first(),
            host,
            seq: 1,
            what: What::Fail {
                user: user.into(),
                ip: STUFFER.into(),
            },
        }
        .line();
        l.replace_range(7..37, "2200-01-01T00:00:00.000000000Z");
        l
    };
    // Before every other record, and amid the attack; neither counts towards it.
    hosts[0].insert(0, year_2200(0, "leaked00"));
    let mid = hosts[5].len() / 2;
    hosts[5].insert(mid, year_2200(5, "ghost"));
    let files = write_hosts(&dir, &hosts);
    let (alerts, s) = detect_json(&paths_of(&files), &[], None);
    assert_attack_found(&alerts, &fleet, "with the year 2200");
    assert_eq!(
        (s.records, s.future, s.late, s.not_records),
        (fleet.events.len() as u64, 2, 0, 0)
    );
    assert_eq!(s.span, Some((secs(fleet.first()), secs(fleet.last()))));
    // Alone, on standard input: nothing watched, no span.
    let (alerts, s) = detect_json(&["-"], &[], Some(joined(&[year_2200(1, "x")])));
    assert!(alerts.is_empty());
    assert_eq!((s.records, s.future, s.span), (0, 1, None));
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Inserts `lines` into a host's lines where their `ts` (that of the first) puts them.
fn insert_in_order(host: &mut Vec<String>, lines: Vec<String>) {
    let key = lines[0][7..37].to_owned();
    let at = host.partition_point(|l| l[7..37] <= key[..]);
    host.splice(at..at, lines);
}

#[test]
fn records_missing_keys_are_watched_for_what_they_hold() {
    let fleet = Fleet::new(t0(), attack());
    let dir = temp_dir("missing");
    let mut hosts = fleet.hosts();
    let at = |i: usize| fleet.first() + Duration::from_millis(300 * i as u64 + 50);
    let ip = |i: usize| format!("198.51.100.{}", 100 + i);
    let fail = |i: usize, user: &str| {
        Ev {
            at: at(i),
            host: i % HOSTS,
            seq: 500 + i as u64,
            what: What::Fail {
                user: user.into(),
                ip: ip(i),
            },
        }
        .line()
    };
    let (mut watched, mut not_records) = (0, 0);
    for i in 0..12 {
        // No `who`: the user is the input named `username`.
        let carol = fail(i, "carol").replace(&who("carol", &ip(i)), "");
        assert!(!carol.contains("\"who\"") && carol.contains("\"username\":\"carol\""));
        // No `who` and no inputs: no one to count against.
        let heidi = fail(i, "heidi")
            .replace(&who("heidi", &ip(i)), "")
            .replace(&login_inputs("heidi"), "");
        assert!(!heidi.contains("heidi"));
        // `who` without an address: the user still counts.
        let dave = fail(i, "dave").replace(&format!(",\"ip\":\"{}\"", ip(i)), "");
        assert!(!dave.contains("\"ip\""));
        // No `where`: not the record layout the rules read.
        let l = fail(i, "erin");
        let w = l.find(",\"where\":").unwrap();
        let end = l[w..].find('}').unwrap() + w + 1;
        let erin = format!("{}{}", &l[..w], &l[end..]);
        assert!(!erin.contains("\"where\"") && !erin.contains("\"host\""));
        // No `ts`: no record at all.
        let frank = fail(i, "frank").replacen(&format!("\"ts\":\"{}\",", ts(at(i))), "", 1);
        assert!(!frank.contains("\"ts\""));
        // Cut short.
        let grace = fail(i, "grace")[..200].to_owned();
        // The ones without a `ts` of their own go where the others do.
        let mut group = vec![carol, heidi, dave, erin];
        group.extend([frank, grace]);
        insert_in_order(&mut hosts[i % HOSTS], group);
        watched += 3;
        not_records += 3;
    }
    let files = write_hosts(&dir, &hosts);
    let (alerts, s) = detect_json(&paths_of(&files), &[], None);
    for user in ["carol", "dave"] {
        let found: Vec<&Value> = of_rule(&alerts, "brute_force")
            .into_iter()
            .filter(|a| a["fields"]["user"] == user)
            .collect();
        assert_eq!(found.len(), 1, "{user}: {alerts:#?}");
        assert_eq!(found[0]["fields"]["first_seen"], ts(at(0)));
        assert_eq!(
            found[0]["fields"]["last_seen"],
            ts(at(9)),
            "{user}'s 10th failure"
        );
    }
    let rest: Vec<Value> = alerts
        .iter()
        .filter(|a| !matches!(a["fields"]["user"].as_str(), Some("carol" | "dave")))
        .cloned()
        .collect();
    assert_attack_found(&rest, &fleet, "with records missing keys");
    assert_eq!(
        (s.records, s.not_records, s.hosts, s.late, s.future),
        (fleet.events.len() as u64 + watched, not_records, 8, 0, 0)
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_100_mib_line_is_one_line_that_is_not_a_record() {
    let fleet = Fleet::new(t0(), attack());
    let dir = temp_dir("huge");
    let mut hosts = fleet.hosts();
    let order = |host: usize, at: SystemTime| {
        Ev {
            at,
            host,
            seq: 999,
            what: What::Order {
                user: "cust01".into(),
                ip: "192.0.2.11".into(),
            },
        }
        .line()
    };
    // An order with 100 MiB of inputs, amid host 0's records.
    let big = order(0, fleet.events[3 * HOSTS].at);
    let big = format!(
        "{},\"blob\":\"{}\"}}",
        big.strip_suffix('}').unwrap(),
        "A".repeat(100 << 20)
    );
    hosts[0].insert(4, big);
    let files = write_hosts(&dir, &hosts);
    drop(hosts);
    // 100 MiB with no newline at all, after a record.
    let torn = dir.join("torn.log");
    let mut bytes = joined(&[order(1, fleet.first())]);
    bytes.extend_from_slice(b"{\"ts\":\"2026-12-02T10:00:00.000000000Z\",\"x\":\"");
    bytes.resize(bytes.len() + (100 << 20), b'x');
    std::fs::write(&torn, &bytes).unwrap();
    drop(bytes);
    let mut paths = paths_of(&files);
    paths.push(torn.to_str().unwrap());
    let (o, hwm_kib) = detect_capped(1024, 120, &paths);
    eprintln!("100 MiB lines: peak resident {} MiB", hwm_kib / 1024);
    let (alerts, s) = alerts_and_summary(&o);
    assert_attack_found(&alerts, &fleet, "with a 100 MiB line");
    assert!(hwm_kib < 200 * 1024, "peak resident {} MiB", hwm_kib / 1024);
    assert_eq!(
        (s.records, s.hosts, s.inputs, s.late, s.future),
        (fleet.events.len() as u64 + 1, 8, 9, 0, 0)
    );
    assert_eq!(
        s.not_records, 2,
        "each long line is one line that is not a record"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn one_record_hours_ahead_does_not_hold_back_the_rest_of_its_input() {
    // A clock that jumped for one record (or a forged `ts`, within the day `detect` accepts):
    // the input's later records are still in order, and are watched in order with the others.
    let fleet = Fleet::new(t0(), attack());
    let dir = temp_dir("ahead");
    let mut hosts = fleet.hosts();
    let ahead = fleet.first() + Duration::from_secs(3 * 3600);
    let line = Ev {
        at: ahead,
        host: 3,
        seq: 990,
        what: What::Order {
            user: "cust03".into(),
            ip: "192.0.2.13".into(),
        },
    }
    .line();
    hosts[3].insert(2, line);
    let files = write_hosts(&dir, &hosts);
    let (alerts, s) = detect_json(&paths_of(&files), &[], None);
    assert_eq!(
        (s.records, s.late, s.not_records, s.future),
        (fleet.events.len() as u64 + 1, 0, 0, 0),
        "nothing watched late"
    );
    assert_eq!(s.span, Some((secs(fleet.first()), secs(ahead))));
    assert_attack_found(&alerts, &fleet, "one record 3 h ahead");
    std::fs::remove_dir_all(&dir).unwrap();
}
