//! [`Loggable`]: how a value is written to a record, and its implementations for std types.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, LinkedList, VecDeque};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};
use std::rc::Rc;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use super::encoder::{Encoder, LogKey};
use super::limits::Limits;

/// How a value is written to a security record, redaction applied.
///
/// Logging a type is a decision, so there is no blanket implementation for `Debug` or
/// `Serialize`: derive it with [`#[derive(Redact)]`](macro@seclog_macros::Redact) (marking secret
/// fields `#[redact]`) or implement it by hand with an [`Encoder`].
///
/// ```
/// use seclog::Redact;
///
/// #[derive(Redact)]
/// struct Login {
///     user: String,
///     #[redact]
///     password: String,
/// }
///
/// let json = seclog::to_json(&Login { user: "alice".into(), password: "hunter2".into() });
/// assert_eq!(json, r#"{"user":"alice","password":"[REDACTED]"}"#);
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be recorded by seclog: it does not implement `Loggable`",
    label = "`{Self}` is not `Loggable`",
    note = "logging a type is a decision: add `#[derive(seclog::Redact)]` to it (with `#[redact]` on its secret fields), or implement `seclog::Loggable` by hand",
    note = "or leave the value out of the record: `#[skip]` on the parameter, `ret = skip` for the return value, `err = skip` (or `err = display` / `err = debug`) for the error"
)]
pub trait Loggable {
    /// Writes `self` as exactly one JSON value.
    fn log(&self, out: &mut Encoder<'_>);
}

/// Renders a value as a JSON string with the default [`Limits`]: handy in tests and docs.
pub fn to_json<T: Loggable + ?Sized>(value: &T) -> String {
    let mut buf = Vec::new();
    Encoder::new(&mut buf, Limits::default()).value(value);
    // The encoder writes only UTF-8 (valid `str` slices and ASCII).
    String::from_utf8(buf).unwrap_or_default()
}

macro_rules! loggable_via {
    ($method:ident as $conv:ty: $($t:ty)*) => {$(
        impl Loggable for $t {
            #[inline]
            fn log(&self, out: &mut Encoder<'_>) {
                out.$method(*self as $conv)
            }
        }
    )*};
}
loggable_via!(u64 as u64: u8 u16 u32 u64 usize);
loggable_via!(i64 as i64: i8 i16 i32 i64 isize);
loggable_via!(f64 as f64: f64);

impl Loggable for f32 {
    fn log(&self, out: &mut Encoder<'_>) {
        out.f32(*self)
    }
}

impl Loggable for u128 {
    fn log(&self, out: &mut Encoder<'_>) {
        out.u128(*self)
    }
}
impl Loggable for i128 {
    fn log(&self, out: &mut Encoder<'_>) {
        out.i128(*self)
    }
}

macro_rules! loggable_nonzero {
    ($($t:ident)*) => {$(
        impl Loggable for std::num::$t {
            fn log(&self, out: &mut Encoder<'_>) {
                self.get().log(out)
            }
        }
    )*};
}
loggable_nonzero!(NonZeroU8 NonZeroU16 NonZeroU32 NonZeroU64 NonZeroU128 NonZeroUsize
    NonZeroI8 NonZeroI16 NonZeroI32 NonZeroI64 NonZeroI128 NonZeroIsize);

impl Loggable for bool {
    #[inline]
    fn log(&self, out: &mut Encoder<'_>) {
        out.bool(*self)
    }
}

impl Loggable for char {
    fn log(&self, out: &mut Encoder<'_>) {
        out.str(self.encode_utf8(&mut [0; 4]))
    }
}

impl Loggable for str {
    #[inline]
    fn log(&self, out: &mut Encoder<'_>) {
        out.str(self)
    }
}

impl Loggable for String {
    #[inline]
    fn log(&self, out: &mut Encoder<'_>) {
        out.str(self)
    }
}

impl Loggable for () {
    fn log(&self, out: &mut Encoder<'_>) {
        out.null()
    }
}

impl<T: Loggable> Loggable for Option<T> {
    fn log(&self, out: &mut Encoder<'_>) {
        match self {
            Some(v) => out.value(v),
            None => out.null(),
        }
    }
}

/// `{"Ok": value}` or `{"Err": error}`.
impl<T: Loggable, E: Loggable> Loggable for Result<T, E> {
    fn log(&self, out: &mut Encoder<'_>) {
        let mut obj = out.object();
        match self {
            Ok(v) => obj.field("Ok", v),
            Err(e) => obj.field("Err", e),
        }
    }
}

impl<T: Loggable + ?Sized> Loggable for &T {
    #[inline]
    fn log(&self, out: &mut Encoder<'_>) {
        (**self).log(out)
    }
}
impl<T: Loggable + ?Sized> Loggable for &mut T {
    #[inline]
    fn log(&self, out: &mut Encoder<'_>) {
        (**self).log(out)
    }
}
impl<T: Loggable + ?Sized> Loggable for Box<T> {
    fn log(&self, out: &mut Encoder<'_>) {
        (**self).log(out)
    }
}
impl<T: Loggable + ?Sized> Loggable for Rc<T> {
    fn log(&self, out: &mut Encoder<'_>) {
        (**self).log(out)
    }
}
impl<T: Loggable + ?Sized> Loggable for Arc<T> {
    fn log(&self, out: &mut Encoder<'_>) {
        (**self).log(out)
    }
}
impl<T: Loggable + ToOwned + ?Sized> Loggable for Cow<'_, T> {
    fn log(&self, out: &mut Encoder<'_>) {
        (**self).log(out)
    }
}

impl<T: Loggable> Loggable for [T] {
    fn log(&self, out: &mut Encoder<'_>) {
        out.seq(self.len(), self)
    }
}
impl<T: Loggable, const N: usize> Loggable for [T; N] {
    fn log(&self, out: &mut Encoder<'_>) {
        out.seq(N, self)
    }
}
impl<T: Loggable> Loggable for Vec<T> {
    fn log(&self, out: &mut Encoder<'_>) {
        out.seq(self.len(), self)
    }
}
impl<T: Loggable> Loggable for VecDeque<T> {
    fn log(&self, out: &mut Encoder<'_>) {
        out.seq(self.len(), self)
    }
}
impl<T: Loggable> Loggable for LinkedList<T> {
    fn log(&self, out: &mut Encoder<'_>) {
        out.seq(self.len(), self)
    }
}
impl<T: Loggable, S> Loggable for HashSet<T, S> {
    fn log(&self, out: &mut Encoder<'_>) {
        out.seq(self.len(), self)
    }
}
impl<T: Loggable> Loggable for BTreeSet<T> {
    fn log(&self, out: &mut Encoder<'_>) {
        out.seq(self.len(), self)
    }
}
impl<K: LogKey, V: Loggable, S> Loggable for HashMap<K, V, S> {
    fn log(&self, out: &mut Encoder<'_>) {
        out.map(self.len(), self)
    }
}
impl<K: LogKey, V: Loggable> Loggable for BTreeMap<K, V> {
    fn log(&self, out: &mut Encoder<'_>) {
        out.map(self.len(), self)
    }
}

macro_rules! loggable_tuple {
    ($(($($n:tt $t:ident),+))*) => {$(
        impl<$($t: Loggable),+> Loggable for ($($t,)+) {
            fn log(&self, out: &mut Encoder<'_>) {
                let mut arr = out.array();
                $(arr.item(&self.$n);)+
            }
        }
    )*};
}
loggable_tuple! {
    (0 A)
    (0 A, 1 B)
    (0 A, 1 B, 2 C)
    (0 A, 1 B, 2 C, 3 D)
    (0 A, 1 B, 2 C, 3 D, 4 E)
    (0 A, 1 B, 2 C, 3 D, 4 E, 5 F)
    (0 A, 1 B, 2 C, 3 D, 4 E, 5 F, 6 G)
    (0 A, 1 B, 2 C, 3 D, 4 E, 5 F, 6 G, 7 H)
    (0 A, 1 B, 2 C, 3 D, 4 E, 5 F, 6 G, 7 H, 8 I)
    (0 A, 1 B, 2 C, 3 D, 4 E, 5 F, 6 G, 7 H, 8 I, 9 J)
    (0 A, 1 B, 2 C, 3 D, 4 E, 5 F, 6 G, 7 H, 8 I, 9 J, 10 K)
    (0 A, 1 B, 2 C, 3 D, 4 E, 5 F, 6 G, 7 H, 8 I, 9 J, 10 K, 11 L)
}

macro_rules! loggable_display {
    ($($t:ty)*) => {$(
        /// Written as its standard text form, e.g. `"203.0.113.7"`.
        impl Loggable for $t {
            fn log(&self, out: &mut Encoder<'_>) {
                out.display(self)
            }
        }
    )*};
}
loggable_display!(IpAddr Ipv4Addr Ipv6Addr SocketAddr SocketAddrV4 SocketAddrV6);

/// `{"secs": u64, "nanos": u32}`, as serde writes it.
impl Loggable for Duration {
    fn log(&self, out: &mut Encoder<'_>) {
        let mut obj = out.object();
        obj.field("secs", &self.as_secs());
        obj.field("nanos", &self.subsec_nanos());
    }
}

/// UTC, RFC 3339 with nanoseconds (like the record's `ts`).
impl Loggable for SystemTime {
    fn log(&self, out: &mut Encoder<'_>) {
        let mut buf = Vec::with_capacity(30);
        super::time::write_rfc3339(&mut buf, *self);
        out.str(std::str::from_utf8(&buf).unwrap_or_default())
    }
}

/// A value already in JSON form (e.g. from `#[seclog(serde)]`), re-encoded with the limits
/// and escaping of every other value.
impl Loggable for serde_json::Value {
    fn log(&self, out: &mut Encoder<'_>) {
        use serde_json::Value;
        match self {
            Value::Null => out.null(),
            Value::Bool(b) => out.bool(*b),
            Value::Number(n) => {
                if let Some(v) = n.as_u64() {
                    out.u64(v)
                } else if let Some(v) = n.as_i64() {
                    out.i64(v)
                } else {
                    out.f64(n.as_f64().unwrap_or(f64::NAN))
                }
            }
            Value::String(s) => out.str(s),
            Value::Array(items) => out.seq(items.len(), items),
            Value::Object(map) => out.map(map.len(), map),
        }
    }
}
