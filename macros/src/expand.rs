//! Code generation for `#[security_logged]`: parse → validate → expand.
//!
//! The user's function keeps its signature, attributes, docs and visibility. Its body runs
//! unchanged inside a `move` closure (or an `async move` block), so `return` and `?` keep their
//! meaning and errors in the body point at the user's code. Around it, generated code records
//! the inputs before the body runs and the outcome after; a panic or a cancelled future is
//! recorded by the invocation's `Drop`.

use proc_macro2::{Span, TokenStream, TokenTree};
use quote::{ToTokens, format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{
    AttrStyle, Block, GenericArgument, Ident, Item, ItemFn, PathArguments, Result, ReturnType, Type,
};

use crate::attr::{Decision, ErrMode, KeyValue, Options};
use crate::json;
use crate::level::Level;
use crate::params::{self, Binding, Mode};
use crate::redact::Strategy;
use crate::vocab::{self, EventError, EventNames};

pub fn security_logged(args: TokenStream, input: TokenStream) -> Result<TokenStream> {
    let opts = Options::parse(args)?;
    let mut func = parse_fn(input)?;
    let bindings = params::take(&mut func.sig, &opts.skip)?;
    let plan = Plan::validate(&opts, &func)?;
    Ok(expand(&opts, func, &bindings, &plan))
}

fn parse_fn(input: TokenStream) -> Result<ItemFn> {
    let item: Item = syn::parse2(input)?;
    let func = match item {
        Item::Fn(f) => f,
        Item::Verbatim(v) => {
            return Err(syn::Error::new_spanned(
                v,
                "#[security_logged] needs a function with a body",
            ));
        }
        other => {
            let kind = item_kind(&other);
            return Err(syn::Error::new(
                first_token_span(&other),
                format!(
                    "#[security_logged] goes on functions and methods, not on {kind}\n\
                     help: put it on the function whose calls should be recorded"
                ),
            ));
        }
    };
    if let Some(c) = &func.sig.constness {
        return Err(syn::Error::new(
            c.span,
            "#[security_logged] cannot wrap a `const fn`: a record is written at run time\n\
             help: remove `const`, or log the function that calls it",
        ));
    }
    if let Some(v) = &func.sig.variadic {
        return Err(syn::Error::new(
            v.dots.spans[0],
            "#[security_logged] cannot wrap a variadic function",
        ));
    }
    Ok(func)
}

fn item_kind(item: &Item) -> &'static str {
    match item {
        Item::Struct(_) => "a struct",
        Item::Enum(_) => "an enum",
        Item::Union(_) => "a union",
        Item::Impl(_) => "an impl block (put it on the methods inside)",
        Item::Trait(_) => "a trait",
        Item::Mod(_) => "a module",
        Item::Const(_) => "a const",
        Item::Static(_) => "a static",
        Item::Type(_) => "a type alias",
        Item::Use(_) => "a use declaration",
        Item::Macro(_) => "a macro invocation",
        _ => "this item",
    }
}

fn first_token_span(item: &Item) -> Span {
    match item {
        Item::Struct(s) => s.struct_token.span,
        Item::Enum(e) => e.enum_token.span,
        Item::Union(u) => u.union_token.span,
        Item::Impl(i) => i.impl_token.span,
        Item::Trait(t) => t.trait_token.span,
        Item::Mod(m) => m.mod_token.span,
        Item::Const(c) => c.const_token.span,
        Item::Static(s) => s.static_token.span,
        Item::Type(t) => t.type_token.span,
        Item::Use(u) => u.use_token.span,
        other => other.span(),
    }
}

/// What the return type means for the record.
enum Returns {
    /// `()` or no return type: no `output`.
    Unit,
    /// `Result<T, E>`: `output` from `Ok`, `error` from `Err`. Spans of `T` and `E`.
    Result {
        ok_is_unit: bool,
        ok_span: Span,
        err_span: Span,
    },
    /// Anything else: `output`.
    Value(Span),
}

/// The validated decisions of one expansion.
struct Plan {
    names: EventNames,
    levels: [Level; 4],
    returns: Returns,
    err: ErrMode,
}

impl Plan {
    fn validate(opts: &Options, func: &ItemFn) -> Result<Plan> {
        let names = match &opts.event {
            Some(lit) => vocab::resolve(&lit.value()).map_err(|e| event_error(lit, e))?,
            None => {
                let name = func
                    .sig
                    .ident
                    .to_string()
                    .trim_start_matches("r#")
                    .to_lowercase();
                vocab::resolve(&name).unwrap_or_else(|_| EventNames::single(&name, Level::Info))
            }
        };
        let success = opts.level.map_or(names.success_level, |(l, _)| l);
        let failure = opts
            .level
            .map_or(names.failure_level, |(l, _)| l)
            .max(Level::Warn);
        let levels = [success, failure, failure.max(Level::Error), success];

        let returns = match &func.sig.output {
            ReturnType::Default => Returns::Unit,
            ReturnType::Type(_, ty) if is_unit(ty) => Returns::Unit,
            ReturnType::Type(_, ty) => match result_args(ty) {
                Some((ok, err)) => Returns::Result {
                    ok_span: ok.map_or(ty.span(), Spanned::span),
                    err_span: err.map_or(ty.span(), Spanned::span),
                    ok_is_unit: ok.is_some_and(is_unit),
                },
                None => Returns::Value(ty.span()),
            },
        };
        let err = match opts.err {
            None => ErrMode::Loggable,
            Some((mode, span)) => {
                if !matches!(returns, Returns::Result { .. }) {
                    return Err(syn::Error::new(
                        span,
                        "`err` applies only to functions that return `Result`",
                    ));
                }
                mode
            }
        };
        Ok(Plan {
            names,
            levels,
            returns,
            err,
        })
    }
}

/// Code recording one `fields(...)` / `event!` value under its key, as its decision says.
pub(crate) fn field_write(k: &TokenStream, inv: &Ident, kv: &KeyValue) -> TokenStream {
    let name = json::key(kv.key.to_string().trim_start_matches("r#"));
    let expr = &kv.value;
    let out = format_ident!("__seclog_out");
    let value = quote!(__seclog_v);
    let write = match &kv.decision {
        Decision::Record => return quote_spanned!(expr.span()=> #inv.field(#name, &(#expr));),
        Decision::Public => quote_spanned!(expr.span()=> #out.public_value(#value);),
        Decision::Redact(Strategy::Full) => quote!(let _ = #value; #out.redacted();),
        Decision::Redact(strategy) => strategy.write(k, &out, &value, expr.span()),
    };
    let enc = quote!(#k::__private::Encoder<'_>);
    // `Invocation::field` takes a `Loggable`: the closure that writes the value becomes one.
    quote! {{
        struct __SeclogWith<F>(F);
        impl<F: ::core::ops::Fn(&mut #enc)> #k::__private::Loggable for __SeclogWith<F> {
            fn log(&self, #out: &mut #enc) {
                (self.0)(#out)
            }
        }
        fn __seclog_with<F: ::core::ops::Fn(&mut #enc)>(f: F) -> __SeclogWith<F> {
            __SeclogWith(f)
        }
        let #value = &(#expr);
        #inv.field(#name, &__seclog_with(|#out: &mut #enc| { #write }));
    }}
}

pub(crate) fn event_error(lit: &syn::LitStr, e: EventError) -> syn::Error {
    let msg = match e {
        EventError::Malformed => format!(
            "event name {:?} is not valid: use lower-case letters, digits and `_ . : -`",
            lit.value()
        ),
        EventError::Unknown { suggestion } => {
            let mut m = format!(
                "unknown security event {:?}: names under the OWASP vocabulary prefixes (authn_, authz_, session_, ...) must be in the vocabulary",
                lit.value()
            );
            if let Some(s) = suggestion {
                m.push_str(&format!("\nhelp: did you mean `{s}`?"));
            }
            m
        }
        EventError::Typo { suggestion } => {
            let value = lit.value();
            let meant = if suggestion.ends_with('_') {
                format!("an event under `{suggestion}`")
            } else {
                format!("`{suggestion}`")
            };
            format!(
                "{value:?} looks like a misspelling of the OWASP vocabulary: did you mean {meant}?\n\
                 help: a free-form event name must not be a near-miss of a vocabulary name or prefix \
                 (authn_, authz_, session_, ...); fix the spelling, or choose a name that is clearly \
                 your own (e.g. `orders.create`)"
            )
        }
        EventError::NotAStem { family } => format!(
            "{:?} is not a security event: it has no `_success` / `_fail` forms in the OWASP vocabulary\n\
             help: name the event itself: {}",
            lit.value(),
            family
                .iter()
                .map(|n| format!("\"{n}\""))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    syn::Error::new(lit.span(), msg)
}

fn is_unit(ty: &Type) -> bool {
    matches!(ty, Type::Tuple(t) if t.elems.is_empty())
}

/// `Some((T, E))` for a type spelled `Result<T, E>` (any path ending in `Result`, so
/// `io::Result<T>` too; a missing `E` is `None`).
fn result_args(ty: &Type) -> Option<(Option<&Type>, Option<&Type>)> {
    let Type::Path(p) = ty else { return None };
    let last = p.path.segments.last()?;
    if last.ident != "Result" {
        return None;
    }
    let PathArguments::AngleBracketed(args) = &last.arguments else {
        return None;
    };
    let mut types = args.args.iter().filter_map(|a| match a {
        GenericArgument::Type(t) => Some(t),
        _ => None,
    });
    Some((types.next(), types.next()))
}

/// Whether the type mentions `impl Trait`, which a `let` cannot name.
fn has_impl_trait(tokens: TokenStream) -> bool {
    tokens.into_iter().any(|tt| match tt {
        TokenTree::Ident(i) => i == "impl",
        TokenTree::Group(g) => has_impl_trait(g.stream()),
        _ => false,
    })
}

fn expand(opts: &Options, func: ItemFn, bindings: &[Binding], plan: &Plan) -> TokenStream {
    let k = opts.krate();
    let ItemFn {
        attrs,
        vis,
        modifiers: _,
        sig,
        block,
    } = func;
    let Block { brace_token, stmts } = *block;
    // syn keeps the body's inner attributes (`#![allow(...)]`) with the item's; they go back to
    // the top of the function body.
    let (inner_attrs, attrs): (Vec<_>, Vec<_>) = attrs
        .into_iter()
        .partition(|a| matches!(a.style, AttrStyle::Inner(_)));
    let body = quote_spanned!(brace_token.span=> { #(#stmts)* });

    let fn_name = sig.ident.to_string();
    let fn_name = fn_name.trim_start_matches("r#");
    let events = [
        &plan.names.success,
        &plan.names.failure,
        &plan.names.failure,
        &plan.names.cancelled,
    ];
    // The call site is made when its success or (for a `Result`) failure record passes the
    // level filter; the outcome's own level is checked again when the record is emitted.
    let gate = match plan.returns {
        Returns::Result { .. } => plan.levels[0].max(plan.levels[1]),
        _ => plan.levels[0],
    };
    // A call over its budget is recorded at `WARN` at least, whatever its outcome's level.
    let gate = if opts.budget_ns.is_some() {
        gate.max(Level::Warn)
    } else {
        gate
    }
    .tokens(&k);
    let budget_ns = opts.budget_ns.unwrap_or(0);
    let inv = format_ident!("__seclog_inv");
    // Usage is billing data: recorded whatever the level filter says.
    let mandatory = opts.mandatory || opts.usage.is_some();
    let usage = opts.usage.as_ref().map(|u| quote!(.with_usage(#u)));
    let units = opts
        .units
        .as_ref()
        .map(|e| quote_spanned!(e.span()=> #inv.set_units(#k::__private::Units::units(#e));));
    let levels = plan.levels.map(|l| l.tokens(&k));
    let line = quote_spanned!(sig.ident.span()=> ::core::line!());
    let file = quote_spanned!(sig.ident.span()=> ::core::file!());

    let who = match &opts.who {
        Some(who) => quote_spanned!(who.span()=>
            ::core::option::Option::Some(&(#who) as &dyn ::core::fmt::Display)
        ),
        None => quote!(::core::option::Option::None),
    };
    let caller = match bindings.iter().find(|b| b.mode == Mode::Caller) {
        Some(b) => {
            let ident = &b.ident;
            quote_spanned!(b.ty_span=>
                ::core::option::Option::Some(&#k::__private::Identify::caller(&#ident))
            )
        }
        None => quote!(::core::option::Option::None),
    };
    let who = quote!(#inv.identify(#who, #caller); #units);
    let inputs = bindings.iter().map(|b| {
        let name = json::key(b.ident.to_string().trim_start_matches("r#"));
        let ident = &b.ident;
        match b.mode {
            Mode::Skip | Mode::Caller => quote!(),
            Mode::Redact => match &b.strategy {
                Strategy::Full => quote!(#inv.input_redacted(#name);),
                strategy => {
                    let out = format_ident!("__seclog_out");
                    let value = quote_spanned!(b.ty_span=> &#ident);
                    let write = strategy.write(&k, &out, &value, b.ty_span);
                    quote!(#inv.input_with(#name, |#out| { #write });)
                }
            },
            Mode::Record if b.public => {
                quote_spanned!(b.ty_span=> #inv.input_public(#name, &#ident);)
            }
            Mode::Record => quote_spanned!(b.ty_span=> #inv.input(#name, &#ident);),
            Mode::Sql => quote_spanned!(b.ty_span=> #inv.input_sql(#name, &#ident);),
        }
    });
    let fields = opts.fields.iter().map(|kv| field_write(&k, &inv, kv));

    let ret_ty = match &sig.output {
        ReturnType::Type(_, ty) if !has_impl_trait(ty.to_token_stream()) => Some(ty),
        _ => None,
    };
    let annotation = ret_ty.map(|ty| quote!(: #ty));
    let ret = format_ident!("__seclog_ret");
    // A sync function's finish runs in a closure given the output by reference.
    let ret_ref = if sig.asyncness.is_some() {
        quote!(&#ret)
    } else {
        quote!(#ret)
    };
    let finish = match &plan.returns {
        Returns::Unit => quote!(#inv.finish_success();),
        Returns::Value(_) if opts.ret_skip.is_some() => quote!(#inv.finish_success();),
        // Spanned on the return type, so that an error about it points there.
        Returns::Value(span) if sig.asyncness.is_some() => {
            quote_spanned!(*span=> #inv.finish_output(&__seclog_ret);)
        }
        Returns::Value(span) => quote_spanned!(*span=> #inv.finish_output(&*__seclog_ret);),
        Returns::Result {
            ok_is_unit,
            ok_span,
            err_span,
        } => {
            let on_ok = if opts.ret_skip.is_some() || *ok_is_unit {
                quote!(#inv.finish_success())
            } else {
                quote_spanned!(*ok_span=> #inv.finish_output(__seclog_ok))
            };
            let on_err = match plan.err {
                ErrMode::Loggable => quote_spanned!(*err_span=> #inv.finish_error(__seclog_err)),
                ErrMode::Display => {
                    quote_spanned!(*err_span=> #inv.finish_error_display(__seclog_err))
                }
                ErrMode::Debug => quote_spanned!(*err_span=> #inv.finish_error_debug(__seclog_err)),
                ErrMode::Skip => quote!(#inv.finish_failure()),
            };
            quote! {
                match #ret_ref {
                    ::core::result::Result::Ok(__seclog_ok) => #on_ok,
                    ::core::result::Result::Err(__seclog_err) => #on_err,
                }
            }
        }
    };

    let start = if mandatory {
        quote!(::core::option::Option::Some(#k::__private::Invocation::start(&__SECLOG_CALLSITE)))
    } else {
        quote! {
            if #k::__private::enabled(#gate) {
                ::core::option::Option::Some(#k::__private::Invocation::start(&__SECLOG_CALLSITE))
            } else {
                ::core::option::Option::None
            }
        }
    };
    // The body's closure returns what the function does: lints about that type belong to the
    // function's signature, where the user sees them.
    let tail = if sig.asyncness.is_some() {
        quote! {
            let mut __seclog_slot = #start;
            if let ::core::option::Option::Some(#inv) = &mut __seclog_slot {
                #who
                #(#inputs)*
                #(#fields)*
                #inv.begin_body();
            }
            #[allow(clippy::result_large_err)]
            let #ret #annotation = async move #body.await;
            if let ::core::option::Option::Some(#inv) = &mut __seclog_slot {
                #finish
            }
            #ret
        }
    } else {
        // The body is written once, in a closure that first records the inputs when it is
        // given an invocation. A call the level filter turns off runs it at once, with none
        // (the recording folds away): no frame of the instrumented path, which lives in
        // `instrumented`, out of line.
        let fast_path = (!mandatory).then(|| {
            quote! {
                if !#k::__private::enabled(#gate) {
                    return __seclog_body(::core::option::Option::None);
                }
            }
        });
        quote! {
            #[allow(clippy::result_large_err)]
            let __seclog_body = #k::__private::body(
                move |__seclog_record: ::core::option::Option<&mut #k::__private::Invocation>| {
                    if let ::core::option::Option::Some(#inv) = __seclog_record {
                        #who
                        #(#inputs)*
                        #(#fields)*
                        #inv.begin_body();
                    }
                    #body
                },
            );
            #fast_path
            #[allow(clippy::result_large_err)]
            let #ret #annotation = #k::__private::instrumented(
                &__SECLOG_CALLSITE,
                __seclog_body,
                |#inv: &mut #k::__private::Invocation, #ret| {
                    #finish
                },
            );
            #ret
        }
    };

    quote! {
        #(#attrs)*
        #vis #sig {
            #(#inner_attrs)*
            static __SECLOG_CALLSITE: #k::__private::Callsite =
                #k::__private::Callsite::new(#k::__private::CallsiteMeta {
                    fn_path: ::core::concat!(::core::module_path!(), "::", #fn_name),
                    file: #file,
                    line: #line,
                    events: [#(#events),*],
                    levels: [#(#levels),*],
                    mandatory: #mandatory,
                }).with_budget_ns(#budget_ns)#usage;
            #tail
        }
    }
}
