//! The OWASP Logging Vocabulary: the event names `event = "..."` is checked against, and the
//! level each one is recorded at. The single source of truth: the runtime receives levels from
//! generated code.

use crate::level::Level;

/// Prefixes that make a name part of the vocabulary's namespace.
pub const PREFIXES: &[&str] = &[
    "authn_",
    "authz_",
    "crypt_",
    "excess_",
    "upload_",
    "input_",
    "malicious_",
    "privilege_",
    "sensitive_",
    "sequence_",
    "session_",
    "sys_",
    "user_",
    "mcp_",
];

use Level::{Critical, Info, Warn};

/// Every event of the vocabulary with its level: the OWASP Application Logging Vocabulary
/// Cheat Sheet's 57 events.
pub const EVENTS: &[(&str, Level)] = &[
    ("authn_login_success", Info),
    ("authn_login_successafterfail", Info),
    ("authn_login_fail", Warn),
    ("authn_login_fail_max", Warn),
    ("authn_login_lock", Warn),
    ("authn_password_change", Info),
    ("authn_password_change_fail", Critical),
    ("authn_impossible_travel", Critical),
    ("authn_token_created", Info),
    ("authn_token_revoked", Info),
    ("authn_token_reuse", Critical),
    ("authn_token_delete", Warn),
    ("authz_fail", Critical),
    ("authz_change", Warn),
    ("authz_admin", Warn),
    ("crypt_decrypt_fail", Warn),
    ("crypt_encrypt_fail", Warn),
    ("excess_rate_limit_exceeded", Warn),
    ("excess_sessions_exceeded", Warn),
    ("upload_complete", Info),
    ("upload_stored", Info),
    ("upload_validation", Info),
    ("upload_delete", Info),
    ("input_validation_fail", Warn),
    ("input_validation_discrete_fail", Warn),
    ("malicious_excess_404", Warn),
    ("malicious_extraneous", Critical),
    ("malicious_attack_tool", Critical),
    ("malicious_cors", Critical),
    ("malicious_direct_reference", Critical),
    ("malicious_sqli", Critical),
    ("malicious_csrf", Warn),
    ("malicious_csp_violation", Warn),
    ("privilege_permissions_changed", Warn),
    ("sensitive_create", Warn),
    ("sensitive_read", Warn),
    ("sensitive_update", Warn),
    ("sensitive_delete", Warn),
    ("sequence_fail", Critical),
    ("session_created", Info),
    ("session_renewed", Info),
    ("session_expired", Info),
    ("session_use_after_expire", Critical),
    ("session_logout", Info),
    ("sys_startup", Warn),
    ("sys_shutdown", Warn),
    ("sys_restart", Warn),
    ("sys_crash", Warn),
    ("sys_monitor_disabled", Warn),
    ("sys_monitor_enabled", Warn),
    ("user_created", Warn),
    ("user_updated", Warn),
    ("user_archived", Warn),
    ("user_deleted", Warn),
    ("mcp_prompt_injection", Warn),
    ("mcp_resource_exhaustion", Warn),
    ("mcp_tool_poisoning", Warn),
];

/// Stems that name a `_success` / `_fail` pair.
const STEMS: &[&str] = &["authn_login"];

fn level_of(name: &str) -> Option<Level> {
    EVENTS.iter().find(|(n, _)| *n == name).map(|(_, l)| *l)
}

/// The names and levels an event is recorded under, by outcome.
#[derive(Debug, Clone, PartialEq)]
pub struct EventNames {
    pub success: String,
    pub failure: String,
    /// The name of a call dropped before it finished: the stem for a stem, else the name.
    pub cancelled: String,
    pub success_level: Level,
    pub failure_level: Level,
}

impl EventNames {
    pub fn single(name: &str, level: Level) -> Self {
        EventNames {
            success: name.to_owned(),
            failure: name.to_owned(),
            cancelled: name.to_owned(),
            success_level: level,
            failure_level: level,
        }
    }
}

/// Why a name was refused.
#[derive(Debug, PartialEq)]
pub enum EventError {
    /// Not of the form `[a-z0-9_.:-]+`.
    Malformed,
    /// In a vocabulary namespace but not in the vocabulary; the closest name, if any is close.
    Unknown { suggestion: Option<&'static str> },
    /// A prefix of vocabulary names that has no `_success` / `_fail` pair: the names it starts.
    NotAStem { family: Vec<&'static str> },
    /// Outside the vocabulary prefixes but a likely misspelling of a vocabulary name or prefix
    /// (`sesion_created`, `authnz_fail`): what it was probably meant to be.
    Typo { suggestion: String },
}

/// Resolves an `event = "..."` name against the vocabulary.
///
/// - a vocabulary name is recorded as itself, and as `<name>_fail` on failure when that exists
///   (`authn_password_change` → `authn_password_change_fail`);
/// - a stem whose `_success` and `_fail` forms exist follows the outcome
///   (`authn_login` → `authn_login_success` / `authn_login_fail`);
/// - any other name under a vocabulary prefix is refused with a suggestion;
/// - a name outside the prefixes that is a likely misspelling of a vocabulary name or prefix is
///   refused with the name it was probably meant to be (see [`typo_of`]);
/// - other names are free-form.
pub fn resolve(name: &str) -> Result<EventNames, EventError> {
    let well_formed = !name.is_empty()
        && name
            .bytes()
            .all(|b| matches!(b, b'a'..=b'z' | b'0'..=b'9' | b'_' | b'.' | b':' | b'-'));
    if !well_formed {
        return Err(EventError::Malformed);
    }
    if !PREFIXES.iter().any(|p| name.starts_with(p)) {
        return match typo_of(name) {
            Some(suggestion) => Err(EventError::Typo { suggestion }),
            None => Ok(EventNames::single(name, Level::Info)),
        };
    }
    let fail = format!("{name}_fail");
    if let Some(level) = level_of(name) {
        let mut names = EventNames::single(name, level);
        if let Some(fail_level) = level_of(&fail) {
            names.failure = fail;
            names.failure_level = fail_level;
        }
        return Ok(names);
    }
    let success = format!("{name}_success");
    if let (Some(success_level), Some(failure_level)) = (level_of(&success), level_of(&fail)) {
        return Ok(EventNames {
            success,
            failure: fail,
            cancelled: name.to_owned(),
            success_level,
            failure_level,
        });
    }
    let prefix = format!("{name}_");
    let family: Vec<&'static str> = EVENTS
        .iter()
        .map(|(n, _)| *n)
        .filter(|n| n.starts_with(&prefix))
        .collect();
    if !family.is_empty() {
        return Err(EventError::NotAStem { family });
    }
    Err(EventError::Unknown {
        suggestion: suggest(name),
    })
}

fn vocabulary_names() -> impl Iterator<Item = &'static str> {
    EVENTS.iter().map(|(n, _)| *n).chain(STEMS.iter().copied())
}

/// The vocabulary name or stem closest to `name`, if it is close enough to be a typo.
fn suggest(name: &str) -> Option<&'static str> {
    let (best, dist) = vocabulary_names()
        .map(|c| (c, edit_distance(name, c)))
        .min_by_key(|(_, d)| *d)?;
    (dist <= (name.len() / 3).max(2)).then_some(best)
}

/// How many edits a name of `len` bytes may be from a vocabulary name and still be read as a
/// misspelling of it: one up to 11 bytes (`authnz_fail` for `authz_fail`), two from 12
/// (`sesion_creatd` for `session_created`). Every vocabulary name has 9 bytes or more, so a
/// short free-form name is never near one.
fn whole_name_limit(len: usize) -> usize {
    if len >= 12 { 2 } else { 1 }
}

/// What a name outside the vocabulary prefixes was probably meant to be, if it looks like a
/// misspelling of the vocabulary:
/// - **the whole name** is within [`whole_name_limit`] edits (Damerau-Levenshtein: a swap of
///   two neighbours is one edit) of a vocabulary name or stem (`sesion_created`,
///   `session.created`, `authnz_fail`, `auth_login`);
/// - or **its first segment** (up to the first `_ . : -`) is one edit from a prefix of five
///   letters or more (`sesion_list`, `atuhz.check`), except when one is the start of the other:
///   `sessions.list`, `crypto.sign`, `inputs.parse`, `auth.refresh` name things of their own.
///   Prefixes of three or four letters (`sys`, `user`, `mcp`) are too short to tell a typo
///   from another word (`sms`, `uses`) and are compared only through the whole name.
pub fn typo_of(name: &str) -> Option<String> {
    let (best, dist) = vocabulary_names()
        .map(|c| (c, edit_distance(name, c)))
        .min_by_key(|(_, d)| *d)?;
    if dist <= whole_name_limit(best.len()) {
        return Some(best.to_owned());
    }
    let cut = name.find(['_', '.', ':', '-']).unwrap_or(name.len());
    let (segment, rest) = name.split_at(cut);
    let stem = PREFIXES
        .iter()
        .map(|p| p.trim_end_matches('_'))
        .filter(|p| p.len() >= 5 && !p.starts_with(segment) && !segment.starts_with(p))
        .find(|p| edit_distance(segment, p) <= 1)?;
    // The name with its prefix spelled right, if that is in the vocabulary or close to it.
    let rest = rest.get(1..).unwrap_or("");
    let fixed = format!("{stem}_{rest}");
    let family = format!("{stem}_");
    let near = vocabulary_names()
        .filter(|n| n.starts_with(&family))
        .map(|n| (n, edit_distance(&fixed, n)))
        .min_by_key(|(_, d)| *d);
    Some(match near {
        Some((n, d)) if d <= whole_name_limit(n.len()) => n.to_owned(),
        _ => family,
    })
}

/// Damerau-Levenshtein distance (optimal string alignment): insertions, deletions,
/// substitutions and swaps of two neighbouring characters each count one.
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    // Three rows: the one before the previous is needed for swaps.
    let mut before: Vec<usize> = vec![0; b.len() + 1];
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for i in 0..a.len() {
        let mut cur = vec![i + 1; b.len() + 1];
        for j in 0..b.len() {
            let sub = prev[j] + usize::from(a[i] != b[j]);
            let mut best = sub.min(prev[j + 1] + 1).min(cur[j] + 1);
            if i > 0 && j > 0 && a[i] == b[j - 1] && a[i - 1] == b[j] {
                best = best.min(before[j - 1] + 1);
            }
            cur[j + 1] = best;
        }
        before = std::mem::replace(&mut prev, cur);
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_names_stems_and_free_form() {
        let login = resolve("authn_login").unwrap();
        assert_eq!(login.success, "authn_login_success");
        assert_eq!(login.failure, "authn_login_fail");
        assert_eq!(login.cancelled, "authn_login");
        assert_eq!((login.success_level, login.failure_level), (Info, Warn));

        let change = resolve("authn_password_change").unwrap();
        assert_eq!(change.success, "authn_password_change");
        assert_eq!(change.failure, "authn_password_change_fail");
        assert_eq!(change.failure_level, Critical);

        assert_eq!(resolve("authz_fail").unwrap().success_level, Critical);
        assert_eq!(resolve("order.create").unwrap().success, "order.create");
    }

    #[test]
    fn refuses_typos_with_a_suggestion() {
        assert_eq!(
            resolve("authn_login_fial"),
            Err(EventError::Unknown {
                suggestion: Some("authn_login_fail")
            })
        );
        assert_eq!(
            resolve("authz_fial"),
            Err(EventError::Unknown {
                suggestion: Some("authz_fail")
            })
        );
        // A stem whose pair does not exist.
        assert_eq!(
            resolve("authn_token"),
            Err(EventError::NotAStem {
                family: vec![
                    "authn_token_created",
                    "authn_token_revoked",
                    "authn_token_reuse",
                    "authn_token_delete"
                ]
            })
        );
        assert_eq!(resolve("Login"), Err(EventError::Malformed));
        assert_eq!(resolve("a b"), Err(EventError::Malformed));
    }

    fn typo(name: &str) -> Option<String> {
        match resolve(name) {
            Err(EventError::Typo { suggestion }) => Some(suggestion),
            Ok(_) => None,
            Err(e) => panic!("{name:?}: {e:?}"),
        }
    }

    #[test]
    fn the_vocabulary_has_57_events_with_unique_names_under_its_prefixes() {
        assert_eq!(EVENTS.len(), 57);
        let mut names: Vec<&str> = EVENTS.iter().map(|(n, _)| *n).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), 57);
        for name in names {
            assert!(PREFIXES.iter().any(|p| name.starts_with(p)), "{name}");
        }
    }

    #[test]
    fn the_newer_events_resolve_with_their_levels() {
        for (name, level) in [
            ("session_logout", Info),
            ("malicious_sqli", Critical),
            ("malicious_csrf", Warn),
            ("malicious_csp_violation", Warn),
            ("excess_sessions_exceeded", Warn),
            ("mcp_prompt_injection", Warn),
            ("mcp_resource_exhaustion", Warn),
            ("mcp_tool_poisoning", Warn),
        ] {
            let names = resolve(name).unwrap();
            assert_eq!((names.success.as_str(), names.success_level), (name, level));
        }
        assert!(matches!(
            resolve("mcp_tool_poisonin"),
            Err(EventError::Unknown {
                suggestion: Some("mcp_tool_poisoning")
            })
        ));
    }

    #[test]
    fn near_misses_outside_the_prefixes_are_typos() {
        let cases = [
            ("sesion_created", "session_created"),
            ("sessoin_created", "session_created"),
            ("session.created", "session_created"),
            ("authnz_fail", "authz_fail"),
            ("auth_fail", "authz_fail"),
            ("auth_login", "authn_login"),
            ("atuhn_login_fail", "authn_login_fail"),
            ("sys.crash", "sys_crash"),
            ("usr_created", "user_created"),
            ("malicous_sqli", "malicious_sqli"),
            ("mpc_tool_poisoning", "mcp_tool_poisoning"),
            (
                "privilige_permissions_changed",
                "privilege_permissions_changed",
            ),
            // The first segment is one edit from a prefix; the rest is close to an event.
            ("sesion_logut", "session_logout"),
            // ... or not: the prefix is what is suggested.
            ("sesion_list", "session_"),
            ("imput.parse", "input_"),
            ("uplaod.thumbnail", "upload_"),
        ];
        for (name, meant) in cases {
            assert_eq!(typo(name).as_deref(), Some(meant), "{name}");
        }
    }

    #[test]
    fn names_of_their_own_stay_free() {
        for name in [
            "orders.create",
            "order.place",
            "billing.invoice_sent",
            "report.export",
            "reports.export",
            "payment.capture",
            "profile.update",
            "db.query",
            "data_read",
            "data_delete",
            "seclog.alert",
            "seclog.perf",
            "seclog.usage",
            "seclog.summary",
            "sessions.list",
            "users.create",
            "uploads.create",
            "inputs.parse",
            "crypto.sign",
            "auth.refresh",
            "access_denied",
            "access.granted",
            "system.reboot",
            "sms_sent",
            "session",
            "login",
            "logout",
            "a",
        ] {
            assert_eq!(typo(name), None, "{name}");
        }
    }

    #[test]
    fn swaps_count_as_one_edit() {
        assert_eq!(edit_distance("sesison", "session"), 1);
        assert_eq!(edit_distance("ab", "ba"), 1);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }

    /// The cheat sheet's own list, when the reference corpus is next to the repository: every
    /// event is in the vocabulary at the cheat sheet's level, and nothing else is.
    #[test]
    fn matches_the_cheat_sheet() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../shared/reference/owasp_vocabulary.json");
        let Ok(text) = std::fs::read_to_string(&path) else {
            eprintln!("skipped: {} is not there", path.display());
            return;
        };
        let json: serde_json::Value = serde_json::from_str(&text).unwrap();
        let events = json["events"].as_array().unwrap();
        assert_eq!(events.len(), EVENTS.len());
        for event in events {
            let name = event["name"].as_str().unwrap();
            // A level the cheat sheet gives as alternatives (`INFO|CRITICAL`) is its first.
            let level = event["level"].as_str().unwrap().split('|').next().unwrap();
            let level = Level::parse(level).unwrap();
            let names = resolve(name).unwrap_or_else(|e| panic!("{name}: {e:?}"));
            assert_eq!(names.success, name);
            assert_eq!(names.success_level, level, "{name}");
            assert_eq!(level_of(name), Some(level), "{name}");
        }
    }
}
