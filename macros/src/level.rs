//! Levels as the macros know them; generated code names the runtime's `Level`.

use proc_macro2::TokenStream;
use quote::quote;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Trace,
    Debug,
    Info,
    Warn,
    Error,
    Critical,
}

impl Level {
    pub const NAMES: &'static str = "trace, debug, info, warn, error, critical";

    pub fn parse(s: &str) -> Option<Level> {
        Some(match s.to_ascii_lowercase().as_str() {
            "trace" => Level::Trace,
            "debug" => Level::Debug,
            "info" => Level::Info,
            "warn" | "warning" => Level::Warn,
            "error" => Level::Error,
            "critical" => Level::Critical,
            _ => return None,
        })
    }

    /// The level a `"..."` literal names, or an error on it listing the levels.
    pub fn from_lit(lit: &syn::LitStr) -> syn::Result<Level> {
        Level::parse(&lit.value()).ok_or_else(|| {
            syn::Error::new(
                lit.span(),
                format!(
                    "unknown level {:?}; expected one of: {}",
                    lit.value(),
                    Level::NAMES
                ),
            )
        })
    }

    pub fn tokens(self, krate: &TokenStream) -> TokenStream {
        let variant = match self {
            Level::Trace => quote!(Trace),
            Level::Debug => quote!(Debug),
            Level::Info => quote!(Info),
            Level::Warn => quote!(Warn),
            Level::Error => quote!(Error),
            Level::Critical => quote!(Critical),
        };
        quote!(#krate::__private::Level::#variant)
    }
}
