//! Parsing `#[security_logged(...)]` options. Every error is spanned on the offending token.

use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, quote};
use syn::meta::ParseNestedMeta;
use syn::parse::ParseStream;
use syn::spanned::Spanned;
use syn::{Attribute, Expr, Ident, LitStr, Path, Result, Token};

use crate::level::Level;
use crate::redact::{self, Strategy};
use crate::sensitive::{self, Site, Value};

/// How an `Err` is recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrMode {
    Loggable,
    Display,
    Debug,
    Skip,
}

pub struct Options {
    pub event: Option<LitStr>,
    pub level: Option<(Level, Span)>,
    pub who: Option<Expr>,
    pub skip: Vec<Ident>,
    pub ret_skip: Option<Span>,
    pub err: Option<(ErrMode, Span)>,
    pub fields: Vec<KeyValue>,
    pub krate: Option<Path>,
    /// Recorded whatever the level filter says: an audit event that must not be lost.
    pub mandatory: bool,
    /// The call's time budget in nanoseconds: a call over it is recorded at `WARN` or above.
    pub budget_ns: Option<u64>,
    /// `usage = "name"`: the call is counted for the caller under this usage.
    pub usage: Option<LitStr>,
    /// `units = <expr>`: how many units of the usage the call is (default 1).
    pub units: Option<Expr>,
}

const OPTIONS: &str =
    "event, level, mandatory, who, skip, ret, err, fields, budget, usage, units, crate";

impl Options {
    pub fn parse(args: TokenStream) -> Result<Options> {
        let mut opts = Options {
            event: None,
            level: None,
            who: None,
            skip: Vec::new(),
            ret_skip: None,
            err: None,
            fields: Vec::new(),
            krate: None,
            mandatory: false,
            budget_ns: None,
            usage: None,
            units: None,
        };
        let mut units_span = None;
        let mut seen: Vec<String> = Vec::new();
        let parser = syn::meta::parser(|meta| {
            let name = meta
                .path
                .get_ident()
                .map(|i| i.to_string())
                .unwrap_or_default();
            if seen.contains(&name) {
                return Err(meta.error(format!("duplicate option `{name}`")));
            }
            match name.as_str() {
                "event" => opts.event = Some(meta.value()?.parse()?),
                "level" => {
                    let lit: LitStr = meta.value()?.parse()?;
                    let level = Level::from_lit(&lit)?;
                    opts.level = Some((level, lit.span()));
                }
                "mandatory" => {
                    if !meta.input.is_empty() && !meta.input.peek(syn::Token![,]) {
                        return Err(meta.error(
                            "`mandatory` takes no value: write `#[security_logged(mandatory)]`",
                        ));
                    }
                    opts.mandatory = true;
                }
                "who" => opts.who = Some(meta.value()?.parse()?),
                "skip" => opts.skip = parse_idents(&meta)?,
                "ret" => {
                    let value: Ident = meta.value()?.parse()?;
                    if value != "skip" {
                        return Err(syn::Error::new(
                            value.span(),
                            "expected `ret = skip` (the return value is recorded unless skipped)",
                        ));
                    }
                    opts.ret_skip = Some(value.span());
                }
                "err" => {
                    let value: Ident = meta.value()?.parse()?;
                    let mode = match value.to_string().as_str() {
                        "display" => ErrMode::Display,
                        "debug" => ErrMode::Debug,
                        "skip" => ErrMode::Skip,
                        _ => {
                            return Err(syn::Error::new(
                                value.span(),
                                "expected `err = display`, `err = debug` or `err = skip`",
                            ));
                        }
                    };
                    opts.err = Some((
                        mode,
                        meta.path.get_ident().map_or(value.span(), Ident::span),
                    ));
                }
                "fields" => opts.fields = parse_fields(&meta)?,
                "budget" => opts.budget_ns = Some(parse_budget(&meta)?),
                "usage" => opts.usage = Some(parse_usage(&meta)?),
                "units" => {
                    units_span = Some(syn::spanned::Spanned::span(&meta.path));
                    opts.units = Some(meta.value()?.parse()?);
                }
                "crate" => {
                    let value = meta.value()?;
                    opts.krate = Some(if value.peek(LitStr) {
                        value.parse::<LitStr>()?.parse()?
                    } else {
                        value.parse()?
                    });
                }
                _ => {
                    return Err(meta.error(format!(
                        "unknown option `{}`; expected one of: {OPTIONS}",
                        meta.path.to_token_stream().to_string().replace(' ', "")
                    )));
                }
            }
            seen.push(name);
            Ok(())
        });
        syn::parse::Parser::parse2(parser, args)?;
        if let (Some(span), None) = (units_span, &opts.usage) {
            return Err(syn::Error::new(
                span,
                "`units` counts units of a usage: name it too, as in `usage = \"reports.export\", units = rows.len()`",
            ));
        }
        Ok(opts)
    }

    /// The path generated code uses to reach the runtime's `__private` module's parent.
    pub fn krate(&self) -> TokenStream {
        match &self.krate {
            Some(p) => p.to_token_stream(),
            None => quote!(::seclog),
        }
    }
}

/// `usage = "reports.export"`: a name as free-form event names are, `[a-z0-9_.:-]+`.
fn parse_usage(meta: &ParseNestedMeta) -> Result<LitStr> {
    let value = meta.value()?;
    let lit: LitStr = value.parse().map_err(|e| {
        syn::Error::new(
            e.span(),
            "`usage` takes the name of what is used, as a string: `usage = \"reports.export\"`",
        )
    })?;
    let name = lit.value();
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_alphanumeric())
        && name.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'_' | b'.' | b':' | b'-')
        });
    if !ok {
        return Err(syn::Error::new(
            lit.span(),
            format!(
                "`{name}` is not a usage name: use lower-case letters, digits and `_ . : -`, at most 64, starting with a letter or digit, as in `\"reports.export\"`"
            ),
        ));
    }
    Ok(lit)
}

/// `budget = "250ms"`: a duration string as `humantime` reads it, positive and finite.
fn parse_budget(meta: &ParseNestedMeta) -> Result<u64> {
    let lit: syn::Lit = meta.value()?.parse()?;
    let syn::Lit::Str(lit) = lit else {
        return Err(syn::Error::new(
            lit.span(),
            "`budget` takes a duration string with its unit: `budget = \"250ms\"`, `budget = \"3s\"`",
        ));
    };
    let duration = humantime::parse_duration(&lit.value()).map_err(|e| {
        syn::Error::new(
            lit.span(),
            format!(
                "`{}` is not a duration ({e}); write a number and a unit, as in `\"250ms\"`, `\"3s\"` or `\"1m 30s\"`",
                lit.value()
            ),
        )
    })?;
    match u64::try_from(duration.as_nanos()) {
        Ok(0) => Err(syn::Error::new(
            lit.span(),
            "a budget of zero puts every call over it; give a positive duration such as `\"250ms\"`",
        )),
        Ok(ns) => Ok(ns),
        Err(_) => Err(syn::Error::new(
            lit.span(),
            "this budget does not fit in 584 years of nanoseconds; give a shorter duration",
        )),
    }
}

fn parse_idents(meta: &ParseNestedMeta) -> Result<Vec<Ident>> {
    let mut idents: Vec<Ident> = Vec::new();
    meta.parse_nested_meta(|inner| {
        let ident = inner
            .path
            .get_ident()
            .cloned()
            .ok_or_else(|| inner.error("expected a parameter name"))?;
        if idents.contains(&ident) {
            return Err(inner.error(format!("`{ident}` is listed twice")));
        }
        idents.push(ident);
        Ok(())
    })?;
    Ok(idents)
}

fn parse_fields(meta: &ParseNestedMeta) -> Result<Vec<KeyValue>> {
    let content;
    syn::parenthesized!(content in meta.input);
    parse_key_values(&content)
}

/// How a `fields(...)` / `event!` value is recorded.
pub enum Decision {
    /// Through its `Loggable` form.
    Record,
    /// `#[public]`: through its `Loggable` form, not scanned.
    Public,
    /// `#[redact]` / `#[redact(strategy)]`.
    Redact(Strategy),
}

/// `key = value` in `fields(...)` or `event!`, with the decision written before the key.
pub struct KeyValue {
    pub key: Ident,
    pub value: Expr,
    pub decision: Decision,
}

/// `[#[redact(..)] | #[public]] key = value, ...` up to the end of `input`, a trailing comma
/// allowed. A key whose name looks like a secret or personal data needs a decision.
pub fn parse_key_values(input: ParseStream) -> Result<Vec<KeyValue>> {
    let mut out: Vec<KeyValue> = Vec::new();
    while !input.is_empty() {
        let attrs = input.call(Attribute::parse_outer)?;
        let key: Ident = input.parse()?;
        if out.iter().any(|kv| kv.key == key) {
            return Err(syn::Error::new(
                key.span(),
                format!("duplicate field `{key}`"),
            ));
        }
        if !input.peek(Token![=]) {
            return Err(syn::Error::new(
                key.span(),
                format!("expected `{key} = <expression>`"),
            ));
        }
        input.parse::<Token![=]>()?;
        let value: Expr = input.parse()?;
        let decision = key_decision(&attrs)?;
        if matches!(decision, Decision::Record) {
            if let Some(e) = sensitive::check(&key, Value::Expr(&value), Site::Key) {
                return Err(e);
            }
        }
        out.push(KeyValue {
            key,
            value,
            decision,
        });
        if input.is_empty() {
            break;
        }
        input.parse::<Token![,]>()?;
    }
    Ok(out)
}

fn key_decision(attrs: &[Attribute]) -> Result<Decision> {
    let mut decision = Decision::Record;
    let mut first: Option<&'static str> = None;
    for attr in attrs {
        let name = if attr.path().is_ident("redact") {
            decision = Decision::Redact(redact::parse(attr)?);
            "redact"
        } else if attr.path().is_ident("public") {
            attr.meta.require_path_only()?;
            decision = Decision::Public;
            "public"
        } else if attr.path().is_ident("skip") {
            return Err(syn::Error::new(
                attr.path().span(),
                "a key is not skipped: leave the key out instead",
            ));
        } else {
            return Err(syn::Error::new(
                attr.path().span(),
                "expected `#[redact]`, `#[redact(<strategy>)]` or `#[public]` before a key",
            ));
        };
        if let Some(first) = first {
            return Err(syn::Error::new(
                attr.path().span(),
                format!("`#[{name}]` conflicts with `#[{first}]` on the same key; keep one"),
            ));
        }
        first = Some(name);
    }
    Ok(decision)
}
