//! The ambient "who" of the current request.
//!
//! Middleware opens a [`scope`] with the request's [`Caller`]; every `#[security_logged]` call
//! inside it — across `.await`s, on any worker thread — records that caller under `who`. Code
//! inside the scope can [`update`] it (a login handler sets the user once it is known), and
//! work carried to another task or thread keeps it with [`bind`] / [`bind_fn`].
//!
//! ```
//! use seclog::context::{self, Caller};
//!
//! #[seclog::security_logged]
//! async fn load_profile(id: u64) -> u64 {
//!     id
//! }
//!
//! # async fn demo() {
//! let caller = Caller::new().with_ip("203.0.113.7".parse().unwrap()).with_request_id("r-91");
//! let (_, records) = seclog::testing::capture_future(context::scope(caller, async {
//!     context::set_user("alice");
//!     load_profile(7).await
//! }))
//! .await;
//! assert_eq!(records[0]["who"]["user"], "alice");
//! assert_eq!(records[0]["who"]["ip"], "203.0.113.7");
//! # }
//! ```
//!
//! Precedence in a record's `who`, key by key: `who = expr` for the user, then a `#[caller]`
//! parameter, then the ambient caller.

use std::cell::{Cell, RefCell};
use std::fmt;
use std::future::Future;
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context as TaskContext, Poll};

use crate::record::encoder::write_str_limited;
use crate::record::{Encoder, Invocation};

/// Who is acting: the identity recorded under a record's `who`. Every key is optional and
/// appears only when known.
///
/// A session is never stored raw: [`with_session_id`](Caller::with_session_id) keeps only a
/// keyed hash of it (or a fixed tag when no key is configured), and
/// [`with_session_tag`](Caller::with_session_tag) takes a label that is not a secret.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Caller {
    user: Option<String>,
    tenant: Option<String>,
    roles: Vec<String>,
    ip: Option<IpAddr>,
    user_agent: Option<String>,
    session: Option<String>,
    request_id: Option<String>,
    auth_method: Option<String>,
}

impl fmt::Debug for Caller {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Caller")
            .field("user", &self.user)
            .field("tenant", &self.tenant)
            .field("roles", &self.roles)
            .field("ip", &self.ip)
            .field("user_agent", &self.user_agent)
            .field("session", &self.session)
            .field("request_id", &self.request_id)
            .field("auth_method", &self.auth_method)
            .finish()
    }
}

macro_rules! string_key {
    ($field:ident, $with:ident, $set:ident, $doc:literal) => {
        #[doc = concat!("With ", $doc, ".")]
        #[must_use]
        pub fn $with(mut self, value: impl Into<String>) -> Self {
            self.$field = Some(value.into());
            self
        }

        #[doc = concat!("Sets ", $doc, ".")]
        pub fn $set(&mut self, value: impl Into<String>) {
            self.$field = Some(value.into());
        }

        #[doc = concat!($doc, ", if known.")]
        pub fn $field(&self) -> Option<&str> {
            self.$field.as_deref()
        }
    };
}

impl Caller {
    /// A caller about whom nothing is known yet.
    pub fn new() -> Self {
        Caller::default()
    }

    string_key!(user, with_user, set_user, "the user id");
    string_key!(
        tenant,
        with_tenant,
        set_tenant,
        "the tenant (organisation, account)"
    );
    string_key!(
        user_agent,
        with_user_agent,
        set_user_agent,
        "the client's user agent"
    );
    string_key!(
        request_id,
        with_request_id,
        set_request_id,
        "the request or correlation id"
    );
    string_key!(
        auth_method,
        with_auth_method,
        set_auth_method,
        "how the caller authenticated (`password`, `jwt`, `mtls`, ...)"
    );

    /// With the caller's roles.
    #[must_use]
    pub fn with_roles<I, S>(mut self, roles: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.set_roles(roles);
        self
    }

    /// Sets the caller's roles.
    pub fn set_roles<I, S>(&mut self, roles: I)
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.roles = roles.into_iter().map(Into::into).collect();
    }

    /// The caller's roles.
    pub fn roles(&self) -> &[String] {
        &self.roles
    }

    /// With the source IP address.
    #[must_use]
    pub fn with_ip(mut self, ip: IpAddr) -> Self {
        self.ip = Some(ip);
        self
    }

    /// Sets the source IP address.
    pub fn set_ip(&mut self, ip: IpAddr) {
        self.ip = Some(ip);
    }

    /// The source IP address, if known.
    pub fn ip(&self) -> Option<IpAddr> {
        self.ip
    }

    /// With a session identified by its raw id or token, which is never stored: only its
    /// keyed pseudonym (`hmac:<key id>:<hex>`, see [`crate::Builder::hash_key`]), or the fixed
    /// tag `"[REDACTED]"` when no key is configured.
    #[must_use]
    pub fn with_session_id(mut self, raw: &str) -> Self {
        self.session = Some(crate::redact::pseudonym(raw));
        self
    }

    /// With a session label that is not a secret (e.g. `"web"`, or an id already hashed).
    #[must_use]
    pub fn with_session_tag(mut self, tag: impl Into<String>) -> Self {
        self.session = Some(tag.into());
        self
    }

    /// The session's pseudonym or tag, if known.
    pub fn session(&self) -> Option<&str> {
        self.session.as_deref()
    }

    /// Whether nothing is known.
    pub fn is_empty(&self) -> bool {
        *self == Caller::default()
    }

    /// Every key of `other` that is known replaces this one's.
    pub(crate) fn overlay(&mut self, other: &Caller) {
        fn take<T: Clone>(mine: &mut Option<T>, theirs: &Option<T>) {
            if theirs.is_some() {
                mine.clone_from(theirs);
            }
        }
        take(&mut self.user, &other.user);
        take(&mut self.tenant, &other.tenant);
        if !other.roles.is_empty() {
            self.roles.clone_from(&other.roles);
        }
        take(&mut self.ip, &other.ip);
        take(&mut self.user_agent, &other.user_agent);
        take(&mut self.session, &other.session);
        take(&mut self.request_id, &other.request_id);
        take(&mut self.auth_method, &other.auth_method);
    }

    /// Writes the known keys as the members of the `who` object (without braces); `user`
    /// overrides the user. Returns whether anything was written.
    pub(crate) fn write_members(
        &self,
        enc: &mut Encoder<'_>,
        user: Option<&dyn fmt::Display>,
    ) -> bool {
        let max = enc.limits().max_string_bytes;
        let mut first = true;
        let mut key = |enc: &mut Encoder<'_>, name: &str| {
            if !first {
                enc.raw(b",");
            }
            first = false;
            write_str_limited(enc.buf_mut(), name, max);
            enc.raw(b":");
        };
        match (user, &self.user) {
            (Some(u), _) => {
                key(enc, "user");
                enc.display(u);
            }
            (None, Some(u)) => {
                key(enc, "user");
                enc.str(u);
            }
            (None, None) => {}
        }
        let strings = [("tenant", &self.tenant)];
        for (name, v) in strings {
            if let Some(v) = v {
                key(enc, name);
                enc.str(v);
            }
        }
        if !self.roles.is_empty() {
            key(enc, "roles");
            enc.value(&self.roles);
        }
        if let Some(ip) = &self.ip {
            key(enc, "ip");
            enc.display(ip);
        }
        let strings = [
            ("user_agent", &self.user_agent),
            ("session", &self.session),
            ("request_id", &self.request_id),
            ("auth_method", &self.auth_method),
        ];
        for (name, v) in strings {
            if let Some(v) = v {
                key(enc, name);
                enc.str(v);
            }
        }
        !first
    }
}

/// A type that knows who the caller is: the type of a `#[caller]` parameter.
///
/// ```
/// use seclog::context::{Caller, Identify};
///
/// pub struct AuthUser {
///     pub id: String,
///     pub admin: bool,
/// }
///
/// impl Identify for AuthUser {
///     fn caller(&self) -> Caller {
///         let roles: &[&str] = if self.admin { &["admin"] } else { &[] };
///         Caller::new().with_user(&self.id).with_roles(roles.iter().copied())
///     }
/// }
///
/// #[seclog::security_logged]
/// fn delete_user(#[caller] by: &AuthUser, target: &str) -> bool {
///     by.admin && !target.is_empty()
/// }
///
/// let admin = AuthUser { id: "root".into(), admin: true };
/// let (_, records) = seclog::testing::capture(|| delete_user(&admin, "bob"));
/// assert_eq!(records[0]["who"]["user"], "root");
/// assert_eq!(records[0]["who"]["roles"][0], "admin");
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot identify the caller: it does not implement `seclog::context::Identify`",
    label = "used as `#[caller]` here",
    note = "implement `seclog::context::Identify` for it (return a `seclog::context::Caller`), or remove `#[caller]`"
)]
pub trait Identify {
    /// The identity this value stands for.
    fn caller(&self) -> Caller;
}

impl Identify for Caller {
    fn caller(&self) -> Caller {
        self.clone()
    }
}

impl<T: Identify + ?Sized> Identify for &T {
    fn caller(&self) -> Caller {
        (**self).caller()
    }
}

impl<T: Identify + ?Sized> Identify for &mut T {
    fn caller(&self) -> Caller {
        (**self).caller()
    }
}

impl<T: Identify + ?Sized> Identify for Box<T> {
    fn caller(&self) -> Caller {
        (**self).caller()
    }
}

impl<T: Identify + ?Sized> Identify for Arc<T> {
    fn caller(&self) -> Caller {
        (**self).caller()
    }
}

/// The caller of one scope, shared by everything running inside it.
#[derive(Clone)]
pub struct Context {
    caller: Arc<Mutex<Caller>>,
    /// Extra members of the record's `where` object, encoded (e.g. `"lambda":{...}`).
    pub(crate) where_members: Option<Arc<[u8]>>,
}

impl fmt::Debug for Context {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Context").field(&*self.lock()).finish()
    }
}

impl Context {
    pub(crate) fn new(caller: Caller) -> Self {
        Context {
            caller: Arc::new(Mutex::new(caller)),
            where_members: None,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Caller> {
        self.caller.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A copy of the caller as it is now.
    pub fn caller(&self) -> Caller {
        self.lock().clone()
    }

    /// Runs `f` with this context as the current one.
    pub fn run<R>(&self, f: impl FnOnce() -> R) -> R {
        let _entered = Entered::enter(self.clone());
        f()
    }

    /// Makes this context current during every poll of `fut`.
    pub fn wrap<F: Future>(&self, fut: F) -> Scoped<F> {
        Scoped {
            context: self.clone(),
            fut: Box::pin(fut),
        }
    }
}

thread_local! {
    static CURRENT: RefCell<Option<Context>> = const { RefCell::new(None) };
    /// Whether `CURRENT` is set: read on every record instead of `CURRENT` itself.
    static ACTIVE: Cell<bool> = const { Cell::new(false) };
}

/// Sets the current context for its lifetime, restoring the previous one on drop (panics
/// included).
struct Entered {
    previous: Option<Context>,
}

impl Entered {
    fn enter(context: Context) -> Self {
        let previous = CURRENT.with(|c| c.borrow_mut().replace(context));
        ACTIVE.with(|a| a.set(true));
        Entered { previous }
    }
}

impl Drop for Entered {
    fn drop(&mut self) {
        let previous = self.previous.take();
        let _ = ACTIVE.try_with(|a| a.set(previous.is_some()));
        let _ = CURRENT.try_with(|c| *c.borrow_mut() = previous);
    }
}

/// Runs `fut` with `caller` as the ambient caller, across every `.await` and whichever thread
/// polls it.
pub fn scope<F: Future>(caller: Caller, fut: F) -> Scoped<F> {
    Context::new(caller).wrap(fut)
}

/// Runs `f` with `caller` as the ambient caller.
pub fn scope_sync<R>(caller: Caller, f: impl FnOnce() -> R) -> R {
    Context::new(caller).run(f)
}

/// The current context, to carry into another task or thread by hand.
pub fn current_context() -> Option<Context> {
    if !ACTIVE.try_with(Cell::get).unwrap_or(false) {
        return None;
    }
    CURRENT.try_with(|c| c.borrow().clone()).ok().flatten()
}

/// A copy of the ambient caller, if a scope is active.
pub fn current() -> Option<Caller> {
    current_context().map(|c| c.caller())
}

/// Changes the ambient caller for the rest of the scope (and every task it was carried into).
/// Returns false, changing nothing, outside a scope.
pub fn update(f: impl FnOnce(&mut Caller)) -> bool {
    match current_context() {
        Some(c) => {
            f(&mut c.lock());
            true
        }
        None => false,
    }
}

/// Sets the ambient caller's user: what auth middleware or a login handler calls once the
/// user is known. Returns false outside a scope.
pub fn set_user(user: impl Into<String>) -> bool {
    let user = user.into();
    update(|c| c.set_user(user))
}

/// Carries the current context into `fut`, e.g. for `tokio::spawn(context::bind(fut))`.
/// Without a current context, `fut` runs without one.
pub fn bind<F: Future>(fut: F) -> Bound<F> {
    Bound {
        context: current_context(),
        fut: Box::pin(fut),
    }
}

/// Carries the current context into `f`, e.g. for `std::thread::spawn(context::bind_fn(f))`.
pub fn bind_fn<R>(f: impl FnOnce() -> R) -> impl FnOnce() -> R {
    let context = current_context();
    move || match context {
        Some(c) => c.run(f),
        None => f(),
    }
}

/// A future running inside a caller scope. See [`scope`].
#[must_use = "futures do nothing unless awaited"]
pub struct Scoped<F> {
    context: Context,
    fut: Pin<Box<F>>,
}

impl<F> Scoped<F> {
    /// The scope's context.
    pub fn context(&self) -> &Context {
        &self.context
    }
}

impl<F: Future> Future for Scoped<F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<F::Output> {
        let this = &mut *self;
        let _entered = Entered::enter(this.context.clone());
        this.fut.as_mut().poll(cx)
    }
}

impl<F> fmt::Debug for Scoped<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Scoped")
            .field("context", &self.context)
            .finish_non_exhaustive()
    }
}

/// A future carrying the context that was current when it was made. See [`bind`].
#[must_use = "futures do nothing unless awaited"]
pub struct Bound<F> {
    context: Option<Context>,
    fut: Pin<Box<F>>,
}

impl<F: Future> Future for Bound<F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<F::Output> {
        let this = &mut *self;
        let _entered = this.context.clone().map(Entered::enter);
        this.fut.as_mut().poll(cx)
    }
}

impl Invocation {
    /// Records `who`: `user` from `who = expr`, `caller` from a `#[caller]` parameter, merged
    /// over the ambient caller. Called once, before the inputs.
    pub fn identify(&mut self, user: Option<&dyn fmt::Display>, caller: Option<&Caller>) {
        let ambient = current_context();
        if user.is_none() && caller.is_none() && ambient.is_none() {
            return;
        }
        let where_members = ambient.as_ref().and_then(|c| c.where_members.clone());
        self.write_who(where_members, |enc| {
            write_who(enc, user, caller, ambient.as_ref())
        });
    }
}

/// Writes the `,"who":{...}` part of a record: `user` from `who = expr`, then the keys of a
/// `#[caller]` parameter, then the ambient caller's.
pub(crate) fn write_who(
    enc: &mut Encoder<'_>,
    user: Option<&dyn fmt::Display>,
    param: Option<&Caller>,
    ambient: Option<&Context>,
) {
    if user.is_none() && param.is_none() && ambient.is_none() {
        return;
    }
    let mark = enc.buf_mut().len();
    enc.raw(b",\"who\":{");
    let wrote = match (ambient, param) {
        (None, None) => Caller::default().write_members(enc, user),
        (None, Some(p)) => p.write_members(enc, user),
        (Some(a), None) => a.lock().write_members(enc, user),
        (Some(a), Some(p)) => {
            let mut merged = a.caller();
            merged.overlay(p);
            merged.write_members(enc, user)
        }
    };
    if wrote {
        enc.raw(b"}");
    } else {
        enc.buf_mut().truncate(mark);
    }
}
