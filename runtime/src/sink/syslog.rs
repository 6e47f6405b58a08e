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

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs, UdpSocket};
use std::os::unix::net::UnixDatagram;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use serde_json::Value;

use super::Sink;

/// How long connecting to, or writing to, a TCP server may take before it counts as down.
const TCP_TIMEOUT: Duration = Duration::from_secs(1);
/// The largest UDP message sent; a longer one is cut (RFC 5426 lets receivers do the same).
const MAX_DATAGRAM: usize = 65_000;

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
    Tcp {
        addrs: Vec<SocketAddr>,
        stream: Option<TcpStream>,
    },
    Unix {
        path: PathBuf,
        socket: Option<UnixDatagram>,
    },
}

/// Sends records to a syslog server as RFC 5424 messages. See the [module docs](self) for
/// the message layout.
///
/// Connections are made when the first record is sent, and again after a failure: a server
/// that is down at start-up, or restarts, costs no records (the writer holds them and
/// retries; see [`crate::delivery`]).
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
            Transport::Tcp {
                addrs,
                stream: None,
            },
            name,
        ))
    }

    /// To a Unix datagram socket, such as `/dev/log`.
    pub fn unix(path: impl AsRef<Path>) -> Self {
        let path = path.as_ref().to_path_buf();
        let name = format!("syslog+unix://{}", path.display());
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

    /// Appends the RFC 5424 message for one record (without its newline) to `out`.
    pub fn format(&self, record: &[u8], out: &mut Vec<u8>) {
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
        if let Some(seq) = v.pointer("/seq").and_then(Value::as_u64) {
            sd_param("seq", itoa::Buffer::new().format(seq), out);
        }
        out.extend_from_slice("] \u{feff}".as_bytes());
        out.extend_from_slice(record.strip_suffix(b"\n").unwrap_or(record));
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

impl Transport {
    /// Sends each message of `messages` (given with the length of the record it came from),
    /// advancing `written` past each record the transport accepted.
    fn send(&mut self, messages: &[(Vec<u8>, usize)], written: &mut usize) -> io::Result<()> {
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
                for (msg, len) in messages {
                    if let Err(e) = sock.send(&msg[..msg.len().min(MAX_DATAGRAM)]) {
                        *socket = None;
                        return Err(e);
                    }
                    *written += len;
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
                for (msg, len) in messages {
                    if let Err(e) = sock.send(msg) {
                        *socket = None;
                        return Err(e);
                    }
                    *written += len;
                }
                Ok(())
            }
            Transport::Tcp { addrs, stream } => {
                if stream.as_ref().is_some_and(|s| !alive(s)) {
                    *stream = None;
                }
                let conn = match stream {
                    Some(s) => s,
                    None => stream.insert(connect(addrs)?),
                };
                // One frame after another into one buffer, sent with as few writes as the
                // socket takes; a record counts as sent once its whole frame is.
                let mut frames = Vec::new();
                let mut ends = Vec::with_capacity(messages.len());
                for (msg, len) in messages {
                    frames.extend_from_slice(itoa::Buffer::new().format(msg.len()).as_bytes());
                    frames.push(b' ');
                    frames.extend_from_slice(msg);
                    ends.push((frames.len(), *len));
                }
                let mut sent = 0;
                let mut counted = 0;
                let result = loop {
                    while counted < ends.len() && ends[counted].0 <= sent {
                        *written += ends[counted].1;
                        counted += 1;
                    }
                    if sent == frames.len() {
                        break Ok(());
                    }
                    match conn.write(&frames[sent..]) {
                        Ok(0) => break Err(io::ErrorKind::WriteZero.into()),
                        Ok(n) => sent += n,
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                        Err(e) => break Err(e),
                    }
                };
                if result.is_err() {
                    // A frame cut short is discarded by the server with the connection.
                    *stream = None;
                }
                result
            }
        }
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

/// Whether the server is still there: a syslog server never sends, so anything readable
/// means it closed the connection (or reset it). Checked before each batch, so that records
/// are not written into a connection the server has already left.
fn alive(s: &TcpStream) -> bool {
    if s.set_nonblocking(true).is_err() {
        return false;
    }
    let mut probe = [0u8; 1];
    let alive = match (&*s).read(&mut probe) {
        Err(e) => e.kind() == io::ErrorKind::WouldBlock,
        // Closed (0), or data a syslog server does not send.
        Ok(_) => false,
    };
    alive && s.set_nonblocking(false).is_ok()
}

impl Sink for Syslog {
    fn write(&self, record: &[u8]) -> io::Result<()> {
        self.write_batch(record, &mut 0)
    }

    fn write_batch(&self, records: &[u8], written: &mut usize) -> io::Result<()> {
        let messages: Vec<(Vec<u8>, usize)> = records
            .split_inclusive(|&b| b == b'\n')
            .map(|record| {
                let mut msg = Vec::with_capacity(record.len() + 160);
                self.format(record, &mut msg);
                (msg, record.len())
            })
            .collect();
        self.transport
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .send(&messages, written)
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
}
