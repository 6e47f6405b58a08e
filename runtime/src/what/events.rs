//! Typed helpers for the most used security events: each is `event!` with its name checked at
//! compile time, recorded at the helper's caller's location.
//!
//! ```
//! let (_, records) = seclog::testing::capture(|| {
//!     seclog::events::authz_fail("/admin");
//! });
//! assert_eq!(records[0]["event"], "authz_fail");
//! assert_eq!(records[0]["fields"]["resource"], "/admin");
//! ```

use seclog_macros::event;

/// `authz_fail` (CRITICAL): access to `resource` was refused.
#[track_caller]
pub fn authz_fail(resource: &str) {
    event!(crate = crate, "authz_fail", resource = resource);
}

/// `authn_login_fail` (WARN): a login attempt as `user` failed (the attempted name; never the
/// password).
#[track_caller]
pub fn authn_login_fail(user: &str) {
    event!(crate = crate, "authn_login_fail", attempted_user = user);
}

/// `authn_login_fail` (WARN) for a user that does not exist: recorded with
/// `unknown_user: true`, which the credential-stuffing rule counts (password spraying and
/// account enumeration name users that are not there). `user` is the attempted name.
#[track_caller]
pub fn authn_login_fail_unknown_user(user: &str) {
    event!(
        crate = crate,
        "authn_login_fail",
        attempted_user = user,
        unknown_user = true
    );
}

/// `authn_token_reuse` (CRITICAL): a token that was already used or revoked came back;
/// `jti` is its public id (the JWT `jti` claim), never the token itself.
#[track_caller]
pub fn authn_token_reuse(jti: &str) {
    event!(crate = crate, "authn_token_reuse", jti = jti);
}

/// `excess_rate_limit_exceeded` (WARN): `limit` (its name, e.g. `"login-per-ip"`) tripped.
#[track_caller]
pub fn excess_rate_limit_exceeded(limit: &str, max: u64, window_secs: u64) {
    event!(
        crate = crate,
        "excess_rate_limit_exceeded",
        limit = limit,
        max = max,
        window_secs = window_secs
    );
}

/// `session_use_after_expire` (CRITICAL): an expired session was presented.
#[track_caller]
pub fn session_use_after_expire() {
    event!(crate = crate, "session_use_after_expire");
}

/// `sequence_fail` (CRITICAL): a step was requested out of order (`expected` / `got`).
#[track_caller]
pub fn sequence_fail(expected: &str, got: &str) {
    event!(
        crate = crate,
        "sequence_fail",
        expected = expected,
        got = got
    );
}

/// `malicious_attack_tool` (CRITICAL): a known attack tool was seen (e.g. from its user agent).
#[track_caller]
pub fn malicious_attack_tool(tool: &str) {
    event!(crate = crate, "malicious_attack_tool", tool = tool);
}
