//! Procedural macros of [seclog](https://docs.rs/seclog): `#[security_logged]` and
//! `#[derive(Redact)]`. Use them through the `seclog` crate, which documents them.

mod attr;
mod derive;
mod event;
mod expand;
mod json;
mod level;
mod params;
mod redact;
mod sensitive;
mod vocab;

use proc_macro::TokenStream;

/// Records every call of a function as one security record. See the `seclog` crate.
#[proc_macro_attribute]
pub fn security_logged(args: TokenStream, input: TokenStream) -> TokenStream {
    let input2: proc_macro2::TokenStream = input.clone().into();
    match expand::security_logged(args.into(), input2) {
        Ok(tokens) => tokens.into(),
        // Keep the function as written next to the error, so that the error is the only one.
        Err(e) => {
            let mut out: proc_macro2::TokenStream = strip_param_attrs(input);
            out.extend(e.to_compile_error());
            out.into()
        }
    }
}

/// Emits one security record for an event that no wrapped function produces. See the
/// `seclog` crate.
#[proc_macro]
pub fn event(input: TokenStream) -> TokenStream {
    event::event(input.into())
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

/// Decides how a type is recorded. See the `seclog` crate.
#[proc_macro_derive(Redact, attributes(redact, seclog))]
pub fn derive_redact(input: TokenStream) -> TokenStream {
    derive::derive(input.into())
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

/// The function as written, minus seclog's parameter attributes (which rustc would reject).
fn strip_param_attrs(input: TokenStream) -> proc_macro2::TokenStream {
    match syn::parse::<syn::ItemFn>(input.clone()) {
        Ok(mut f) => {
            for arg in &mut f.sig.inputs {
                let attrs = match arg {
                    syn::FnArg::Receiver(r) => &mut r.attrs,
                    syn::FnArg::Typed(t) => &mut t.attrs,
                };
                attrs.retain(|a| {
                    !["skip", "redact", "public", "caller", "sql"]
                        .iter()
                        .any(|n| a.path().is_ident(n))
                });
            }
            quote::ToTokens::into_token_stream(f)
        }
        Err(_) => input.into(),
    }
}
