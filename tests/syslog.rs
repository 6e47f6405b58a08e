//! The syslog sink: RFC 5424 messages over UDP, TCP (octet counting) and a Unix socket, a TCP
//! server that goes away and comes back, a collector that restarts with records unread (they
//! are reported), `SECLOG_OUTPUT=syslog+tcp://...`, and a real rsyslog parsing what we send.
//!
//! The rsyslog test needs `rsyslogd` (Debian's `rsyslog` package) and is marked `#[ignore]`;
//! `.ci/run` installs rsyslog and runs it with `--ignored`.

mod common;

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Read};
use std::net::{SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::os::unix::net::UnixDatagram;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

use common::{is_child, run_child, stderr_lines};
use seclog::Sink;
use seclog::sink::syslog::{Facility, Syslog};
use seclog::{security_logged, testing};
use serde_json::Value;

#[security_logged(event = "authn_login", who = user)]
fn login(user: &str, #[redact] password: &str) -> Result<(), String> {
    if password.len() > 3 {
        Ok(())
    } else {
        Err("bad password".into())
    }
}

#[security_logged]
fn work(n: u64) -> u64 {
    n + 1
}

/// Real records, as JSON lines: a success, a failure, and a user name built to break a
/// naive structured-data writer.
fn sample_records() -> Vec<u8> {
    let ((), records) = testing::capture(|| {
        login("alice", "correct horse").unwrap();
        login("mallory\"] [evil@1 x=\"1\"]\\", "x").unwrap_err();
    });
    let mut bytes = Vec::new();
    for r in records {
        serde_json::to_writer(&mut bytes, &r).unwrap();
        bytes.push(b'\n');
    }
    bytes
}

fn lines(bytes: &[u8]) -> Vec<&[u8]> {
    bytes
        .split_inclusive(|&b| b == b'\n')
        .map(|l| l.strip_suffix(b"\n").unwrap())
        .collect()
}

/// `<PRI>1 TS HOST APP PROCID MSGID [SD] BOM JSON` into its parts and the JSON record.
fn split_message(msg: &str) -> (Vec<&str>, &str, Value) {
    let (head, rest) = msg.split_once(" [seclog@32473").expect("structured data");
    let header: Vec<&str> = head.split(' ').collect();
    assert_eq!(header.len(), 6, "{head}");
    let (sd, json) = rest
        .split_once("] \u{feff}")
        .expect("the BOM before the record");
    (header, sd, serde_json::from_str(json).unwrap())
}

#[test]
fn udp_one_datagram_per_record() {
    let server = UdpSocket::bind("127.0.0.1:0").unwrap();
    server
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let sink = Syslog::udp(server.local_addr().unwrap()).unwrap();
    let records = sample_records();
    let mut written = 0;
    sink.write_batch(&records, &mut written).unwrap();
    assert_eq!(written, records.len());

    for line in lines(&records) {
        let mut buf = vec![0; 70_000];
        let n = server.recv(&mut buf).unwrap();
        let msg = std::str::from_utf8(&buf[..n]).unwrap();
        let expected: Value = serde_json::from_slice(line).unwrap();
        let (header, _, record) = split_message(msg);
        assert_eq!(record, expected);
        // authpriv (10): INFO is severity 6, WARN 4.
        let pri = if expected["level"] == "INFO" {
            "<86>1"
        } else {
            "<84>1"
        };
        assert_eq!(header[0], pri);
        assert_eq!(header[2], expected["where"]["host"]);
        assert_eq!(header[3], expected["where"]["service"]);
        assert_eq!(header[4], expected["where"]["pid"].to_string());
        assert_eq!(header[5], expected["event"]);
    }
}

#[test]
fn unix_socket_reconnects_when_the_socket_appears() {
    let path = std::env::temp_dir().join(format!("seclog-syslog-{}.sock", std::process::id()));
    let _ = std::fs::remove_file(&path);
    let sink = Syslog::unix(&path).facility(Facility::Local(3));
    let records = sample_records();

    // Nobody listens yet: an error, nothing taken.
    let mut written = 0;
    assert!(sink.write_batch(&records, &mut written).is_err());
    assert_eq!(written, 0);

    let server = UnixDatagram::bind(&path).unwrap();
    server
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    sink.write_batch(&records, &mut written).unwrap();
    assert_eq!(written, records.len());
    let mut buf = vec![0; 70_000];
    let n = server.recv(&mut buf).unwrap();
    let msg = std::str::from_utf8(&buf[..n]).unwrap();
    // local3 (19) * 8 + INFO (6).
    assert!(msg.starts_with("<158>1 "), "{msg}");
    let _ = std::fs::remove_file(&path);
}

/// Reads octet-counted frames until `until` says enough, or the connection closes.
fn read_frames(stream: &TcpStream, until: impl Fn(&[Value]) -> bool) -> Vec<Value> {
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let mut reader = BufReader::new(stream);
    let mut records = Vec::new();
    while !until(&records) {
        let mut len = Vec::new();
        if reader.read_until(b' ', &mut len).unwrap() == 0 {
            break;
        }
        let len: usize = std::str::from_utf8(&len[..len.len() - 1])
            .unwrap()
            .parse()
            .unwrap();
        let mut msg = vec![0; len];
        reader.read_exact(&mut msg).unwrap();
        let (_, _, record) = split_message(std::str::from_utf8(&msg).unwrap());
        records.push(record);
    }
    records
}

fn work_count(records: &[Value]) -> usize {
    records.iter().filter(|r| r["event"] == "work").count()
}

#[test]
fn a_tcp_server_that_goes_away_and_comes_back_loses_nothing() {
    let out = run_child("tcp_away_child", &[], &[]);
    assert_eq!(stderr_lines(&out, "failed to write"), 1);
    assert_eq!(stderr_lines(&out, "accepts records again"), 1);
}

#[test]
fn tcp_away_child() {
    if !is_child("tcp_away_child") {
        return;
    }
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let first = std::thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        read_frames(&stream, |r| work_count(r) == 10)
        // The connection and the listener close here: the server is away.
    });
    let guard = seclog::builder()
        .sink(Syslog::tcp(addr).unwrap())
        .install()
        .unwrap();
    for n in 0..10 {
        work(n);
    }
    let mut received = first.join().unwrap();

    // Away: the handlers go on, the records are held.
    for n in 10..30 {
        assert_eq!(work(n), n + 1);
    }
    while seclog::delivery::stats().failing_sinks == 0 {
        std::thread::sleep(Duration::from_millis(1));
    }

    // Back, on the same port.
    let listener = TcpListener::bind(addr).unwrap();
    let second = std::thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        let records = read_frames(&stream, |r| {
            work_count(r) == 20 && r.iter().any(|r| r["event"] == "sys_monitor_enabled")
        });
        // Stays up for the rest of the run.
        (records, stream)
    });
    let (after, _stream) = second.join().unwrap();
    assert!(seclog::flush());
    drop(guard);

    received.extend(after);
    let mut seen = BTreeSet::new();
    for r in received.iter().filter(|r| r["event"] == "work") {
        assert!(
            seen.insert(r["inputs"]["n"].as_u64().unwrap()),
            "twice: {r}"
        );
    }
    assert_eq!(seen, (0..30).collect());
    let recovered = received
        .iter()
        .find(|r| r["event"] == "sys_monitor_enabled")
        .unwrap();
    assert_eq!(recovered["fields"]["reason"], "sink_recovered");
    assert_eq!(recovered["fields"]["sink"], format!("syslog+tcp://{addr}"));
    assert_eq!(seclog::delivery::stats().dropped, 0);
}

/// Reads one octet-counted frame straight from the socket and nothing after it: what is not
/// read stays in the kernel, as it does in a collector that stops. `None` at the end of the
/// stream or on an error.
fn read_frame(mut stream: &TcpStream) -> Option<Value> {
    let mut len = Vec::new();
    let mut byte = [0u8; 1];
    while byte[0] != b' ' {
        match stream.read(&mut byte) {
            Ok(0) | Err(_) => return None,
            Ok(_) if byte[0] != b' ' => len.push(byte[0]),
            Ok(_) => {}
        }
    }
    let len: usize = std::str::from_utf8(&len).ok()?.parse().ok()?;
    let mut msg = vec![0; len];
    stream.read_exact(&mut msg).ok()?;
    let (_, _, record) = split_message(std::str::from_utf8(&msg).unwrap());
    Some(record)
}

/// A syslog collector on loopback: every connection read to its end, and closed then (a
/// receipt); the records of all of them, in arrival order.
struct Collector {
    addr: SocketAddr,
    records: Arc<Mutex<Vec<Value>>>,
    connections: Arc<AtomicUsize>,
}

impl Collector {
    fn start(listener: TcpListener) -> Collector {
        let addr = listener.local_addr().unwrap();
        let records = Arc::new(Mutex::new(Vec::new()));
        let connections = Arc::new(AtomicUsize::new(0));
        let (r, c) = (Arc::clone(&records), Arc::clone(&connections));
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                c.fetch_add(1, Ordering::SeqCst);
                let r = Arc::clone(&r);
                std::thread::spawn(move || {
                    while let Some(record) = read_frame(&stream) {
                        r.lock().unwrap().push(record);
                    }
                });
            }
        });
        Collector {
            addr,
            records,
            connections,
        }
    }

    /// Waits until the records received satisfy `until`, and returns them.
    fn wait_for(&self, what: &str, until: impl Fn(&[Value]) -> bool) -> Vec<Value> {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let records = self.records.lock().unwrap().clone();
            if until(&records) {
                return records;
            }
            assert!(Instant::now() < deadline, "no {what} in {records:#?}");
            std::thread::sleep(Duration::from_millis(5));
        }
    }
}

fn has(records: &[Value], event: &str) -> bool {
    records.iter().any(|r| r["event"] == event)
}

fn seq(record: &Value) -> u64 {
    record["seq"].as_u64().unwrap()
}

/// The `connection_lost` reports among `records`: (from, to, count).
fn loss_reports(records: &[Value]) -> Vec<(u64, u64, u64)> {
    records
        .iter()
        .filter(|r| {
            r["event"] == "sys_monitor_disabled" && r["fields"]["reason"] == "connection_lost"
        })
        .map(|r| {
            let f = &r["fields"];
            (
                f["maybe_lost_from_seq"].as_u64().unwrap(),
                f["maybe_lost_to_seq"].as_u64().unwrap(),
                f["maybe_lost"].as_u64().unwrap(),
            )
        })
        .collect()
}

#[test]
fn a_collector_that_restarts_with_records_unread_gets_them_reported() {
    let out = run_child("restart_child", &[], &[]);
    assert_eq!(stderr_lines(&out, "ended without a receipt"), 1);
    assert_eq!(stderr_lines(&out, "may not have reached the collector"), 1);
}

#[test]
fn restart_child() {
    if !is_child("restart_child") {
        return;
    }
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let (close, closing) = mpsc::channel::<()>();
    let first = std::thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .unwrap();
        let mut got = Vec::new();
        while work_count(&got) < 5 {
            got.push(read_frame(&stream).expect("a record"));
        }
        closing.recv().unwrap();
        // The collector stops with records unread: they are discarded, the connection reset.
        got
    });
    let guard = seclog::builder()
        .sink(Syslog::tcp(addr).unwrap())
        .install()
        .unwrap();
    for n in 0..10 {
        work(n);
    }
    // All ten are written (in the kernel); the collector has read five.
    assert!(seclog::flush());
    close.send(()).unwrap();
    let mut received = first.join().unwrap();

    // The collector restarts; meanwhile the handlers go on.
    for n in 10..40 {
        assert_eq!(work(n), n + 1);
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    while seclog::delivery::stats().failing_sinks == 0 {
        assert!(Instant::now() < deadline, "the sink never failed");
        std::thread::sleep(Duration::from_millis(1));
    }
    let second = Collector::start(TcpListener::bind(addr).unwrap());
    second.wait_for("report, recovery and the last record", |r| {
        !loss_reports(r).is_empty()
            && has(r, "sys_monitor_enabled")
            && r.iter()
                .any(|r| r["event"] == "work" && r["inputs"]["n"] == 39)
    });
    drop(guard);
    received.extend(second.wait_for("sys_shutdown", |r| has(r, "sys_shutdown")));

    // Every record emitted arrived, or is in a reported range.
    let reports = loss_reports(&received);
    assert_eq!(reports.len(), 1, "{received:#?}");
    let (from, to, count) = reports[0];
    let last = received
        .iter()
        .find(|r| r["event"] == "sys_shutdown")
        .map(seq)
        .unwrap();
    let arrived: BTreeSet<u64> = received.iter().map(seq).collect();
    let missing: Vec<u64> = (1..=last).filter(|s| !arrived.contains(s)).collect();
    for s in &missing {
        assert!(
            (from..=to).contains(s),
            "seq {s} neither arrived nor was reported ({from} to {to})"
        );
    }
    // What the first collector did not read is what is missing: at least works 5 to 9.
    assert!(missing.len() >= 5, "{missing:?}");
    // The report covers the whole first connection, from sys_startup on.
    assert_eq!(from, 1);
    assert!(count >= missing.len() as u64 && count <= to - from + 1);
    let report = received
        .iter()
        .find(|r| r["fields"]["reason"] == "connection_lost")
        .unwrap();
    assert_eq!(report["level"], "WARN");
    assert_eq!(report["fields"]["sink"], format!("syslog+tcp://{addr}"));
    assert!(
        report["fields"]["error"]
            .as_str()
            .is_some_and(|e| !e.is_empty())
    );
    assert!(report["fields"]["since"].is_string() && report["fields"]["until"].is_string());
    // Nothing arrived twice, and the sink lost nothing it refused.
    let works: Vec<u64> = received
        .iter()
        .filter(|r| r["event"] == "work")
        .map(|r| r["inputs"]["n"].as_u64().unwrap())
        .collect();
    assert_eq!(works.len(), works.iter().collect::<BTreeSet<_>>().len());
    assert_eq!(seclog::delivery::stats().dropped, 0);
}

#[test]
fn tcp_receipts_confirm_what_the_collector_read() {
    let collector = Collector::start(TcpListener::bind("127.0.0.1:0").unwrap());
    // A receipt after every batch: each batch on its own connection.
    let sink = Syslog::tcp(collector.addr)
        .unwrap()
        .receipt_every(Duration::ZERO);
    let records = sample_records();
    let n = lines(&records).len();
    let mut reports = Vec::new();
    for pause in [100, 1100, 1100] {
        let ((), captured) = testing::capture(|| {
            let mut written = 0;
            sink.write_batch(&records, &mut written).unwrap();
            assert_eq!(written, records.len());
        });
        reports.extend(captured);
        // The collector reads each connection to its end and closes it: the receipt, judged
        // once no reset has followed it for a second.
        std::thread::sleep(Duration::from_millis(pause));
    }
    assert!(reports.is_empty(), "{reports:#?}");
    collector.wait_for("every record", |r| r.len() == 3 * n);
    assert_eq!(collector.connections.load(Ordering::SeqCst), 3);
}

#[test]
fn a_tcp_collector_that_resets_gets_the_records_of_the_connection_reported() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let sink = Syslog::tcp(addr).unwrap();
    let records = sample_records();
    let seqs: Vec<u64> = lines(&records)
        .iter()
        .map(|l| {
            serde_json::from_slice::<Value>(l).unwrap()["seq"]
                .as_u64()
                .unwrap()
        })
        .collect();
    let collector = std::thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        // Once the records are there, it stops without reading them: a reset.
        stream.peek(&mut [0u8; 1]).unwrap();
    });
    let mut written = 0;
    sink.write_batch(&records, &mut written).unwrap();
    assert_eq!(written, records.len());
    collector.join().unwrap();
    std::thread::sleep(Duration::from_millis(50));

    // The next batch finds the connection reset before writing anything; the collector is
    // gone, so it is refused, and the records of the old connection are reported.
    let (result, reports) = testing::capture(|| sink.write_batch(&records, &mut 0));
    assert!(result.is_err());
    assert_eq!(reports.len(), 1, "{reports:#?}");
    let report = &reports[0];
    eprintln!("{}", serde_json::to_string(report).unwrap());
    assert_eq!(report["event"], "sys_monitor_disabled");
    let f = &report["fields"];
    assert_eq!(f["reason"], "connection_lost");
    assert_eq!(f["sink"], format!("syslog+tcp://{addr}"));
    assert_eq!(f["maybe_lost"], seqs.len());
    assert_eq!(f["maybe_lost_from_seq"], seqs[0]);
    assert_eq!(f["maybe_lost_to_seq"], *seqs.last().unwrap());
}

#[test]
fn seclog_output_ships_to_a_tcp_collector() {
    let collector = Collector::start(TcpListener::bind("127.0.0.1:0").unwrap());
    let url = format!("syslog+tcp://{}", collector.addr);
    run_child(
        "env_child",
        &[("SECLOG_OUTPUT", &url), ("SECLOG_SERVICE", "shop")],
        &[],
    );
    let records = collector.wait_for("sys_shutdown", |r| has(r, "sys_shutdown"));
    for event in ["sys_startup", "work", "authn_login_success", "sys_shutdown"] {
        assert!(has(&records, event), "no {event} in {records:#?}");
    }
    assert!(
        records.iter().all(|r| r["where"]["service"] == "shop"),
        "{records:#?}"
    );
    // All of them, none reported lost.
    let seqs: BTreeSet<u64> = records.iter().map(seq).collect();
    assert_eq!(seqs, (1..=records.len() as u64).collect());
    assert!(loss_reports(&records).is_empty());
}

#[test]
fn env_child() {
    if !is_child("env_child") {
        return;
    }
    let guard = seclog::builder().with_env().unwrap().install().unwrap();
    assert_eq!(work(1), 2);
    login("alice", "correct horse").unwrap();
    drop(guard);
}

/// An rsyslogd with its own configuration, listening on loopback; killed on drop.
struct Rsyslog {
    child: Child,
    dir: PathBuf,
    tcp: u16,
    udp: u16,
}

impl Drop for Rsyslog {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Rsyslog {
    fn start() -> Rsyslog {
        // One directory per server: tests run side by side.
        static SERVERS: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "seclog-rsyslog-{}-{}",
            std::process::id(),
            SERVERS.fetch_add(1, Ordering::SeqCst)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let (tcp, udp) = (free_port(), free_port());
        let d = dir.display();
        // The fields rsyslog parsed, separated by `|`, one message per line. imuxsock
        // replaces the sender's timestamp with its own unless told otherwise.
        let conf = format!(
            r#"global(workDirectory="{d}")
module(load="imtcp")
module(load="imudp")
module(load="imuxsock" SysSock.Use="off")
template(name="fields" type="list") {{
  property(name="pri") constant(value="|")
  property(name="timereported" dateFormat="rfc3339") constant(value="|")
  property(name="hostname") constant(value="|")
  property(name="app-name") constant(value="|")
  property(name="procid") constant(value="|")
  property(name="msgid") constant(value="|")
  property(name="structured-data") constant(value="|")
  property(name="msg") constant(value="\n")
}}
ruleset(name="seclog") {{
  action(type="omfile" file="{d}/out.log" template="fields")
}}
input(type="imtcp" port="{tcp}" address="127.0.0.1" ruleset="seclog")
input(type="imudp" port="{udp}" address="127.0.0.1" ruleset="seclog")
input(type="imuxsock" socket="{d}/log.sock" ruleset="seclog" useSpecialParser="off" parseHostname="on" ignoreTimestamp="off")
"#
        );
        std::fs::write(dir.join("rsyslog.conf"), conf).unwrap();
        let child = Command::new("rsyslogd")
            .arg("-n")
            .arg("-f")
            .arg(dir.join("rsyslog.conf"))
            .arg("-i")
            .arg(dir.join("rsyslogd.pid"))
            .stdout(Stdio::null())
            .spawn()
            .expect("rsyslogd is installed (Debian: apt-get install rsyslog)");
        let server = Rsyslog {
            child,
            dir,
            tcp,
            udp,
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        while TcpStream::connect(("127.0.0.1", tcp)).is_err() || !server.socket().exists() {
            assert!(Instant::now() < deadline, "rsyslogd did not start");
            std::thread::sleep(Duration::from_millis(20));
        }
        server
    }

    fn socket(&self) -> PathBuf {
        self.dir.join("log.sock")
    }

    /// Waits until the output file holds `n` lines, and returns them.
    fn lines(&self, n: usize) -> Vec<String> {
        let path: &Path = &self.dir.join("out.log");
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let text = std::fs::read_to_string(path).unwrap_or_default();
            let lines: Vec<String> = text.lines().map(str::to_owned).collect();
            if lines.len() >= n {
                return lines;
            }
            assert!(
                Instant::now() < deadline,
                "rsyslog wrote {} of {n} lines:\n{text}",
                lines.len()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

#[test]
#[ignore = "needs rsyslogd (Debian's rsyslog package); .ci/run installs it and runs this"]
fn rsyslog_parses_our_messages_over_every_transport() {
    let server = Rsyslog::start();
    let records = sample_records();
    let sinks = [
        Syslog::tcp(("127.0.0.1", server.tcp)).unwrap(),
        Syslog::udp(("127.0.0.1", server.udp)).unwrap(),
        Syslog::unix(server.socket()),
    ];
    for sink in &sinks {
        let mut written = 0;
        sink.write_batch(&records, &mut written).unwrap();
        assert_eq!(written, records.len());
        sink.flush().unwrap();
    }

    let expected: Vec<Value> = lines(&records)
        .iter()
        .map(|l| serde_json::from_slice(l).unwrap())
        .collect();
    let got = server.lines(expected.len() * sinks.len());
    // Per transport, in order; the transports themselves may interleave.
    let mut by_record: Vec<Vec<&String>> = vec![Vec::new(); expected.len()];
    for line in &got {
        let fields: Vec<&str> = line.splitn(8, '|').collect();
        assert_eq!(fields.len(), 8, "{line}");
        let [pri, ts, host, app, procid, msgid, sd, msg] = fields[..] else {
            unreachable!()
        };
        let record: Value =
            serde_json::from_str(msg.trim_start_matches('\u{feff}')).expect("the record");
        let i = expected
            .iter()
            .position(|e| *e == record)
            .expect("a record we sent");
        let e = &expected[i];
        let severity = if e["level"] == "INFO" { 6 } else { 4 };
        assert_eq!(pri, (10 * 8 + severity).to_string());
        assert!(e["ts"].as_str().unwrap().starts_with(&ts[..19]), "{ts}");
        assert_eq!(host, e["where"]["host"]);
        assert_eq!(app, e["where"]["service"]);
        assert_eq!(procid, e["where"]["pid"].to_string());
        assert_eq!(msgid, e["event"]);
        // rsyslog parsed our structured data as one element, escapes and all.
        let mut want = Vec::new();
        Syslog::udp("127.0.0.1:9").unwrap().format(
            &[serde_json::to_vec(e).unwrap(), b"\n".to_vec()].concat(),
            &mut want,
        );
        let want = String::from_utf8(want).unwrap();
        let want_sd =
            &want[want.find("[seclog@32473").unwrap()..want.find("] \u{feff}").unwrap() + 1];
        assert_eq!(sd, want_sd);
        by_record[i].push(line);
    }
    assert!(by_record.iter().all(|l| l.len() == sinks.len()), "{got:#?}");
    // The hostile user name stayed inside its parameter.
    assert!(
        got.iter()
            .any(|l| l.contains(r#"user="mallory\"\] [evil@1 x=\"1\"\]\\""#))
    );
}

#[test]
#[ignore = "needs rsyslogd (Debian's rsyslog package); .ci/run installs it and runs this"]
fn rsyslog_gives_receipts() {
    let server = Rsyslog::start();
    let sink = Syslog::tcp(("127.0.0.1", server.tcp))
        .unwrap()
        .receipt_every(Duration::ZERO);
    let records = sample_records();
    let n = lines(&records).len();
    let mut reports = Vec::new();
    for pause in [200, 1100, 1100] {
        let ((), captured) = testing::capture(|| {
            let mut written = 0;
            sink.write_batch(&records, &mut written).unwrap();
            assert_eq!(written, records.len());
        });
        reports.extend(captured);
        std::thread::sleep(Duration::from_millis(pause));
    }
    // rsyslog closes each connection once it has read it to the end, and resets none.
    assert!(reports.is_empty(), "{reports:#?}");
    assert_eq!(server.lines(3 * n).len(), 3 * n);
}

#[test]
fn syslog_sinks_hold_records_while_the_server_is_down() {
    // A TCP server that is not there: an error, nothing counted as written.
    let port = free_port();
    let sink = Syslog::tcp(("127.0.0.1", port)).unwrap();
    let records = sample_records();
    let mut written = 0;
    assert!(sink.write_batch(&records, &mut written).is_err());
    assert_eq!(written, 0);

    // It comes up: the same batch goes through on a new connection.
    let listener = TcpListener::bind(("127.0.0.1", port)).unwrap();
    let (tx, rx) = mpsc::channel();
    let n = lines(&records).len();
    std::thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        tx.send(read_frames(&stream, |r| r.len() == n)).unwrap();
    });
    sink.write_batch(&records, &mut written).unwrap();
    assert_eq!(written, records.len());
    let got = rx.recv_timeout(Duration::from_secs(30)).unwrap();
    assert_eq!(got.len(), n);
}
