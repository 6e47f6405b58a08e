//! The syslog sink: RFC 5424 messages over UDP, TCP (octet counting) and a Unix socket, a TCP
//! server that goes away and comes back, and a real rsyslog parsing what we send.
//!
//! The rsyslog test needs `rsyslogd` (Debian's `rsyslog` package) and is marked `#[ignore]`;
//! `.ci/run` installs rsyslog and runs it with `--ignored`.

mod common;

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Read};
use std::net::{TcpListener, TcpStream, UdpSocket};
use std::os::unix::net::UnixDatagram;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
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
    assert_eq!(
        stderr_lines(&out, "syslog+tcp://127.0.0.1"),
        2,
        "failure and recovery"
    );
    assert_eq!(stderr_lines(&out, "failed to write"), 1);
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
        let dir = std::env::temp_dir().join(format!("seclog-rsyslog-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let (tcp, udp) = (free_port(), free_port());
        let d = dir.display();
        // The fields rsyslog parsed, separated by `|`, one message per line.
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
input(type="imuxsock" socket="{d}/log.sock" ruleset="seclog" useSpecialParser="off" parseHostname="on")
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
