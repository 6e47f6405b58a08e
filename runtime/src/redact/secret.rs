//! `Secret<T>`: a value that is a secret by its type.

use std::fmt;

/// A value that is a secret by its type: recorded as `"[REDACTED]"` wherever it appears, and
/// printed as `[REDACTED]` by `Debug` and `Display`. Read it with [`expose`](Secret::expose).
///
/// A field or parameter of type `Secret<_>` passes the sensitive-name check without
/// `#[redact]`: its type already says what to do.
///
/// ```
/// use seclog::{Redact, Secret};
///
/// #[derive(Redact)]
/// struct Login {
///     user: String,
///     password: Secret<String>,
/// }
///
/// let login = Login { user: "ann".into(), password: Secret::new("hunter2".into()) };
/// assert_eq!(login.password.expose(), "hunter2");
/// assert_eq!(format!("{:?}", login.password), "Secret([REDACTED])");
/// assert_eq!(seclog::to_json(&login), r#"{"user":"ann","password":"[REDACTED]"}"#);
/// ```
///
/// It deserializes like `T` (so request types can hold it) and does not implement
/// `Serialize`, so it cannot be written out by accident. For memory that is zeroed on drop,
/// use the `secrecy` crate's types (feature `secrecy`), which are `Loggable` the same way.
#[derive(Clone, Default, PartialEq, Eq, Hash)]
pub struct Secret<T>(T);

impl<T> Secret<T> {
    /// Wraps a secret.
    pub fn new(value: T) -> Self {
        Secret(value)
    }

    /// The secret itself.
    pub fn expose(&self) -> &T {
        &self.0
    }

    /// Unwraps the secret.
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> From<T> for Secret<T> {
    fn from(value: T) -> Self {
        Secret(value)
    }
}

impl<T> fmt::Debug for Secret<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([REDACTED])")
    }
}

impl<T> fmt::Display for Secret<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(super::REDACTED)
    }
}

impl<'de, T: serde::Deserialize<'de>> serde::Deserialize<'de> for Secret<T> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        T::deserialize(d).map(Secret)
    }
}
