//! RFC 5424 syslog over UDP, TCP (RFC 6587 octet counting) or a Unix datagram socket.
//!
//! Each record becomes one message:
//!
//! ```text
//! <PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID [seclog@32473 event=".." outcome=".." ..] BOM{json record}
//! ```
//!
//! PRI is the facility with the severity of the record's level (CRITICAL 2, ERROR 3, WARN 4,
//! INFO 6, DEBUG and TRACE 7); TIMESTAMP the record's `ts` (to the microsecond, RFC 5424's
//! limit); HOSTNAME, APP-NAME and PROCID come from `where` (`host`, `service`, `pid`), MSGID
//! is the event. The structured data repeats what a syslog filter wants to match on, escaped
//! as RFC 5424 section 6.3.3 says; the message is the whole JSON record, UTF-8 with its BOM.
//! `32473` is the private enterprise number RFC 5612 reserves for documentation.
//!
//! A sink is made in code ([`Syslog::tcp`], [`Syslog::udp`], [`Syslog::unix`]) or from a URL
//! (`"syslog+tcp://logs.internal:601".parse::<Syslog>()`, see [`Syslog::from_str`]), which is
//! how `SECLOG_OUTPUT` ships an unmodified binary's records to a central collector.
//!
//! # What reaches the collector
//!
//! A record the sink refuses (the collector is down, a write fails part-way through a frame)
//! is held by the writer and offered again, so it is never lost for that reason (see
//! [`crate::delivery`]). What a transport cannot tell is whether a record it *accepted*
//! arrived.
//!
//! **TCP.** Plain syslog over TCP has no acknowledgement of its own. A write that succeeds
//! only means the bytes are in this host's kernel; the collector's TCP acknowledging them
//! only means they reached its kernel; a collector that stops discards what it had not read
//! yet, and the writes made just after it left usually succeed too (the kernel buffers them)
//! until one fails. So the sink:
//!
//! - checks the connection before each batch (a non-blocking read: a syslog server never
//!   sends, so an end of stream or an error means it has gone) and never writes into one
//!   known to be closed;
//! - counts every record written on a connection as unconfirmed until the connection ends
//!   with a *receipt*: the collector closing its side cleanly (FIN, no reset) after the
//!   sink stopped writing, or closing it first while the sink was not writing. A TCP stack
//!   that closes a socket with data still unread resets the connection instead (RFC 1122
//!   section 4.2.2.13; Linux, the BSDs, macOS and Windows do), and one that receives data
//!   after it closed answers with a reset too, so a clean close not followed by a reset
//!   within a second means the collector read everything written on that connection;
//! - asks for a receipt every [`receipt_every`](Syslog::receipt_every) (10 s by default):
//!   after a batch, it ends its side of the connection (`shutdown(Write)`) and goes on over a
//!   new one; a collector closes a connection whose client has finished once it has read it
//!   to the end (rsyslog does, as TCP servers generally do);
//! - when a connection ends without a receipt (a write fails, the collector resets it or
//!   closes it and then resets it, no receipt within 30 s), reports the
//!   records written on it, on stderr and in a mandatory record the writer sends over the
//!   next connection:
//!
//! ```json
//! {"ts":"2026-11-23T11:22:40.818760Z","seq":88540,"event":"sys_monitor_disabled","level":"WARN",
//!   "outcome":"success",...,"fields":{
//!   "reason":"connection_lost","sink":"syslog+tcp://10.0.0.5:601",
//!   "error":"Connection reset by peer (os error 104)",
//!   "maybe_lost":412,"maybe_lost_from_seq":88120,"maybe_lost_to_seq":88531,
//!   "since":"2026-11-23T11:22:30.002151Z","until":"2026-11-23T11:22:40.818754Z"}}
//! ```
//!
//! `maybe_lost` records with a `seq` from `maybe_lost_from_seq` to `maybe_lost_to_seq` were
//! written on that connection, the first at `since`; the failure was seen at `until`. Some
//! of them may well have arrived; the verifier's `missing` ranges say which did not.
//!
//! The guarantee, with TCP: every record the sink accepted is either read by the collector
//! or inside a reported `maybe_lost` range. A report is a record like any other, written on
//! the next connection: if that one fails in turn, the next report covers it. What goes
//! unreported is the records whose connection is not settled when the process ends (the
//! connection in use, and one ended less than a second, or while waiting for its receipt up
//! to 30 s, before): if they are lost, the verifier shows them `missing`, or the chain
//! `open` when `sys_shutdown` is among them. The receipt rests on the TCP behaviour above
//! (a reset for unread or late data, arriving within the second); "read" means the
//! collector's `recv` returned the bytes: what it does with them next (its queues, its disk)
//! is its own guarantee, and a protocol with application acknowledgements (RELP) is what
//! would close that gap. A connection a middlebox resets (an idle timeout) is reported too:
//! its records are *maybe* lost.
//!
//! **UDP.** A datagram is sent or not; nothing tells whether it arrived. Datagrams can be
//! lost without any report (a collector that is down, a full receive buffer, the network):
//! the verifier's `missing` ranges are the report.
//!
//! **Unix socket.** The local kernel refuses a datagram when nobody listens or the reader's
//! buffer is full (the record is then held and retried); a datagram accepted is in the
//! reader's buffer, and a reader that restarts loses what it had not read, unreported: again
//! the verifier's `missing` ranges are the report.

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream, ToSocketAddrs, UdpSocket};
use std::os::unix::net::UnixDatagram;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime};

use seclog_macros::event;
use serde_json::Value;

use super::Sink;

/// How long connecting to, or writing to, a TCP server may take before it counts as down.
const TCP_TIMEOUT: Duration = Duration::from_secs(1);
/// The largest UDP message sent; a longer one is cut (RFC 5426 lets receivers do the same).
const MAX_DATAGRAM: usize = 65_000;
/// How often a TCP connection is ended to get a receipt, unless set otherwise.
const RECEIPT_EVERY: Duration = Duration::from_secs(10);
/// How long the collector may take to close a connection the sink has ended before the
/// records written on it are reported as possibly lost.
const RECEIPT_WAIT: Duration = Duration::from_secs(30);
/// How long after the collector's clean close a reset still counts against it: the reset
/// that answers records which reached a collector after it closed comes back within a round
/// trip; a second covers slow paths and a retransmission.
const SETTLE: Duration = Duration::from_secs(1);
/// At most this many ended connections wait for their receipt: with as many waiting, the
/// sink keeps writing to the one it has (a collector slow to close costs sockets otherwise).
const MAX_WAITING: usize = 16;

/// A syslog facility (RFC 5424 section 6.2.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Facility {
    /// Security/authorization messages (4).
    Auth,
    /// Security/authorization messages, private (10): the default.
    AuthPriv,
    /// System daemons (3).
    Daemon,
    /// User-level messages (1).
    User,
    /// Log audit (13).
    Audit,
    /// Local use 0 to 7 (16 to 23); `Local(n)` with `n` above 7 is `Local(7)`.
    Local(u8),
}

impl Facility {
    fn code(self) -> u8 {
        match self {
            Facility::User => 1,
            Facility::Daemon => 3,
            Facility::Auth => 4,
            Facility::AuthPriv => 10,
            Facility::Audit => 13,
            Facility::Local(n) => 16 + n.min(7),
        }
    }
}

enum Transport {
    Udp {
        addr: SocketAddr,
        socket: Option<UdpSocket>,
    },
    Tcp(Tcp),
    Unix {
        path: PathBuf,
        socket: Option<UnixDatagram>,
    },
}

/// Sends records to a syslog server as RFC 5424 messages. See the [module docs](self) for
/// the message layout and what reaches the server.
///
/// Connections are made when the first record is sent, and again after a failure: a server
/// that is down at start-up, or restarts, costs no records the sink refused (the writer holds
/// them and retries; see [`crate::delivery`]); over TCP, records it had accepted on a
/// connection that then failed are reported as possibly lost.
///
/// ```no_run
/// use seclog::sink::syslog::{Facility, Syslog};
///
/// let _guard = seclog::builder()
///     .service("shop", "0.3.1")
///     .sink(Syslog::tcp("logs.internal:601")?.facility(Facility::Auth))
///     .install()
///     .expect("installed once");
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct Syslog {
    transport: Mutex<Transport>,
    facility: Facility,
    app_name: Option<String>,
    name: String,
}

impl std::fmt::Debug for Syslog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Syslog")
            .field("to", &self.name)
            .field("facility", &self.facility)
            .field("app_name", &self.app_name)
            .finish()
    }
}

impl Syslog {
    fn new(transport: Transport, name: String) -> Self {
        Syslog {
            transport: Mutex::new(transport),
            facility: Facility::AuthPriv,
            app_name: None,
            name,
        }
    }

    /// Over UDP (RFC 5426), one datagram per record. Fails if `addr` does not resolve.
    pub fn udp(addr: impl ToSocketAddrs) -> io::Result<Self> {
        let addr = resolve(addr)?.remove(0);
        Ok(Syslog::new(
            Transport::Udp { addr, socket: None },
            format!("syslog+udp://{addr}"),
        ))
    }

    /// Over TCP with octet-counting framing (RFC 6587 section 3.4.1). Fails if `addr` does
    /// not resolve; the server need not be up yet.
    pub fn tcp(addr: impl ToSocketAddrs) -> io::Result<Self> {
        let addrs = resolve(addr)?;
        let name = format!("syslog+tcp://{}", addrs[0]);
        Ok(Syslog::new(
            Transport::Tcp(Tcp {
                addrs,
                conn: None,
                ended: Vec::new(),
                receipt_every: RECEIPT_EVERY,
            }),
            name,
        ))
    }

    /// To a Unix datagram socket, such as `/dev/log`.
    pub fn unix(path: impl AsRef<Path>) -> Self {
        let path = path.as_ref().to_path_buf();
        let name = format!("syslog+unix:{}", path.display());
        Syslog::new(Transport::Unix { path, socket: None }, name)
    }

    /// The facility of every message. Default: [`Facility::AuthPriv`].
    pub fn facility(mut self, facility: Facility) -> Self {
        self.facility = facility;
        self
    }

    /// The APP-NAME of every message. Default: the record's `where.service`.
    pub fn app_name(mut self, name: impl Into<String>) -> Self {
        self.app_name = Some(name.into());
        self
    }

    /// Over TCP, how long a connection is used before the sink ends it to get the
    /// collector's receipt for the records written on it (see the [module docs](self)):
    /// the most a collector's restart can leave in doubt, and how often the collector sees
    /// a new connection. Default: 10 s; `Duration::MAX` never asks (a connection's records
    /// then stay unconfirmed for as long as it lives). No effect on UDP and Unix sockets.
    pub fn receipt_every(mut self, interval: Duration) -> Self {
        let transport = self
            .transport
            .get_mut()
            .unwrap_or_else(PoisonError::into_inner);
        if let Transport::Tcp(tcp) = transport {
            tcp.receipt_every = interval;
        }
        self
    }

    /// Appends the RFC 5424 message for one record (without its newline) to `out`.
    pub fn format(&self, record: &[u8], out: &mut Vec<u8>) {
        self.message(record, out);
    }

    /// [`format`](Self::format), returning the record's `seq` if it has one.
    fn message(&self, record: &[u8], out: &mut Vec<u8>) -> Option<u64> {
        let v: Value = serde_json::from_slice(record).unwrap_or(Value::Null);
        let s = |ptr: &str| v.pointer(ptr).and_then(Value::as_str);
        let severity = match s("/level") {
            Some("CRITICAL") => 2,
            Some("ERROR") => 3,
            Some("WARN") => 4,
            Some("INFO") => 6,
            _ => 7,
        };
        let pri = u16::from(self.facility.code()) * 8 + severity;
        out.push(b'<');
        out.extend_from_slice(itoa::Buffer::new().format(pri).as_bytes());
        out.extend_from_slice(b">1 ");
        match s("/ts") {
            Some(ts) => timestamp(ts, out),
            None => out.push(b'-'),
        }
        out.push(b' ');
        header_field(s("/where/host"), 255, out);
        out.push(b' ');
        header_field(self.app_name.as_deref().or(s("/where/service")), 48, out);
        out.push(b' ');
        match v.pointer("/where/pid").and_then(Value::as_u64) {
            Some(pid) => out.extend_from_slice(itoa::Buffer::new().format(pid).as_bytes()),
            None => out.push(b'-'),
        }
        out.push(b' ');
        header_field(s("/event"), 32, out);
        out.extend_from_slice(b" [seclog@32473");
        for (name, ptr) in [
            ("event", "/event"),
            ("outcome", "/outcome"),
            ("level", "/level"),
            ("user", "/who/user"),
            ("ip", "/who/ip"),
        ] {
            if let Some(value) = s(ptr) {
                sd_param(name, value, out);
            }
        }
        // Where seclog's record has it, else where the ECS record does.
        let seq = seq_of(record).or_else(|| {
            v.pointer("/seq")
                .or_else(|| v.pointer("/event/sequence"))
                .and_then(Value::as_u64)
        });
        if let Some(seq) = seq {
            sd_param("seq", itoa::Buffer::new().format(seq), out);
        }
        out.extend_from_slice("] \u{feff}".as_bytes());
        out.extend_from_slice(record.strip_suffix(b"\n").unwrap_or(record));
        seq
    }

    /// Reports, on stderr and as a mandatory record, the records of a connection that ended
    /// without a receipt. Called without the transport's lock: the record goes through the
    /// queue and, in time, through this sink.
    fn report(&self, lost: Lost) {
        let Lost { span, error } = lost;
        let until = SystemTime::now();
        let range = match (span.first, span.last) {
            (Some(a), Some(b)) => format!("seq {a} to {b}"),
            _ => "without seq".to_owned(),
        };
        eprintln!(
            "seclog: the connection to {} ended without a receipt ({error}); {} records written on it ({range}) may not have reached the collector",
            self.name, span.records
        );
        let since = span.since.unwrap_or(until);
        event!(
            crate = crate,
            mandatory,
            "sys_monitor_disabled",
            reason = "connection_lost",
            sink = self.name.clone(),
            error = error,
            maybe_lost = span.records,
            maybe_lost_from_seq = span.first,
            maybe_lost_to_seq = span.last,
            since = crate::record::time::rfc3339(since),
            until = crate::record::time::rfc3339(until)
        );
    }
}

/// A URL, as `SECLOG_OUTPUT` takes it:
///
/// | URL | sink |
/// |---|---|
/// | `syslog+tcp://HOST:PORT` | [`Syslog::tcp`] |
/// | `syslog+udp://HOST:PORT` | [`Syslog::udp`] |
/// | `syslog+unix:PATH` (also `syslog+unix:///abs/path`) | [`Syslog::unix`] |
///
/// HOST is a name, an IPv4 address or an IPv6 address in brackets (`[::1]`); it is resolved
/// now, as by [`Syslog::tcp`]. The error says what was expected.
///
/// ```
/// use seclog::sink::syslog::Syslog;
/// use seclog::Sink;
///
/// let sink: Syslog = "syslog+tcp://127.0.0.1:601".parse()?;
/// assert_eq!(sink.name(), "syslog+tcp://127.0.0.1:601");
/// let err = "syslog+tcp://127.0.0.1".parse::<Syslog>().unwrap_err();
/// assert_eq!(err, "no port in \"127.0.0.1\": expected syslog+tcp://HOST:PORT");
/// # Ok::<(), String>(())
/// ```
impl FromStr for Syslog {
    type Err = String;

    fn from_str(url: &str) -> Result<Self, String> {
        if let Some(rest) = url.strip_prefix("syslog+tcp://") {
            let (host, port) = host_port(rest, "syslog+tcp://HOST:PORT")?;
            return Syslog::tcp((host, port)).map_err(|e| format!("cannot resolve {host}: {e}"));
        }
        if let Some(rest) = url.strip_prefix("syslog+udp://") {
            let (host, port) = host_port(rest, "syslog+udp://HOST:PORT")?;
            return Syslog::udp((host, port)).map_err(|e| format!("cannot resolve {host}: {e}"));
        }
        if let Some(path) = url.strip_prefix("syslog+unix:") {
            // `syslog+unix:///dev/log`, as a URL with an empty authority, is `/dev/log` too.
            let path = path
                .strip_prefix("//")
                .filter(|p| p.starts_with('/'))
                .unwrap_or(path);
            if path.is_empty() {
                return Err(
                    "no path: expected syslog+unix:PATH, as in syslog+unix:/dev/log".into(),
                );
            }
            return Ok(Syslog::unix(path));
        }
        const EXPECTED: &str =
            "expected syslog+tcp://HOST:PORT, syslog+udp://HOST:PORT or syslog+unix:PATH";
        let scheme = url.split_once(':').map_or(url, |(scheme, _)| scheme);
        Err(match scheme.strip_prefix("syslog+") {
            Some(t @ ("tcp" | "udp")) => format!("expected syslog+{t}://HOST:PORT"),
            Some(transport) => format!("unknown transport \"{transport}\": {EXPECTED}"),
            None => EXPECTED.to_owned(),
        })
    }
}

/// `HOST:PORT` or `[IPv6]:PORT`, with nothing after the port.
fn host_port<'a>(rest: &'a str, form: &str) -> Result<(&'a str, u16), String> {
    let (host, port) = match rest.strip_prefix('[') {
        Some(bracketed) => {
            let (host, after) = bracketed
                .split_once(']')
                .ok_or_else(|| format!("no \"]\" after the IPv6 address: expected {form}"))?;
            let port = after
                .strip_prefix(':')
                .ok_or_else(|| format!("no port after [{host}]: expected {form}"))?;
            (host, port)
        }
        None => {
            let (host, port) = rest
                .rsplit_once(':')
                .ok_or_else(|| format!("no port in \"{rest}\": expected {form}"))?;
            if host.contains(':') {
                return Err(format!(
                    "an IPv6 address goes in brackets, as in [::1]: expected {form}"
                ));
            }
            (host, port)
        }
    };
    if host.is_empty() {
        return Err(format!("no host: expected {form}"));
    }
    if host.contains(['/', '?', '#', '@']) {
        return Err(format!(
            "\"{host}\" is not a host name or address: expected {form}"
        ));
    }
    match port.parse::<u16>() {
        Ok(p) if p > 0 && port.bytes().all(|b| b.is_ascii_digit()) => Ok((host, p)),
        _ => Err(format!(
            "bad port \"{port}\" (a number from 1 to 65535, with nothing after it): expected {form}"
        )),
    }
}

fn resolve(addr: impl ToSocketAddrs) -> io::Result<Vec<SocketAddr>> {
    let addrs: Vec<SocketAddr> = addr.to_socket_addrs()?.collect();
    if addrs.is_empty() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "the address resolves to nothing",
        ));
    }
    Ok(addrs)
}

/// The `seq` of a record as seclog writes it, `{"ts":"...","seq":N,...`, read from its first
/// bytes; `None` for any other layout.
fn seq_of(record: &[u8]) -> Option<u64> {
    let rest = record.strip_prefix(b"{\"ts\":\"")?;
    // A timestamp has no quote or backslash in it.
    let end = memchr::memchr(b'"', rest)?;
    let rest = rest[end..].strip_prefix(b"\",\"seq\":")?;
    let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
    if digits == 0 || digits > 20 {
        return None;
    }
    std::str::from_utf8(&rest[..digits]).ok()?.parse().ok()
}

/// `2026-11-23T11:22:40.818754244Z` → `2026-11-23T11:22:40.818754Z`: RFC 5424 allows six
/// fractional digits.
fn timestamp(ts: &str, out: &mut Vec<u8>) {
    let printable = |t: &str| t.bytes().all(|b| b.is_ascii_graphic());
    match ts.split_once('.') {
        Some((secs, frac)) if printable(ts) => {
            let digits: String = frac
                .chars()
                .take_while(char::is_ascii_digit)
                .take(6)
                .collect();
            let zone = frac.trim_start_matches(|c: char| c.is_ascii_digit());
            out.extend_from_slice(secs.as_bytes());
            if !digits.is_empty() {
                out.push(b'.');
                out.extend_from_slice(digits.as_bytes());
            }
            out.extend_from_slice(zone.as_bytes());
        }
        _ if !ts.is_empty() && printable(ts) => out.extend_from_slice(ts.as_bytes()),
        _ => out.push(b'-'),
    }
}

/// A header field: printable US-ASCII without spaces, at most `max` characters; anything
/// else is replaced by `_`, and an empty value is the nil value `-`.
fn header_field(value: Option<&str>, max: usize, out: &mut Vec<u8>) {
    let value = value.unwrap_or("");
    if value.is_empty() {
        out.push(b'-');
        return;
    }
    for c in value.chars().take(max) {
        out.push(if c.is_ascii_graphic() { c as u8 } else { b'_' });
    }
}

/// ` name="value"` with `"`, `\` and `]` escaped (RFC 5424 section 6.3.3).
fn sd_param(name: &str, value: &str, out: &mut Vec<u8>) {
    out.push(b' ');
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(b"=\"");
    for b in value.bytes() {
        if matches!(b, b'"' | b'\\' | b']') {
            out.push(b'\\');
        }
        out.push(b);
    }
    out.push(b'"');
}

/// One message to send: its RFC 5424 bytes, the length of the record it came from, and the
/// record's `seq`.
struct Message {
    bytes: Vec<u8>,
    len: usize,
    seq: Option<u64>,
}

/// The records written on one TCP connection.
#[derive(Debug, Default, Clone, Copy)]
struct Span {
    records: u64,
    first: Option<u64>,
    last: Option<u64>,
    /// When the first was written.
    since: Option<SystemTime>,
}

impl Span {
    fn add(&mut self, seq: Option<u64>) {
        self.records += 1;
        self.since.get_or_insert_with(SystemTime::now);
        if let Some(seq) = seq {
            self.first = Some(self.first.map_or(seq, |f| f.min(seq)));
            self.last = Some(self.last.map_or(seq, |l| l.max(seq)));
        }
    }
}

/// The records of a connection that ended without a receipt, and why it did.
struct Lost {
    span: Span,
    error: String,
}

/// Syslog over TCP: the connection written to, and the connections ended that wait for
/// their receipt.
struct Tcp {
    addrs: Vec<SocketAddr>,
    conn: Option<Conn>,
    ended: Vec<Ended>,
    receipt_every: Duration,
}

struct Conn {
    stream: TcpStream,
    opened: Instant,
    span: Span,
}

/// A connection no longer written to; its records wait for the collector's clean close.
struct Ended {
    /// Non-blocking.
    stream: TcpStream,
    span: Span,
    /// When the sink stopped writing to it.
    at: Instant,
    /// When the collector's end of stream was first seen.
    closed: Option<Instant>,
}

/// What a look at a connection's incoming side says.
enum Health {
    Open,
    /// The collector closed its side (end of stream).
    Closed,
    Failed(String),
}

/// What an ended connection's records have come to.
enum Receipt {
    Pending,
    Received,
    Missing(String),
}

impl Transport {
    /// Sends each message of `messages`, advancing `written` past each record the transport
    /// accepted. Connections that ended without a receipt go to `lost`.
    fn send(
        &mut self,
        messages: &[Message],
        written: &mut usize,
        lost: &mut Vec<Lost>,
    ) -> io::Result<()> {
        match self {
            Transport::Udp { addr, socket } => {
                let sock = match socket {
                    Some(s) => s,
                    None => {
                        let local: SocketAddr = if addr.is_ipv4() {
                            ([0, 0, 0, 0], 0).into()
                        } else {
                            (std::net::Ipv6Addr::UNSPECIFIED, 0).into()
                        };
                        let s = UdpSocket::bind(local)?;
                        s.connect(*addr)?;
                        socket.insert(s)
                    }
                };
                for msg in messages {
                    if let Err(e) = sock.send(&msg.bytes[..msg.bytes.len().min(MAX_DATAGRAM)]) {
                        *socket = None;
                        return Err(e);
                    }
                    *written += msg.len;
                }
                Ok(())
            }
            Transport::Unix { path, socket } => {
                let sock = match socket {
                    Some(s) => s,
                    None => {
                        let s = UnixDatagram::unbound()?;
                        s.connect(&*path)?;
                        socket.insert(s)
                    }
                };
                for msg in messages {
                    if let Err(e) = sock.send(&msg.bytes) {
                        *socket = None;
                        return Err(e);
                    }
                    *written += msg.len;
                }
                Ok(())
            }
            Transport::Tcp(tcp) => tcp.send(messages, written, lost),
        }
    }
}

impl Tcp {
    fn send(
        &mut self,
        messages: &[Message],
        written: &mut usize,
        lost: &mut Vec<Lost>,
    ) -> io::Result<()> {
        self.settle(lost);
        // Nothing is written into a connection the collector has left.
        if let Some(conn) = self.conn.take() {
            match health(&conn.stream) {
                Health::Open => self.conn = Some(conn),
                // What it read before closing it has: the receipt decides.
                Health::Closed => self.end(conn, Some(Instant::now()), lost),
                Health::Failed(error) => lost.push(Lost {
                    span: conn.span,
                    error,
                }),
            }
        }
        let conn = match &mut self.conn {
            Some(c) => c,
            None => self.conn.insert(Conn {
                stream: connect(&self.addrs)?,
                opened: Instant::now(),
                span: Span::default(),
            }),
        };
        // One frame after another into one buffer, sent with as few writes as the socket
        // takes; a record counts as sent once its whole frame is.
        let mut frames = Vec::new();
        let mut ends = Vec::with_capacity(messages.len());
        for msg in messages {
            frames.extend_from_slice(itoa::Buffer::new().format(msg.bytes.len()).as_bytes());
            frames.push(b' ');
            frames.extend_from_slice(&msg.bytes);
            ends.push((frames.len(), msg.len, msg.seq));
        }
        let mut sent = 0;
        let mut counted = 0;
        let result = loop {
            while counted < ends.len() && ends[counted].0 <= sent {
                *written += ends[counted].1;
                conn.span.add(ends[counted].2);
                counted += 1;
            }
            if sent == frames.len() {
                break Ok(());
            }
            match conn.stream.write(&frames[sent..]) {
                Ok(0) => break Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => sent += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => break Err(e),
            }
        };
        match result {
            Ok(()) => {
                if conn.opened.elapsed() >= self.receipt_every && self.ended.len() < MAX_WAITING {
                    let conn = self.conn.take().expect("written to just now");
                    self.end(conn, None, lost);
                }
                Ok(())
            }
            Err(e) => {
                // A frame cut short is discarded by the server with the connection; the
                // records before it may or may not have been read.
                let error = failure(&conn.stream, &e);
                let span = conn.span;
                self.conn = None;
                lost.push(Lost { span, error });
                Err(e)
            }
        }
    }

    /// Stops writing to `conn`, ending the sink's side of it (the collector closing its own
    /// then is the receipt), unless the collector closed it first (`closed`).
    fn end(&mut self, conn: Conn, closed: Option<Instant>, lost: &mut Vec<Lost>) {
        if conn.span.records == 0 {
            return;
        }
        let ended = conn
            .stream
            .shutdown(Shutdown::Write)
            .and_then(|()| conn.stream.set_nonblocking(true));
        match ended {
            Ok(()) => self.ended.push(Ended {
                stream: conn.stream,
                span: conn.span,
                at: Instant::now(),
                closed,
            }),
            Err(e) => lost.push(Lost {
                span: conn.span,
                error: failure(&conn.stream, &e),
            }),
        }
    }

    /// Settles the connections ended that have their receipt, or will not get one.
    fn settle(&mut self, lost: &mut Vec<Lost>) {
        if self.ended.is_empty() {
            return;
        }
        let now = Instant::now();
        self.ended.retain_mut(|e| match receipt(e, now) {
            Receipt::Pending => true,
            Receipt::Received => false,
            Receipt::Missing(error) => {
                lost.push(Lost {
                    span: e.span,
                    error,
                });
                false
            }
        });
    }
}

/// An ended connection's receipt: the collector's end of stream, with no reset for
/// [`SETTLE`] after it.
fn receipt(e: &mut Ended, now: Instant) -> Receipt {
    let mut buf = [0u8; 512];
    // A syslog server sends nothing; whatever it did send is read past, a little at a time.
    for _ in 0..8 {
        match (&e.stream).read(&mut buf) {
            Ok(0) => {
                e.closed.get_or_insert(now);
                break;
            }
            Ok(_) => {}
            Err(err) if err.kind() == io::ErrorKind::WouldBlock => break,
            Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
            Err(err) => return Receipt::Missing(failure(&e.stream, &err)),
        }
    }
    // After an end of stream, reads say nothing more: a reset shows as the socket's error.
    if let Ok(Some(err)) = e.stream.take_error() {
        return Receipt::Missing(format!(
            "the collector closed the connection, then reset it: {err}"
        ));
    }
    match e.closed {
        Some(at) if now.duration_since(at) >= SETTLE => Receipt::Received,
        Some(_) => Receipt::Pending,
        None if now.duration_since(e.at) >= RECEIPT_WAIT => Receipt::Missing(format!(
            "no receipt from the collector within {} s",
            RECEIPT_WAIT.as_secs()
        )),
        None => Receipt::Pending,
    }
}

/// The error to report for `e` on `stream`: the socket's own error (a reset) when it has one.
fn failure(stream: &TcpStream, e: &io::Error) -> String {
    match stream.take_error() {
        Ok(Some(err)) => err.to_string(),
        _ => e.to_string(),
    }
}

fn connect(addrs: &[SocketAddr]) -> io::Result<TcpStream> {
    let mut last = None;
    for addr in addrs {
        match TcpStream::connect_timeout(addr, TCP_TIMEOUT) {
            Ok(s) => {
                s.set_write_timeout(Some(TCP_TIMEOUT))?;
                s.set_nodelay(true)?;
                return Ok(s);
            }
            Err(e) => last = Some(e),
        }
    }
    Err(last.unwrap_or_else(|| io::ErrorKind::AddrNotAvailable.into()))
}

/// Whether the server is still there, by a non-blocking read: a syslog server never sends,
/// so anything readable means it closed the connection (or reset it). Checked before each
/// batch, so that records are not written into a connection the server has already left.
fn health(s: &TcpStream) -> Health {
    if let Err(e) = s.set_nonblocking(true) {
        return Health::Failed(e.to_string());
    }
    let mut probe = [0u8; 1];
    let health = match (&*s).read(&mut probe) {
        Err(e)
            if matches!(
                e.kind(),
                io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted
            ) =>
        {
            Health::Open
        }
        Err(e) => Health::Failed(e.to_string()),
        Ok(0) => Health::Closed,
        Ok(_) => Health::Failed("the collector sent data; a syslog server sends none".into()),
    };
    match health {
        Health::Open => match s.set_nonblocking(false) {
            Ok(()) => Health::Open,
            Err(e) => Health::Failed(e.to_string()),
        },
        other => other,
    }
}

impl Sink for Syslog {
    fn write(&self, record: &[u8]) -> io::Result<()> {
        self.write_batch(record, &mut 0)
    }

    fn write_batch(&self, records: &[u8], written: &mut usize) -> io::Result<()> {
        let messages: Vec<Message> = records
            .split_inclusive(|&b| b == b'\n')
            .map(|record| {
                let mut bytes = Vec::with_capacity(record.len() + 160);
                let seq = self.message(record, &mut bytes);
                Message {
                    bytes,
                    len: record.len(),
                    seq,
                }
            })
            .collect();
        let mut lost = Vec::new();
        let result = self
            .transport
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .send(&messages, written, &mut lost);
        for lost in lost {
            self.report(lost);
        }
        result
    }

    fn name(&self) -> String {
        self.name.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RECORD: &[u8] = br#"{"ts":"2026-11-23T11:22:40.818754244Z","seq":42,"event":"authn_login_fail","level":"WARN","outcome":"failure","duration_ns":5,"where":{"service":"shop api","version":"1","host":"web-1","pid":311,"fn":"shop::login","file":"src/a.rs","line":1},"who":{"user":"ali\"ce]\\","ip":"203.0.113.7"}}
"#;

    #[test]
    fn formats_rfc5424() {
        let sink = Syslog::unix("/nonexistent").facility(Facility::Auth);
        let mut out = Vec::new();
        sink.format(RECORD, &mut out);
        let text = String::from_utf8(out).unwrap();
        let json = std::str::from_utf8(RECORD).unwrap().trim_end();
        assert_eq!(
            text,
            format!(
                "<36>1 2026-11-23T11:22:40.818754Z web-1 shop_api 311 authn_login_fail \
                 [seclog@32473 event=\"authn_login_fail\" outcome=\"failure\" level=\"WARN\" \
                 user=\"ali\\\"ce\\]\\\\\" ip=\"203.0.113.7\" seq=\"42\"] \u{feff}{json}"
            )
        );
    }

    #[test]
    fn severity_follows_the_level_and_bad_input_gives_nil_values() {
        let sink = Syslog::unix("/nonexistent").app_name("audit");
        for (level, pri) in [
            ("CRITICAL", 82),
            ("ERROR", 83),
            ("WARN", 84),
            ("INFO", 86),
            ("DEBUG", 87),
            ("TRACE", 87),
        ] {
            let mut out = Vec::new();
            sink.format(format!("{{\"level\":\"{level}\"}}\n").as_bytes(), &mut out);
            let text = String::from_utf8(out).unwrap();
            assert!(
                text.starts_with(&format!("<{pri}>1 - - audit - - [seclog@32473 level=")),
                "{text}"
            );
        }
        let mut out = Vec::new();
        sink.format(b"not json\n", &mut out);
        assert_eq!(
            out,
            "<87>1 - - audit - - [seclog@32473] \u{feff}not json".as_bytes()
        );
    }
    #[test]
    fn reads_the_seq_from_the_first_bytes() {
        assert_eq!(seq_of(RECORD), Some(42));
        assert_eq!(
            seq_of(br#"{"ts":"t","seq":18446744073709551615,"event":"x"}"#),
            Some(u64::MAX)
        );
        for other in [
            &br#"{"seq":1,"ts":"t"}"#[..],
            br#"{"ts":"t","seq":,"#,
            br#"{"ts":"t","seq":99999999999999999999999,"#,
            br#"{"ts":"t""#,
            b"",
        ] {
            assert_eq!(seq_of(other), None, "{}", String::from_utf8_lossy(other));
        }
        // An ECS record has it as event.sequence: the structured data carries it all the same.
        let mut out = Vec::new();
        let seq = Syslog::unix("/nonexistent").message(
            br#"{"@timestamp":"t","event":{"action":"x","sequence":7}}"#,
            &mut out,
        );
        assert_eq!(seq, Some(7));
        assert!(String::from_utf8(out).unwrap().contains(" seq=\"7\"]"));
    }

    #[test]
    fn spans_keep_the_seq_range_and_count() {
        let mut span = Span::default();
        for seq in [Some(5), None, Some(3), Some(9)] {
            span.add(seq);
        }
        assert_eq!((span.records, span.first, span.last), (4, Some(3), Some(9)));
        assert!(span.since.is_some());
    }
}
