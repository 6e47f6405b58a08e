//! # seclog — security logging for handler functions
//!
//! Put [`#[security_logged]`](macro@security_logged) on a handler and every call writes one
//! structured audit record answering **when, where, who and what**: the inputs, the output or
//! error, the timing, the outcome and the caller's identity — while anything marked
//! `#[redact]` never reaches the log. Mistakes are compile errors: a type whose logging was
//! never decided, a parameter called `password` that is not redacted, a misspelled OWASP event.
//!
//! ```
//! use seclog::{Redact, security_logged};
//!
//! #[derive(Redact)]
//! pub struct LoginRequest {
//!     pub username: String,
//!     #[redact]
//!     pub password: String,
//! }
//!
//! #[derive(Redact, Debug)]
//! pub enum AuthError {
//!     BadCredentials,
//! }
//!
//! #[security_logged(event = "authn_login", who = req.username)]
//! pub fn login(req: LoginRequest) -> Result<u64, AuthError> {
//!     if req.password == "correct horse" { Ok(42) } else { Err(AuthError::BadCredentials) }
//! }
//!
//! let req = LoginRequest { username: "alice".into(), password: "hunter2".into() };
//! let (result, records) = seclog::testing::capture(|| login(req));
//! assert!(result.is_err());
//! let record = &records[0];
//! assert_eq!(record["event"], "authn_login_fail");
//! assert_eq!(record["level"], "WARN");
//! assert_eq!(record["outcome"], "failure");
//! assert_eq!(record["who"]["user"], "alice");
//! assert_eq!(record["inputs"]["req"]["password"], "[REDACTED]");
//! assert_eq!(record["error"], serde_json::json!({"BadCredentials": null}));
//! ```
//!
//! With no set-up at all, records go to stdout, one JSON line each. [`init`] configures seclog
//! from `SECLOG_*` environment variables and [`builder`] in code; both return a [`Guard`] that
//! flushes on drop.
//!
//! The caller's identity follows the request through [`context`] (with adapters for axum and
//! AWS Lambda behind the `axum` and `lambda` features); [`event!`] records events no function
//! produces; [`redact`] holds the redaction strategies, [`Secret`] and the scanner for secrets and
//! personal data.
//!
//! The record format, the options and the compile-time checks are described in the README and
//! on [`security_logged`](macro@security_logged) and [`Redact`](derive@Redact).
#![forbid(unsafe_code)]

/// Records every call of a function as one security record.
///
/// Goes on free functions, methods (`self`, `&self`, `&mut self`: `self` is not recorded),
/// `async fn` (the future stays `Send` when the original was; a call dropped before it
/// finishes is recorded as `cancelled`), `unsafe fn`, generic functions, `async fn` in trait
/// impls and functions with destructured parameters. The function's signature, attributes and
/// body are unchanged: `?` and `return` work as written.
///
/// # Options
/// - `event = "name"` — the event name, checked at compile time against the OWASP vocabulary
///   for names under its prefixes (`authn_`, `authz_`, `session_`, ...); a stem such as
///   `authn_login` is recorded as `authn_login_success` or `authn_login_fail` by outcome.
///   Default: the function's name.
/// - `level = "info"` — `trace`, `debug`, `info`, `warn`, `error` or `critical`. Default: the
///   vocabulary's level, else `info`. A failure is at least `WARN`, a panic at least `ERROR`.
/// - `who = expr` — the acting user (`impl Display`), evaluated before the body runs.
/// - `skip(a, b)` — parameters left out of the record (same as `#[skip]` on them).
/// - `ret = skip` — the return value is not recorded.
/// - `err = display | debug | skip` — how an `Err` is recorded; default: its `Loggable` form.
/// - `fields(key = expr, ...)` — extra `Loggable` values, evaluated before the body runs; a
///   key may carry `#[redact]`, `#[redact(strategy)]` or `#[public]` before it.
/// - `budget = "250ms"` — the call's time budget: records carry `budget_ns` and
///   `over_budget`, and a call over its budget is recorded at `WARN` at least.
/// - `crate = path` — where to find this crate, if renamed.
///
/// # Parameter attributes
/// `#[skip]` (not recorded), `#[redact]` (recorded as `"[REDACTED]"`), `#[public]` (the name
/// looks sensitive but the value is not).
///
/// # Compile-time checks
/// Every recorded parameter, the output and the error must implement [`Loggable`]; a parameter
/// whose name looks like a secret (`password`, `api_key`, `session_id`, `card_number`, `pin`,
/// ...) must be redacted, skipped or marked `#[public]`.
///
/// So must a parameter whose name says it holds **personal data**: `email`, `phone`,
/// `mobile`, `msisdn`, `date_of_birth` / `dob` / `birthdate`, `address` as a whole word
/// (`home_address`, `address_line1`; not `ip_address`, `mac_address`, `remote_addr`,
/// `address_id`), `postcode` / `postal_code` / `zip_code`, and identity numbers (`ssn`,
/// `national_id`, `tax_id`, `passport`, `iban`). Names are split into words on `_` and
/// camelCase (`userEmail`, `billingAddress`). The choices: `#[redact(email)]` (keeps the
/// domain), `#[redact(last = 4)]` (the last digits), `#[redact(hash)]` (a correlatable
/// pseudonym), `#[redact]`, `#[skip]`, or `#[public]` if the value is not personal data.
/// Values that hold no text are exempt — `email_verified: bool`, `phone_count: u32`,
/// `Option<bool>`, `Duration`, `IpAddr` — except identity numbers, which identify a person
/// as numbers too. A type the macro cannot see into (`address: Address`, a date type) counts
/// as holding the data.
///
/// ```compile_fail
/// #[seclog::security_logged]
/// fn change_email(user_id: u64, email: &str) {} // error: `email` looks like personal data
/// ```
///
/// ```
/// use seclog::security_logged;
///
/// #[security_logged(event = "user_updated")]
/// fn change_email(user_id: u64, #[redact(email)] email: &str, email_verified: bool) {}
///
/// let (_, records) = seclog::testing::capture(|| change_email(7, "ann@example.com", false));
/// assert_eq!(records[0]["inputs"]["email"], "…@example.com");
/// assert_eq!(records[0]["inputs"]["email_verified"], false);
/// ```
///
/// ```
/// use seclog::security_logged;
///
/// pub struct Db;
///
/// #[security_logged(event = "order.create", who = user, fields(channel = "web"))]
/// pub async fn create_order(user: &str, items: Vec<u32>, #[skip] db: &Db) -> Result<u64, String> {
///     if items.is_empty() {
///         return Err("empty order".to_owned());
///     }
///     Ok(items.iter().map(|&i| u64::from(i)).sum())
/// }
/// ```
pub use seclog_macros::security_logged;

/// Derives [`Loggable`]: the type is recorded field by field.
///
/// Works on structs (named, tuple, unit), enums (every variant kind, recorded as
/// `{"Variant": payload}`) and generic types (`Loggable` bounds are added for the type
/// parameters that recorded fields use).
///
/// # Field attributes
/// - `#[redact]` — recorded as `"[REDACTED]"`: neither the value nor its length is kept.
/// - `#[seclog(skip)]` — left out.
/// - `#[seclog(public)]` — the name looks sensitive but the value is not.
/// - `#[seclog(serde)]` — recorded through the field type's `serde::Serialize`.
///
/// A field whose name looks like a secret or personal data (the names listed on
/// [`security_logged`](macro@security_logged)) and that is none of redacted, skipped or public
/// does not compile; a personal-data name on a field that holds no text (`email_verified:
/// bool`) is fine.
///
/// ```
/// use seclog::Redact;
///
/// #[derive(Redact)]
/// struct Card {
///     holder: String,
///     #[redact]
///     card_number: String,
///     #[seclog(skip)]
///     internal_ref: u64,
/// }
///
/// let card = Card { holder: "A. Lovelace".into(), card_number: "4111111111111111".into(), internal_ref: 9 };
/// assert_eq!(seclog::to_json(&card), r#"{"holder":"A. Lovelace","card_number":"[REDACTED]"}"#);
/// ```
pub use seclog_macros::Redact;

/// Emits one security record for an event that no wrapped function produces: a middleware
/// refusing access, a validator rejecting input, a rate limiter tripping.
///
/// `event!("name", key = value, ...)`: the name is a string literal checked against the OWASP
/// vocabulary at compile time like `event = "..."` (a misspelling does not compile); the
/// values are [`Loggable`] (redaction applies) and recorded under `fields`; the caller comes
/// from the ambient [`context`]. The level is the vocabulary's; the outcome is `failure` for
/// a `_fail` event and `success` otherwise. `where.file` / `where.line` are the macro's
/// location (or, inside a `#[track_caller]` function, its caller's).
///
/// A key whose name looks like a secret or personal data needs a decision written before it,
/// as on a parameter: `#[redact]`, `#[redact(<strategy>)]` or `#[public]` (the same holds for
/// the keys of `fields(...)` in `#[security_logged]`). A value that plainly holds no text (a
/// number or `bool` literal, a cast to a number, a comparison, `.len()`) needs none.
///
/// ```
/// let (_, records) = seclog::testing::capture(|| {
///     let email = "ann@example.com";
///     seclog::event!("user_updated", #[redact(email)] email = email, email_verified = true);
/// });
/// assert_eq!(records[0]["fields"]["email"], "…@example.com");
/// assert_eq!(records[0]["fields"]["email_verified"], true);
/// ```
///
/// ```
/// let (_, records) = seclog::testing::capture(|| {
///     let path = "/admin/users";
///     seclog::event!("authz_fail", resource = path, required_role = "admin");
/// });
/// assert_eq!(records[0]["event"], "authz_fail");
/// assert_eq!(records[0]["level"], "CRITICAL");
/// assert_eq!(records[0]["fields"]["resource"], "/admin/users");
/// ```
pub use seclog_macros::event;

pub use seclog_runtime::*;

/// The README's examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
