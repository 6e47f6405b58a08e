//! `event!("name", key = value, ...)`: one security record for an event that no wrapped
//! function produces. Parse → validate → expand, like `#[security_logged]`.

use proc_macro2::TokenStream;
use quote::{ToTokens, quote};
use syn::parse::{Parse, ParseStream};
use syn::{Ident, LitStr, Path, Result, Token};

use crate::attr::{self, KeyValue};
use crate::level::Level;
use crate::vocab;

struct EventInput {
    krate: Option<Path>,
    level: Option<(Level, proc_macro2::Span)>,
    failure: Option<bool>,
    mandatory: bool,
    name: LitStr,
    fields: Vec<KeyValue>,
}

impl Parse for EventInput {
    fn parse(input: ParseStream) -> Result<Self> {
        // Options come before the name: `crate = path`, `level = "..."`, `outcome = "..."`,
        // `mandatory`.
        let (mut krate, mut level, mut failure, mut mandatory) = (None, None, None, false);
        while !input.peek(LitStr) && !input.is_empty() {
            if input.peek(Ident) && !input.peek2(Token![=]) {
                let key: Ident = input.parse()?;
                if key != "mandatory" {
                    return Err(syn::Error::new(
                        key.span(),
                        "expected the event name as a string literal: `event!(\"authz_fail\", key = value, ...)`; the one option without a value is `mandatory`",
                    ));
                }
                mandatory = true;
            } else if input.peek(Token![crate]) {
                input.parse::<Token![crate]>()?;
                input.parse::<Token![=]>()?;
                krate = Some(Path::parse_mod_style(input)?);
            } else {
                if !input.peek2(Token![=]) {
                    return Err(input.error(
                        "expected the event name as a string literal: `event!(\"authz_fail\", key = value, ...)`",
                    ));
                }
                let key: Ident = input.parse()?;
                input.parse::<Token![=]>()?;
                let lit: LitStr = input.parse()?;
                match key.to_string().as_str() {
                    "level" => {
                        let l = Level::from_lit(&lit)?;
                        level = Some((l, lit.span()));
                    }
                    "outcome" => {
                        failure = Some(match lit.value().as_str() {
                            "success" => false,
                            "failure" => true,
                            _ => {
                                return Err(syn::Error::new(
                                    lit.span(),
                                    "expected `outcome = \"success\"` or `outcome = \"failure\"`",
                                ));
                            }
                        });
                    }
                    _ => {
                        return Err(syn::Error::new(
                            key.span(),
                            format!(
                                "unknown option `{key}`; before the event name go `level = \"..\"`, `outcome = \"..\"` and `mandatory`"
                            ),
                        ));
                    }
                }
            }
            input.parse::<Token![,]>()?;
        }
        let name: LitStr = input.parse().map_err(|e| {
            syn::Error::new(
                e.span(),
                "expected the event name as a string literal: `event!(\"authz_fail\", key = value, ...)`",
            )
        })?;
        let fields = if input.is_empty() {
            Vec::new()
        } else {
            input.parse::<Token![,]>()?;
            attr::parse_key_values(input)?
        };
        Ok(EventInput {
            krate,
            level,
            failure,
            mandatory,
            name,
            fields,
        })
    }
}

pub fn event(input: TokenStream) -> Result<TokenStream> {
    let EventInput {
        krate,
        level,
        failure,
        mandatory,
        name,
        fields,
    } = syn::parse2(input)?;
    let value = name.value();
    let names = vocab::resolve(&value).map_err(|e| crate::expand::event_error(&name, e))?;
    if names.success != names.failure && names.success != value {
        return Err(syn::Error::new(
            name.span(),
            format!(
                "`{value}` is a stem, not an event: name what happened, \"{}\" or \"{}\"",
                names.success, names.failure
            ),
        ));
    }
    // An event is the thing that happened: a `_fail` event records a failure.
    let failed = failure.unwrap_or_else(|| value.contains("_fail"));
    let level = level.map_or(names.success_level, |(l, _)| l);
    let record_level = if failed {
        level.max(Level::Warn)
    } else {
        level
    };
    let k = krate.map_or_else(|| quote!(::seclog), |p| p.to_token_stream());
    let levels = [
        level,
        level.max(Level::Warn),
        level.max(Level::Error),
        level,
    ]
    .map(|l| l.tokens(&k));
    let events = [&value, &value, &value, &value];
    let inv = quote::format_ident!("__seclog_inv");
    let writes = fields
        .iter()
        .map(|kv| crate::expand::field_write(&k, &inv, kv));
    let finish = if failed {
        quote!(__seclog_inv.finish_failure();)
    } else {
        quote!(__seclog_inv.finish_success();)
    };
    let gate = if mandatory {
        quote!(true)
    } else {
        let l = record_level.tokens(&k);
        quote!(#k::__private::enabled(#l))
    };
    Ok(quote! { if #gate {
        static __SECLOG_CALLSITE: #k::__private::Callsite =
            #k::__private::Callsite::new(#k::__private::CallsiteMeta {
                fn_path: ::core::module_path!(),
                file: ::core::file!(),
                line: ::core::line!(),
                events: [#(#events),*],
                levels: [#(#levels),*],
                mandatory: #mandatory,
            }).event_site();
        // In a `#[track_caller]` helper, the location is the helper's caller.
        let mut __seclog_inv = #k::__private::Invocation::start_at(
            &__SECLOG_CALLSITE,
            ::core::panic::Location::caller(),
        );
        __seclog_inv.identify(::core::option::Option::None, ::core::option::Option::None);
        #(#writes)*
        #finish
    }})
}
