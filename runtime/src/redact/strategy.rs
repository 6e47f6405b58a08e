//! Redaction strategies: partial and format-aware masks, keyed pseudonyms, lengths.
//!
//! Each function takes the clear value and returns what is recorded; `#[redact(...)]` calls
//! them through the traits below, which decide which types a strategy applies to.

use std::borrow::Cow;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::rc::Rc;
use std::sync::Arc;

use super::REDACTED;

/// The largest share of a value that [`first`] and [`last`] keep: one character in four.
pub const KEEP_AT_MOST_ONE_IN: usize = 4;

/// `hmac:<key id>:<hex>` of `value` under the configured [`super::HashKey`]. With no key,
/// `"[REDACTED]"` — never an unkeyed hash, which a dictionary of likely values (phone numbers,
/// dates of birth) reverses in seconds. (`#[redact(hash)]` also records, the first time, a
/// warning `seclog.hash_key_missing` that says so.)
pub fn hash(value: &str) -> String {
    super::pseudonym(value)
}

fn keep(value: &str, n: usize) -> usize {
    n.min(value.chars().count() / KEEP_AT_MOST_ONE_IN)
}

/// The last `n` characters after `…`, keeping at most a quarter of the value; a value too
/// short to keep any is `"[REDACTED]"`.
pub fn last(value: &str, n: usize) -> String {
    let k = keep(value, n);
    if k == 0 {
        return REDACTED.to_owned();
    }
    let start = value.char_indices().rev().nth(k - 1).map_or(0, |(i, _)| i);
    format!("…{}", &value[start..])
}

/// The first `n` characters before `…`, keeping at most a quarter of the value; a value too
/// short to keep any is `"[REDACTED]"`.
pub fn first(value: &str, n: usize) -> String {
    let k = keep(value, n);
    if k == 0 {
        return REDACTED.to_owned();
    }
    let end = value.char_indices().nth(k).map_or(value.len(), |(i, _)| i);
    format!("{}…", &value[..end])
}

/// The domain of an e-mail address after `…@`; anything that is not an address is
/// `"[REDACTED]"`.
pub fn email(value: &str) -> String {
    match value.trim().rsplit_once('@') {
        Some((local, domain))
            if !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && domain
                    .chars()
                    .all(|c| c.is_alphanumeric() || c == '.' || c == '-') =>
        {
            format!("…@{}", domain.to_ascii_lowercase())
        }
        _ => REDACTED.to_owned(),
    }
}

/// The network of an address: IPv4 /24, IPv6 /48.
pub fn ip(addr: IpAddr) -> String {
    match addr {
        IpAddr::V4(a) => {
            let [x, y, z, _] = a.octets();
            format!("{}/24", Ipv4Addr::new(x, y, z, 0))
        }
        IpAddr::V6(a) => {
            let s = a.segments();
            format!("{}/48", Ipv6Addr::new(s[0], s[1], s[2], 0, 0, 0, 0, 0))
        }
    }
}

/// The first 6 and last 4 digits of a Luhn-valid card number (spaces and dashes allowed), as
/// PCI DSS permits; anything else is `"[REDACTED]"`.
pub fn card(value: &str) -> String {
    let digits: Vec<u8> = value
        .bytes()
        .filter(|b| !matches!(b, b' ' | b'-'))
        .collect();
    let valid =
        (13..=19).contains(&digits.len()) && digits.iter().all(u8::is_ascii_digit) && luhn(&digits);
    if !valid {
        return REDACTED.to_owned();
    }
    let d = String::from_utf8_lossy(&digits);
    format!("{}…{}", &d[..6], &d[d.len() - 4..])
}

/// The Luhn checksum of ASCII digits.
pub(crate) fn luhn(digits: &[u8]) -> bool {
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, d)| {
            let d = u32::from(d - b'0');
            if i % 2 == 1 {
                let d2 = d * 2;
                if d2 > 9 { d2 - 9 } else { d2 }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

/// `"[REDACTED:len=N]"`: only the length.
pub fn len(n: usize) -> String {
    format!("[REDACTED:len={n}]")
}

/// Text a strategy can mask: what `#[redact(hash | first | last | email | card)]` accepts.
#[diagnostic::on_unimplemented(
    message = "this redaction strategy masks text, and `{Self}` is not text",
    label = "not text",
    note = "`hash`, `first`, `last`, `email` and `card` apply to `String` / `&str` (or an `Option` of one); use plain `#[redact]`, or `#[redact(with = path)]` with your own function"
)]
pub trait RedactText {
    /// The text, or `None` for an absent value (recorded as `null`).
    fn redact_text(&self) -> Option<&str>;
}

macro_rules! text_via_deref {
    ($($t:ty),*) => {$(
        impl RedactText for $t {
            fn redact_text(&self) -> Option<&str> {
                Some(self)
            }
        }
    )*};
}
text_via_deref!(str, String, Cow<'_, str>, Box<str>, Rc<str>, Arc<str>);

impl<T: RedactText + ?Sized> RedactText for &T {
    fn redact_text(&self) -> Option<&str> {
        (**self).redact_text()
    }
}

impl<T: RedactText> RedactText for Option<T> {
    fn redact_text(&self) -> Option<&str> {
        self.as_ref().and_then(RedactText::redact_text)
    }
}

/// An address `#[redact(ip)]` can mask: `IpAddr`, `Ipv4Addr`, `Ipv6Addr`, `SocketAddr`, or text
/// holding one.
#[diagnostic::on_unimplemented(
    message = "`#[redact(ip)]` masks IP addresses, and `{Self}` is not one",
    label = "not an IP address",
    note = "use it on `IpAddr`, `Ipv4Addr`, `Ipv6Addr`, `SocketAddr` or a string holding an address"
)]
pub trait RedactIp {
    /// The masked network, `"[REDACTED]"` for text that is no address, `None` when absent.
    fn redact_ip(&self) -> Option<String>;
}

impl RedactIp for IpAddr {
    fn redact_ip(&self) -> Option<String> {
        Some(ip(*self))
    }
}
impl RedactIp for Ipv4Addr {
    fn redact_ip(&self) -> Option<String> {
        Some(ip(IpAddr::V4(*self)))
    }
}
impl RedactIp for Ipv6Addr {
    fn redact_ip(&self) -> Option<String> {
        Some(ip(IpAddr::V6(*self)))
    }
}
impl RedactIp for SocketAddr {
    fn redact_ip(&self) -> Option<String> {
        Some(ip(self.ip()))
    }
}
impl RedactIp for str {
    fn redact_ip(&self) -> Option<String> {
        let parsed = self
            .trim()
            .parse::<IpAddr>()
            .or_else(|_| self.trim().parse::<SocketAddr>().map(|s| s.ip()));
        Some(parsed.map_or_else(|_| REDACTED.to_owned(), ip))
    }
}
impl RedactIp for String {
    fn redact_ip(&self) -> Option<String> {
        self.as_str().redact_ip()
    }
}
impl<T: RedactIp + ?Sized> RedactIp for &T {
    fn redact_ip(&self) -> Option<String> {
        (**self).redact_ip()
    }
}
impl<T: RedactIp> RedactIp for Option<T> {
    fn redact_ip(&self) -> Option<String> {
        self.as_ref().and_then(RedactIp::redact_ip)
    }
}

/// A value with a length: what `#[redact(len)]` accepts (text in characters, collections in
/// items).
#[diagnostic::on_unimplemented(
    message = "`#[redact(len)]` records a length, and `{Self}` has none",
    label = "no length",
    note = "use it on text or a collection"
)]
pub trait RedactLen {
    /// The length.
    fn redact_len(&self) -> usize;
}

impl RedactLen for str {
    fn redact_len(&self) -> usize {
        self.chars().count()
    }
}
impl RedactLen for String {
    fn redact_len(&self) -> usize {
        self.as_str().redact_len()
    }
}
impl<T> RedactLen for [T] {
    fn redact_len(&self) -> usize {
        self.len()
    }
}
impl<T> RedactLen for Vec<T> {
    fn redact_len(&self) -> usize {
        self.len()
    }
}
impl<K, V, S> RedactLen for std::collections::HashMap<K, V, S> {
    fn redact_len(&self) -> usize {
        self.len()
    }
}
impl<K, V> RedactLen for std::collections::BTreeMap<K, V> {
    fn redact_len(&self) -> usize {
        self.len()
    }
}
impl<T: RedactLen + ?Sized> RedactLen for &T {
    fn redact_len(&self) -> usize {
        (**self).redact_len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partial_masks_keep_at_most_a_quarter() {
        assert_eq!(last("4111111111111111", 4), "…1111");
        assert_eq!(first("4111111111111111", 4), "4111…");
        // 8 characters: at most 2 kept, whatever N asks.
        assert_eq!(last("abcdefgh", 4), "…gh");
        assert_eq!(first("abcdefgh", 6), "ab…");
        assert_eq!(last("abc", 4), REDACTED);
        assert_eq!(first("", 1), REDACTED);
        assert_eq!(last("ééééééééé", 2), "…éé");
    }

    #[test]
    fn format_aware_masks() {
        assert_eq!(email("Alice.Smith@Example.COM"), "…@example.com");
        for bad in [
            "alice",
            "@example.com",
            "a@b",
            "a@.com",
            "a@x.com.",
            "a@exa mple.com",
        ] {
            assert_eq!(email(bad), REDACTED, "{bad}");
        }
        assert_eq!(ip("203.0.113.77".parse().unwrap()), "203.0.113.0/24");
        assert_eq!(
            ip("2001:db8:85a3:8d3:1319:8a2e:370:7348".parse().unwrap()),
            "2001:db8:85a3::/48"
        );
        assert_eq!("10.1.2.3:443".redact_ip().unwrap(), "10.1.2.0/24");
        assert_eq!("not-an-ip".redact_ip().unwrap(), REDACTED);
        assert_eq!(card("4111 1111 1111 1111"), "411111…1111");
        assert_eq!(card("5500-0000-0000-0004"), "550000…0004");
        assert_eq!(card("4111 1111 1111 1112"), REDACTED, "fails Luhn");
        assert_eq!(card("1234"), REDACTED);
        assert_eq!(len(16), "[REDACTED:len=16]");
    }
}
