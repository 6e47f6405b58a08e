//! `#[redact]` and `#[redact(strategy)]` on parameters and fields: parsed once here for both.

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::parse::Parser;
use syn::{Attribute, Ident, LitInt, Meta, Path, Result, Token};

const STRATEGIES: &str = "hash, first = N, last = N, email, ip, card, len, with = path";

/// How a redacted value is recorded.
#[derive(Clone)]
pub enum Strategy {
    /// `"[REDACTED]"`.
    Full,
    Hash,
    First(usize),
    Last(usize),
    Email,
    Ip,
    Card,
    Len,
    With(Path),
}

/// Parses a `#[redact]` / `#[redact(...)]` attribute.
pub fn parse(attr: &Attribute) -> Result<Strategy> {
    let list = match &attr.meta {
        Meta::Path(_) => return Ok(Strategy::Full),
        Meta::List(list) => list,
        Meta::NameValue(nv) => {
            return Err(syn::Error::new_spanned(
                nv,
                format!(
                    "expected `#[redact]` or `#[redact(<strategy>)]` with one of: {STRATEGIES}"
                ),
            ));
        }
    };
    let parser = |input: syn::parse::ParseStream| -> Result<Strategy> {
        let name: Ident = input.parse()?;
        let count = |input: syn::parse::ParseStream| -> Result<usize> {
            if !input.peek(Token![=]) {
                return Err(syn::Error::new(
                    name.span(),
                    format!(
                        "`{name}` needs a count of characters to keep: `#[redact({name} = 4)]`"
                    ),
                ));
            }
            input.parse::<Token![=]>()?;
            let n: LitInt = input.parse()?;
            match n.base10_parse::<usize>()? {
                0 => Err(syn::Error::new(
                    n.span(),
                    "keep at least one character, or use `#[redact]`",
                )),
                v => Ok(v),
            }
        };
        let strategy = match name.to_string().as_str() {
            "hash" => Strategy::Hash,
            "first" => Strategy::First(count(input)?),
            "last" => Strategy::Last(count(input)?),
            "email" => Strategy::Email,
            "ip" => Strategy::Ip,
            "card" => Strategy::Card,
            "len" => Strategy::Len,
            "with" => {
                input.parse::<Token![=]>()?;
                Strategy::With(input.parse()?)
            }
            other => {
                return Err(syn::Error::new(
                    name.span(),
                    format!("unknown redaction strategy `{other}`; expected one of: {STRATEGIES}"),
                ));
            }
        };
        if !input.is_empty() {
            return Err(input.error("expected one strategy: `#[redact(<strategy>)]`"));
        }
        Ok(strategy)
    };
    parser.parse2(list.tokens.clone())
}

impl Strategy {
    /// Code writing `value` (an expression of type `&T`) with this strategy into `out` (an
    /// `&mut Encoder`); spanned on the value's type so that a strategy that cannot apply to
    /// it is reported there.
    pub fn write(
        &self,
        k: &TokenStream,
        out: &Ident,
        value: &TokenStream,
        span: Span,
    ) -> TokenStream {
        let r = quote!(#k::__private::redact);
        match self {
            Strategy::Full => quote!(#out.redacted();),
            Strategy::Hash => quote_spanned!(span=> #r::text(#out, #value, "hash", #r::hash);),
            Strategy::Email => quote_spanned!(span=> #r::text(#out, #value, "email", #r::email);),
            Strategy::Card => quote_spanned!(span=> #r::text(#out, #value, "card", #r::card);),
            Strategy::First(n) => {
                quote_spanned!(span=> #r::text_n(#out, #value, #n, "first", #r::first);)
            }
            Strategy::Last(n) => {
                quote_spanned!(span=> #r::text_n(#out, #value, #n, "last", #r::last);)
            }
            Strategy::Ip => quote_spanned!(span=> #r::ip(#out, #value);),
            Strategy::Len => quote_spanned!(span=> #r::len(#out, #value);),
            // Through a closure, so that deref coercion lets `fn(&str)` take a `&String`.
            Strategy::With(path) => {
                quote_spanned!(span=> #r::with(#out, #value, |__seclog_v| #path(__seclog_v));)
            }
        }
    }
}
