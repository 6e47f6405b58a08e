//! What the watcher knows of each call site, learnt on its first record and then looked up by
//! the call site's number: the pipeline's records come with their [`Facts`](crate::record::Facts),
//! so an ordinary handler's record costs a lookup and a histogram update, and its bytes are
//! never read.

use std::time::Instant;

use crate::record::encoder::escaped;
use crate::record::{Callsite, Outcome, facts};

use super::perf::{Perf, Slot};
use super::rules::Spike;

/// Call sites remembered at most: a program has a fixed number, so this is never reached in
/// practice; past it, records are read from their bytes instead.
pub(crate) const MAX_SITES: usize = 1024;
/// Longer event names are not remembered (the record is read from its bytes).
const MAX_NAME: usize = 256;

/// What an event is to the watcher.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// seclog's own records (`seclog.*`, `sys_*`) and the events alerts are written as: not
    /// watched, so nothing feeds back.
    Own,
    LoginFail,
    LoginOk,
    Other,
}

impl Kind {
    pub(crate) fn of(event: &[u8]) -> Kind {
        match event {
            b"authn_login_fail" => Kind::LoginFail,
            b"authn_login_success" => Kind::LoginOk,
            b"authn_login_fail_max"
            | b"authn_login_successafterfail"
            | b"excess_rate_limit_exceeded" => Kind::Own,
            e if e.starts_with(b"seclog.") || e.starts_with(b"sys_") => Kind::Own,
            _ => Kind::Other,
        }
    }
}

/// One call site, as the watcher uses it.
pub(crate) struct Site {
    /// The event of each outcome, in [`Outcome`] order.
    pub(crate) kinds: [Kind; 4],
    /// Its latency histogram; none for an `event!` call site.
    pub(crate) perf: Option<Slot>,
    /// The event of a failed call, JSON-escaped as in the record (a failure spike's key).
    pub(crate) failure_event: Box<[u8]>,
    /// Its handler's calls and failures for the failure spike.
    pub(crate) spike: Option<u32>,
    /// Whether its calls count usage (the name and units are read from the record).
    pub(crate) usage: bool,
    /// The budget, when it has one.
    pub(crate) budget_ns: Option<u64>,
}

impl Site {
    /// Whether any rule needs more of a record than its facts: its caller (`who`).
    pub(crate) fn needs_who(&self, outcome: Outcome, auth: bool) -> bool {
        self.usage
            || (auth
                && matches!(
                    self.kinds[outcome as usize],
                    Kind::LoginFail | Kind::LoginOk
                ))
    }
}

/// In [`Sites::index`]: a call site that cannot be learnt (names too long).
const UNKNOWN: u16 = u16::MAX;

/// The call sites seen, by number.
#[derive(Default)]
pub(crate) struct Sites {
    /// Call site number → position in `sites` + 1 (0: not learnt yet).
    index: Vec<u16>,
    sites: Vec<Site>,
}

impl Sites {
    /// The call site numbered `id`, learnt on first sight; `None` when it cannot be
    /// remembered (the record is then read from its bytes).
    #[inline]
    pub(crate) fn get(
        &mut self,
        id: u16,
        perf: &mut Perf,
        spike: Option<&mut Spike>,
        now: Instant,
    ) -> Option<&Site> {
        let id = usize::from(id);
        match self.index.get(id) {
            Some(&UNKNOWN) => None,
            Some(&i) if i != 0 => self.sites.get(usize::from(i) - 1),
            _ => self.learn(id, perf, spike, now),
        }
    }

    #[cold]
    fn learn(
        &mut self,
        id: usize,
        perf: &mut Perf,
        spike: Option<&mut Spike>,
        now: Instant,
    ) -> Option<&Site> {
        if id == 0 || self.sites.len() >= MAX_SITES {
            return None;
        }
        if self.index.len() <= id {
            self.index.resize(id + 1, 0);
        }
        let callsite = facts::callsite(u16::try_from(id).ok()?);
        let Some(site) = callsite.and_then(|c| learn(c, perf, spike, now)) else {
            self.index[id] = UNKNOWN;
            return None;
        };
        self.sites.push(site);
        self.index[id] = u16::try_from(self.sites.len()).ok()?;
        self.sites.last()
    }

    /// Bytes held, from capacities: at most [`cap_bytes`].
    pub(crate) fn memory_bytes(&self) -> usize {
        self.index.capacity() * size_of::<u16>()
            + self.sites.capacity() * size_of::<Site>()
            + self
                .sites
                .iter()
                .map(|s| s.failure_event.len())
                .sum::<usize>()
    }
}

/// The most [`Sites`] holds: an index entry for every call site number, and
/// [`MAX_SITES`] sites with their failure events.
pub(crate) fn cap_bytes() -> usize {
    (usize::from(u16::MAX) + 1) * size_of::<u16>() + MAX_SITES * (size_of::<Site>() + MAX_NAME)
}

fn learn(
    callsite: &'static Callsite,
    perf: &mut Perf,
    spike: Option<&mut Spike>,
    now: Instant,
) -> Option<Site> {
    let meta = callsite.meta();
    let kinds = meta.events.map(|e| Kind::of(e.as_bytes()));
    let failure_event = escaped(meta.events[Outcome::Failure as usize]);
    if failure_event.len() > MAX_NAME {
        return None;
    }
    let func = escaped(meta.fn_path);
    let perf = (!callsite.is_event_site()).then(|| perf.slot(&func));
    Some(Site {
        kinds,
        perf,
        failure_event: failure_event.into_boxed_slice(),
        spike: spike.and_then(|s| s.slot(&func, now)),
        usage: !callsite.usage().is_empty(),
        budget_ns: (callsite.budget_ns() != 0).then_some(callsite.budget_ns()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::{CallsiteMeta, Level};

    fn callsite(fn_path: &'static str, events: [&'static str; 4]) -> &'static Callsite {
        Box::leak(Box::new(Callsite::new(CallsiteMeta {
            fn_path,
            file: "src/x.rs",
            line: 1,
            events,
            levels: [Level::Info; 4],
            mandatory: false,
        })))
    }

    #[test]
    fn learns_each_site_once_up_to_its_cap() {
        let mut perf = Perf::new(std::time::SystemTime::now());
        let mut sites = Sites::default();
        let login = callsite(
            "x::login",
            [
                "authn_login_success",
                "authn_login_fail",
                "seclog.crash",
                "authn_login_fail",
            ],
        );
        let s = sites
            .get(login.id(), &mut perf, None, Instant::now())
            .unwrap();
        assert_eq!(
            s.kinds,
            [Kind::LoginOk, Kind::LoginFail, Kind::Own, Kind::LoginFail]
        );
        assert_eq!(&*s.failure_event, b"authn_login_fail");
        assert!(s.perf.is_some() && !s.usage && s.budget_ns.is_none());
        assert!(s.needs_who(Outcome::Failure, true) && !s.needs_who(Outcome::Failure, false));
        // Unnumbered, and past the cap: read from the bytes instead.
        assert!(sites.get(0, &mut perf, None, Instant::now()).is_none());
        let many: Vec<u16> = (0..MAX_SITES + 10)
            .map(|i| callsite(Box::leak(format!("x::f{i}").into_boxed_str()), ["e"; 4]).id())
            .collect();
        let known = many
            .iter()
            .filter(|&&id| sites.get(id, &mut perf, None, Instant::now()).is_some())
            .count();
        assert_eq!(known, MAX_SITES - 1);
        assert!(sites.memory_bytes() <= cap_bytes());
        // A site once learnt is found again.
        assert!(
            sites
                .get(login.id(), &mut perf, None, Instant::now())
                .is_some()
        );
    }
}
