//! One record line, read into borrowed fields: only the keys a summary needs, everything else
//! skipped without being built (`IgnoredAny`), strings borrowed from the line unless they hold
//! escapes.
//!
//! Both of seclog's formats are read: its own JSON record (`ts`, `event`, `who.user`, ...) and
//! the ECS mapping (`@timestamp`, `event.action`, `user.name`, `seclog.*`, ...). Every value is
//! read leniently: a key of an unexpected type is treated as absent rather than making the
//! line unreadable, since `fields(...)` may hold anything a handler chose to record.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

/// A string borrowed from the line when it has no escapes.
pub type Text<'a> = Cow<'a, str>;

/// The keys of one record that a summary reads.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Record<'a> {
    /// `ts` (or ECS `@timestamp`).
    pub ts: Option<Text<'a>>,
    /// `event` (or ECS `event.action`).
    pub event: Option<Text<'a>>,
    /// `level` (or ECS `log.level`, lower case there).
    pub level: Option<Text<'a>>,
    /// `outcome` (or ECS `seclog.outcome`).
    pub outcome: Option<Text<'a>>,
    /// ECS `event.outcome`, used when `seclog.outcome` is missing.
    pub ecs_outcome: Option<Text<'a>>,
    /// `duration_ns` (or ECS `event.duration`).
    pub duration_ns: Option<u64>,
    /// `budget_ns`, when the handler has a budget.
    pub budget_ns: Option<u64>,
    /// `over_budget`.
    pub over_budget: Option<bool>,
    /// `where.fn` (or ECS `log.origin.function`).
    pub func: Option<Text<'a>>,
    /// `where.host` (or ECS `host.hostname`).
    pub host: Option<Text<'a>>,
    /// `where.pid` (or ECS `process.pid`).
    pub pid: Option<u64>,
    /// `where.service` (or ECS `service.name`).
    pub service: Option<Text<'a>>,
    /// `who.user` (or ECS `user.name`).
    pub user: Option<Text<'a>>,
    /// `who.ip` (or ECS `source.ip`).
    pub ip: Option<Text<'a>>,
    /// `who.tenant` (or ECS `seclog.who.tenant`).
    pub tenant: Option<Text<'a>>,
    /// A usage counted by this call: `usage` as a string, or `usage.name`.
    pub usage: Option<Text<'a>>,
    /// The units of that usage: `units` or `usage.units`.
    pub units: Option<u64>,
    /// `fields`, the keys that seclog's own records (alerts, summaries) use.
    pub fields: Fields<'a>,
    /// A line of the file sink's own (`seclog_file` header of its earlier format, checkpoint,
    /// retention note, `seclog_key` key note): not a record, not an error either.
    pub meta: bool,
}

/// The keys under `fields` that `seclog.alert`, `seclog.perf`, `seclog.usage`, `sys_startup`
/// and `seclog.chain` records use.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Fields<'a> {
    /// `rule` of an alert.
    pub rule: Option<Text<'a>>,
    /// `user` (alert key, usage caller).
    pub user: Option<Text<'a>>,
    /// `ip` (alert key).
    pub ip: Option<Text<'a>>,
    /// `event` (alert key).
    pub event: Option<Text<'a>>,
    /// `fn` (alert key, perf summary).
    pub func: Option<Text<'a>>,
    /// `tenant` (usage caller).
    pub tenant: Option<Text<'a>>,
    /// `usage` (usage summary).
    pub usage: Option<Text<'a>>,
    /// `first_seen` (alert).
    pub first_seen: Option<Text<'a>>,
    /// `count` (alert, perf summary).
    pub count: Option<u64>,
    /// `window_s` (alert).
    pub window_s: Option<u64>,
    /// `p50_ns` (perf summary).
    pub p50_ns: Option<u64>,
    /// `p95_ns` (perf summary).
    pub p95_ns: Option<u64>,
    /// `p99_ns` (perf summary).
    pub p99_ns: Option<u64>,
    /// `max_ns` (perf summary).
    pub max_ns: Option<u64>,
    /// `budget_ns` (perf summary).
    pub budget_ns: Option<u64>,
    /// `over_budget` (perf summary: a count; `true` reads as 1).
    pub over_budget: Option<u64>,
    /// `calls` (usage summary).
    pub calls: Option<u64>,
    /// `units` (usage summary).
    pub units: Option<u64>,
    /// `clock` (`sys_startup`, `seclog.chain`).
    pub clock: Clock<'a>,
}

/// `fields.clock`: what the source's clock is based on, and whether it was synchronised.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Clock<'a> {
    /// `source`: `adjtimex` or `unknown`.
    pub source: Option<Text<'a>>,
    /// `synced` (`0` and `false` read as not synchronised, like `over_budget`).
    pub synced: Option<bool>,
    /// `max_error_us`: the kernel's bound on the clock's error.
    pub max_error_us: Option<u64>,
    /// `est_error_us`: the kernel's estimate of the clock's error.
    pub est_error_us: Option<u64>,
}

/// Why a line is not a record.
#[derive(Debug, PartialEq, Eq)]
pub enum NotRecord {
    /// Not a JSON object.
    NotJson,
    /// A JSON object without an event name.
    NoEvent,
}

/// Reads one line (without its `\n`).
pub fn parse(line: &[u8]) -> Result<Record<'_>, NotRecord> {
    let mut r = Record::default();
    parse_into(line, &mut r).map(|()| r)
}

/// [`parse`] into `r`, which must start as `Record::default()`: the hot path, which fills the
/// record in place rather than moving it.
pub fn parse_into<'a>(line: &'a [u8], r: &mut Record<'a>) -> Result<(), NotRecord> {
    match crate::fast::scan(line, r) {
        crate::fast::Scan::Done => {}
        crate::fast::Scan::NotJson => return Err(NotRecord::NotJson),
        crate::fast::Scan::Fallback => *r = parse_serde(line)?,
    }
    if r.event.is_none() && !r.meta {
        return Err(NotRecord::NoEvent);
    }
    Ok(())
}

/// [`parse`] through serde alone: the reference the fast scanner is tested against.
pub fn parse_serde(line: &[u8]) -> Result<Record<'_>, NotRecord> {
    serde_json::from_slice(line).map_err(|_| NotRecord::NotJson)
}

/// A lenient string: anything that is not a string reads as `None`.
struct Str<'a>(Option<Text<'a>>);

impl<'de> Deserialize<'de> for Str<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Str<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("any value")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Str(Some(Cow::Borrowed(v))))
            }
            fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Str(Some(Cow::Owned(v.to_owned()))))
            }
            fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
                Ok(Str(Some(Cow::Owned(v))))
            }
            other_values_are_none!();
        }
        d.deserialize_any(V)
    }
}

/// A lenient unsigned number: a non-negative integer, a float (truncated), `true` (1), a
/// string of digits; anything else reads as `None`.
struct Num(Option<u64>);

impl<'de> Deserialize<'de> for Num {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Num;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("any value")
            }
            fn visit_u64<E>(self, v: u64) -> Result<Self::Value, E> {
                Ok(Num(Some(v)))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Self::Value, E> {
                Ok(Num(u64::try_from(v).ok()))
            }
            fn visit_f64<E>(self, v: f64) -> Result<Self::Value, E> {
                // `as` saturates; NaN becomes 0, so it is excluded first.
                Ok(Num((v.is_finite() && v >= 0.0).then_some(v as u64)))
            }
            fn visit_bool<E>(self, v: bool) -> Result<Self::Value, E> {
                Ok(Num(Some(u64::from(v))))
            }
            fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Num(v.parse().ok()))
            }
            fn visit_unit<E>(self) -> Result<Self::Value, E> {
                Ok(Num(None))
            }
            fn visit_none<E>(self) -> Result<Self::Value, E> {
                Ok(Num(None))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<Self::Value, A::Error> {
                while m.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Num(None))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut s: A) -> Result<Self::Value, A::Error> {
                while s.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Num(None))
            }
        }
        d.deserialize_any(V)
    }
}

/// The `Visitor` methods of a value read only in some shapes: arrays, numbers, booleans and
/// null are skipped (a record from another writer is read as far as it can be).
macro_rules! ignore_other_values {
    () => {
        fn visit_seq<A: SeqAccess<'de>>(self, mut s: A) -> Result<(), A::Error> {
            while s.next_element::<IgnoredAny>()?.is_some() {}
            Ok(())
        }
        fn visit_u64<E>(self, _: u64) -> Result<(), E> {
            Ok(())
        }
        fn visit_i64<E>(self, _: i64) -> Result<(), E> {
            Ok(())
        }
        fn visit_f64<E>(self, _: f64) -> Result<(), E> {
            Ok(())
        }
        fn visit_bool<E>(self, _: bool) -> Result<(), E> {
            Ok(())
        }
        fn visit_unit<E>(self) -> Result<(), E> {
            Ok(())
        }
    };
}

/// The visitor methods that turn numbers, null, arrays and objects into `None` (the nested
/// values are skipped, not built).
macro_rules! other_values_are_none {
    () => {
        fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
            Ok(Self::Value::none())
        }
        fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
            Ok(Self::Value::none())
        }
        fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
            Ok(Self::Value::none())
        }
        fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
            Ok(Self::Value::none())
        }
        fn visit_unit<E>(self) -> Result<Self::Value, E> {
            Ok(Self::Value::none())
        }
        fn visit_none<E>(self) -> Result<Self::Value, E> {
            Ok(Self::Value::none())
        }
        fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<Self::Value, A::Error> {
            while m.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
            Ok(Self::Value::none())
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut s: A) -> Result<Self::Value, A::Error> {
            while s.next_element::<IgnoredAny>()?.is_some() {}
            Ok(Self::Value::none())
        }
    };
}
use other_values_are_none;

impl Str<'_> {
    fn none() -> Self {
        Str(None)
    }
}

/// Reads an object whose keys are matched by `$on_key(key, map)`; anything that is not an
/// object is skipped and leaves the target untouched.
macro_rules! object_visitor {
    ($name:ident, $target:ty, |$t:ident, $key:ident, $map:ident| $body:block) => {
        struct $name<'r, 'a>(&'r mut $target);
        impl<'de, 'r> de::DeserializeSeed<'de> for $name<'r, 'de> {
            type Value = ();
            fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
                d.deserialize_any(self)
            }
        }
        impl<'de, 'r> Visitor<'de> for $name<'r, 'de> {
            type Value = ();
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("any value")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut $map: A) -> Result<(), A::Error> {
                let $t = self.0;
                while let Some(Str(Some($key))) = $map.next_key::<Str<'de>>()? {
                    let $key: &str = &$key;
                    $body
                }
                Ok(())
            }
            fn visit_str<E>(self, _: &str) -> Result<(), E> {
                Ok(())
            }
            ignore_other_values!();
        }
    };
}

fn skip<'de, A: MapAccess<'de>>(map: &mut A) -> Result<(), A::Error> {
    map.next_value::<IgnoredAny>().map(|_| ())
}

fn text<'de, A: MapAccess<'de>>(map: &mut A) -> Result<Option<Text<'de>>, A::Error> {
    map.next_value::<Str<'de>>().map(|s| s.0)
}

fn num<'de, A: MapAccess<'de>>(map: &mut A) -> Result<Option<u64>, A::Error> {
    map.next_value::<Num>().map(|n| n.0)
}

object_visitor!(WhereV, Record<'a>, |r, key, map| {
    match key {
        "fn" => r.func = text(&mut map)?,
        "host" => r.host = text(&mut map)?,
        "pid" => r.pid = num(&mut map)?,
        "service" => r.service = text(&mut map)?,
        _ => skip(&mut map)?,
    }
});

object_visitor!(WhoV, Record<'a>, |r, key, map| {
    match key {
        "user" => r.user = text(&mut map)?,
        "ip" => r.ip = text(&mut map)?,
        "tenant" => r.tenant = text(&mut map)?,
        _ => skip(&mut map)?,
    }
});

object_visitor!(FieldsV, Fields<'a>, |f, key, map| {
    match key {
        "rule" => f.rule = text(&mut map)?,
        "user" => f.user = text(&mut map)?,
        "ip" => f.ip = text(&mut map)?,
        "event" => f.event = text(&mut map)?,
        "fn" => f.func = text(&mut map)?,
        "tenant" => f.tenant = text(&mut map)?,
        "usage" => f.usage = text(&mut map)?,
        "first_seen" => f.first_seen = text(&mut map)?,
        "count" => f.count = num(&mut map)?,
        "window_s" => f.window_s = num(&mut map)?,
        "p50_ns" => f.p50_ns = num(&mut map)?,
        "p95_ns" => f.p95_ns = num(&mut map)?,
        "p99_ns" => f.p99_ns = num(&mut map)?,
        "max_ns" => f.max_ns = num(&mut map)?,
        "budget_ns" => f.budget_ns = num(&mut map)?,
        "over_budget" => f.over_budget = num(&mut map)?,
        "calls" => f.calls = num(&mut map)?,
        "units" => f.units = num(&mut map)?,
        "clock" => map.next_value_seed(ClockV(&mut f.clock))?,
        _ => skip(&mut map)?,
    }
});

object_visitor!(ClockV, Clock<'a>, |c, key, map| {
    match key {
        "source" => c.source = text(&mut map)?,
        "synced" => c.synced = num(&mut map)?.map(|n| n != 0),
        "max_error_us" => c.max_error_us = num(&mut map)?,
        "est_error_us" => c.est_error_us = num(&mut map)?,
        _ => skip(&mut map)?,
    }
});

// `usage` as an object: `{"name": .., "units": ..}` (`usage` accepted for the name).
object_visitor!(UsageObjV, Record<'a>, |r, key, map| {
    match key {
        "name" | "usage" => r.usage = text(&mut map)?,
        "units" => r.units = num(&mut map)?,
        _ => skip(&mut map)?,
    }
});

// ECS `event`: `{"action", "outcome", "duration", ...}`.
object_visitor!(EcsEventV, Record<'a>, |r, key, map| {
    match key {
        "action" => r.event = text(&mut map)?,
        "outcome" => r.ecs_outcome = text(&mut map)?,
        "duration" => r.duration_ns = num(&mut map)?,
        _ => skip(&mut map)?,
    }
});

// ECS `log`: `{"level", "origin": {"function"}}`.
object_visitor!(EcsLogV, Record<'a>, |r, key, map| {
    match key {
        "level" => r.level = text(&mut map)?,
        "origin" => map.next_value_seed(EcsOriginV(r))?,
        _ => skip(&mut map)?,
    }
});

object_visitor!(EcsOriginV, Record<'a>, |r, key, map| {
    match key {
        "function" => r.func = text(&mut map)?,
        _ => skip(&mut map)?,
    }
});

// ECS `user` → `name`.
object_visitor!(EcsUserV, Record<'a>, |r, key, map| {
    match key {
        "name" => r.user = text(&mut map)?,
        _ => skip(&mut map)?,
    }
});

// ECS `source` → `ip`.
object_visitor!(EcsSourceV, Record<'a>, |r, key, map| {
    match key {
        "ip" => r.ip = text(&mut map)?,
        _ => skip(&mut map)?,
    }
});

// ECS `host` → `hostname`.
object_visitor!(EcsHostV, Record<'a>, |r, key, map| {
    match key {
        "hostname" => r.host = text(&mut map)?,
        _ => skip(&mut map)?,
    }
});

// ECS `process` → `pid`.
object_visitor!(EcsProcessV, Record<'a>, |r, key, map| {
    match key {
        "pid" => r.pid = num(&mut map)?,
        _ => skip(&mut map)?,
    }
});

// ECS `service` → `name`.
object_visitor!(EcsServiceV, Record<'a>, |r, key, map| {
    match key {
        "name" => r.service = text(&mut map)?,
        _ => skip(&mut map)?,
    }
});

// ECS `seclog`: what ECS has no field for keeps its seclog name here.
object_visitor!(EcsSeclogV, Record<'a>, |r, key, map| {
    match key {
        "outcome" => r.outcome = text(&mut map)?,
        "who" => map.next_value_seed(WhoV(r))?,
        "where" => map.next_value_seed(WhereV(r))?,
        "fields" => map.next_value_seed(FieldsV(&mut r.fields))?,
        "budget_ns" => r.budget_ns = num(&mut map)?,
        "over_budget" => r.over_budget = map.next_value::<Num>()?.0.map(|n| n != 0),
        "usage" => map.next_value_seed(UsageV(r))?,
        "units" => r.units = num(&mut map)?,
        "unparsed" => {
            // A line the ECS writer could not read: not a record.
            skip(&mut map)?;
            r.event = None;
            r.meta = false;
        }
        _ => skip(&mut map)?,
    }
});

/// `event`: a name (seclog's JSON) or an object (ECS).
struct EventV<'r, 'a>(&'r mut Record<'a>);

impl<'de> de::DeserializeSeed<'de> for EventV<'_, 'de> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for EventV<'_, 'de> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an event name or an ECS event object")
    }
    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<(), E> {
        self.0.event = Some(Cow::Borrowed(v));
        Ok(())
    }
    fn visit_str<E>(self, v: &str) -> Result<(), E> {
        self.0.event = Some(Cow::Owned(v.to_owned()));
        Ok(())
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<(), A::Error> {
        EcsEventV(self.0).visit_map(map)
    }
    ignore_other_values!();
}

/// `usage`: a name, or `{"name", "units"}`.
struct UsageV<'r, 'a>(&'r mut Record<'a>);

impl<'de> de::DeserializeSeed<'de> for UsageV<'_, 'de> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for UsageV<'_, 'de> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a usage name or object")
    }
    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<(), E> {
        self.0.usage = Some(Cow::Borrowed(v));
        Ok(())
    }
    fn visit_str<E>(self, v: &str) -> Result<(), E> {
        self.0.usage = Some(Cow::Owned(v.to_owned()));
        Ok(())
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<(), A::Error> {
        UsageObjV(self.0).visit_map(map)
    }
    ignore_other_values!();
}

impl<'de> Deserialize<'de> for Record<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Record<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a record (a JSON object)")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Record<'de>, A::Error> {
                let mut r = Record::default();
                while let Some(Str(Some(key))) = map.next_key::<Str<'de>>()? {
                    match &*key {
                        "ts" | "@timestamp" => r.ts = text(&mut map)?,
                        "event" => map.next_value_seed(EventV(&mut r))?,
                        "level" => r.level = text(&mut map)?,
                        "outcome" => r.outcome = text(&mut map)?,
                        "duration_ns" => r.duration_ns = num(&mut map)?,
                        "budget_ns" => r.budget_ns = num(&mut map)?,
                        "over_budget" => r.over_budget = map.next_value::<Num>()?.0.map(|n| n != 0),
                        "where" => map.next_value_seed(WhereV(&mut r))?,
                        "who" => map.next_value_seed(WhoV(&mut r))?,
                        "fields" => map.next_value_seed(FieldsV(&mut r.fields))?,
                        "usage" => map.next_value_seed(UsageV(&mut r))?,
                        "units" => r.units = num(&mut map)?,
                        "log" => map.next_value_seed(EcsLogV(&mut r))?,
                        "user" => map.next_value_seed(EcsUserV(&mut r))?,
                        "source" => map.next_value_seed(EcsSourceV(&mut r))?,
                        "host" => map.next_value_seed(EcsHostV(&mut r))?,
                        "process" => map.next_value_seed(EcsProcessV(&mut r))?,
                        "service" => map.next_value_seed(EcsServiceV(&mut r))?,
                        "seclog" => map.next_value_seed(EcsSeclogV(&mut r))?,
                        "seclog_file" | "seclog_checkpoint" | "seclog_retention" | "seclog_key" => {
                            skip(&mut map)?;
                            r.meta = true;
                        }
                        _ => skip(&mut map)?,
                    }
                }
                Ok(r)
            }
        }
        d.deserialize_map(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_json_record() {
        let line = br#"{"ts":"2026-11-22T12:00:00.000000123Z","seq":7,"event":"authn_login_fail","level":"WARN","outcome":"failure","duration_ns":52311,"budget_ns":50000,"over_budget":true,"where":{"service":"shop","fn":"shop::auth::login","line":17},"who":{"user":"al\"ice","ip":"203.0.113.7","tenant":"t1"},"inputs":{"req":{"username":"alice","password":"[REDACTED]","n":[1,2,{"x":null}]}},"error":{"BadCredentials":null},"fields":{"user":5,"count":"12"}}"#;
        let r = parse(line).unwrap();
        assert_eq!(r.ts.as_deref(), Some("2026-11-22T12:00:00.000000123Z"));
        assert_eq!(r.event.as_deref(), Some("authn_login_fail"));
        assert_eq!(r.level.as_deref(), Some("WARN"));
        assert_eq!(r.outcome.as_deref(), Some("failure"));
        assert_eq!(r.duration_ns, Some(52311));
        assert_eq!(r.budget_ns, Some(50000));
        assert_eq!(r.over_budget, Some(true));
        assert_eq!(r.func.as_deref(), Some("shop::auth::login"));
        assert_eq!(r.user.as_deref(), Some("al\"ice"));
        assert_eq!(r.ip.as_deref(), Some("203.0.113.7"));
        assert_eq!(r.tenant.as_deref(), Some("t1"));
        assert_eq!(
            r.fields.user, None,
            "a number where a name was expected is absent"
        );
        assert_eq!(r.fields.count, Some(12));
    }

    #[test]
    fn reads_the_ecs_mapping_of_the_same_record() {
        let line = br#"{"json":1}"#;
        assert_eq!(parse(line).unwrap_err(), NotRecord::NoEvent);
        let json = br#"{"ts":"2026-11-22T12:00:00.000000123Z","seq":7,"event":"authn_login_fail","level":"WARN","outcome":"panic","duration_ns":52311,"budget_ns":9,"over_budget":true,"where":{"service":"shop","fn":"shop::auth::login"},"who":{"user":"alice","ip":"203.0.113.7","tenant":"t1"},"fields":{"rule":"x"}}"#;
        let mut ecs = Vec::new();
        seclog_runtime::Format::Ecs.convert(&[&json[..], b"\n"].concat(), &mut ecs);
        let r = parse(ecs.strip_suffix(b"\n").unwrap()).unwrap();
        assert_eq!(r.ts.as_deref(), Some("2026-11-22T12:00:00.000000123Z"));
        assert_eq!(r.event.as_deref(), Some("authn_login_fail"));
        assert_eq!(r.level.as_deref(), Some("warn"));
        assert_eq!(r.outcome.as_deref(), Some("panic"));
        assert_eq!(r.ecs_outcome.as_deref(), Some("failure"));
        assert_eq!(r.duration_ns, Some(52311));
        assert_eq!(r.budget_ns, Some(9));
        assert_eq!(r.over_budget, Some(true));
        assert_eq!(r.func.as_deref(), Some("shop::auth::login"));
        assert_eq!(r.user.as_deref(), Some("alice"));
        assert_eq!(r.ip.as_deref(), Some("203.0.113.7"));
        assert_eq!(r.tenant.as_deref(), Some("t1"));
        assert_eq!(r.fields.rule.as_deref(), Some("x"));
    }

    #[test]
    fn lines_that_are_not_records() {
        for line in [
            &b"not json"[..],
            b"[1,2]",
            b"\"event\"",
            b"{\"event\":\"x\"",
            b"{\"event\":\"x\"} trailing",
        ] {
            assert_eq!(parse(line).unwrap_err(), NotRecord::NotJson, "{line:?}");
        }
        assert_eq!(
            parse(br#"{"event":7,"ts":"x"}"#).unwrap_err(),
            NotRecord::NoEvent
        );
        let mut unparsed = Vec::new();
        seclog_runtime::Format::Ecs.convert(b"garbage\n", &mut unparsed);
        assert!(parse(unparsed.strip_suffix(b"\n").unwrap()).is_err());
        assert!(
            parse(br#"{"seclog_file":{"index":0,"prev":"00"},"mac":"ab"}"#)
                .unwrap()
                .meta
        );
        assert!(
            parse(br#"{"seclog_key":{"chain":"ab","seq":3,"encrypted_key":"00"}}"#)
                .unwrap()
                .meta
        );
    }

    #[test]
    fn reads_the_source_and_its_clock_in_both_formats() {
        let json = br#"{"ts":"2026-11-22T12:00:00Z","event":"sys_startup","where":{"service":"shop","version":"1","host":"web-2","pid":412,"fn":"seclog_runtime::setup::builder"},"fields":{"seclog_version":"0.1.0","clock":{"source":"adjtimex","synced":false,"max_error_us":16000000,"est_error_us":7}}}"#;
        let mut ecs = Vec::new();
        seclog_runtime::Format::Ecs.convert(&[&json[..], b"\n"].concat(), &mut ecs);
        for line in [&json[..], ecs.strip_suffix(b"\n").unwrap()] {
            let r = parse(line).unwrap();
            let what = String::from_utf8_lossy(line);
            assert_eq!(r.host.as_deref(), Some("web-2"), "{what}");
            assert_eq!(r.pid, Some(412), "{what}");
            assert_eq!(r.service.as_deref(), Some("shop"), "{what}");
            let c = &r.fields.clock;
            assert_eq!(c.source.as_deref(), Some("adjtimex"), "{what}");
            assert_eq!(c.synced, Some(false), "{what}");
            assert_eq!(c.max_error_us, Some(16_000_000), "{what}");
            assert_eq!(c.est_error_us, Some(7), "{what}");
        }
        let r =
            parse(br#"{"event":"sys_startup","fields":{"clock":{"source":"unknown"}}}"#).unwrap();
        assert_eq!(r.fields.clock.source.as_deref(), Some("unknown"));
        assert_eq!(r.fields.clock.synced, None);
    }

    #[test]
    fn usage_as_a_name_or_an_object() {
        let r = parse(br#"{"event":"e","usage":"reports.export","units":3}"#).unwrap();
        assert_eq!(
            (r.usage.as_deref(), r.units),
            (Some("reports.export"), Some(3))
        );
        let r = parse(br#"{"event":"e","usage":{"name":"pdf","units":2}}"#).unwrap();
        assert_eq!((r.usage.as_deref(), r.units), (Some("pdf"), Some(2)));
    }
}
