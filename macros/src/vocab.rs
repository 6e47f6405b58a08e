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
];

use Level::{Critical, Info, Warn};

/// Every event of the vocabulary with its level.
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
];

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
}

/// Resolves an `event = "..."` name against the vocabulary.
///
/// - a vocabulary name is recorded as itself, and as `<name>_fail` on failure when that exists
///   (`authn_password_change` → `authn_password_change_fail`);
/// - a stem whose `_success` and `_fail` forms exist follows the outcome
///   (`authn_login` → `authn_login_success` / `authn_login_fail`);
/// - any other name under a vocabulary prefix is refused with a suggestion;
/// - names outside the prefixes are free-form.
pub fn resolve(name: &str) -> Result<EventNames, EventError> {
    let well_formed = !name.is_empty()
        && name
            .bytes()
            .all(|b| matches!(b, b'a'..=b'z' | b'0'..=b'9' | b'_' | b'.' | b':' | b'-'));
    if !well_formed {
        return Err(EventError::Malformed);
    }
    if !PREFIXES.iter().any(|p| name.starts_with(p)) {
        return Ok(EventNames::single(name, Level::Info));
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

/// The vocabulary name or stem closest to `name`, if it is close enough to be a typo.
fn suggest(name: &str) -> Option<&'static str> {
    const STEMS: &[&str] = &["authn_login"];
    let candidates = EVENTS.iter().map(|(n, _)| *n).chain(STEMS.iter().copied());
    let (best, dist) = candidates
        .map(|c| (c, edit_distance(name, c)))
        .min_by_key(|(_, d)| *d)?;
    (dist <= (name.len() / 3).max(2)).then_some(best)
}

/// Levenshtein distance.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != *cb);
            cur[j + 1] = sub.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
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
}
