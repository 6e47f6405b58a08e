//! Who: the caller of the current request, and the adapters that set it.

#[cfg(feature = "axum")]
pub mod axum;
pub mod context;
#[cfg(feature = "lambda")]
pub mod lambda;
