//! Parameters: which are recorded and how, from parameter attributes (`#[skip]`, `#[redact]`,
//! `#[public]`, `#[caller]`, `#[sql]`) and the `skip(...)` option. The attributes are removed from the signature.

use proc_macro2::Span;
use syn::spanned::Spanned;
use syn::{Attribute, FnArg, Ident, Pat, Result, Signature, Type};

use crate::redact::{self, Strategy};
use crate::sensitive::{self, Site, Value, is_secret_type};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Recorded with its `Loggable` form.
    Record,
    /// Recorded as `"[REDACTED]"`.
    Redact,
    /// Not recorded.
    Skip,
    /// Not recorded as an input: it identifies the caller (`#[caller]`).
    Caller,
    /// SQL text, recorded by its shape only (`#[sql]`).
    Sql,
}

/// One name a parameter binds: `req` in `req: Req`, or `a` and `b` in `(a, b): (u8, u8)`.
pub struct Binding {
    pub ident: Ident,
    /// Where errors about the value's type point: the parameter's type.
    pub ty_span: Span,
    pub mode: Mode,
    /// Marked `#[public]`: a sensitive-looking name whose value is not secret.
    pub public: bool,
    /// How a `Mode::Redact` value is recorded.
    pub strategy: Strategy,
    /// The parameter's type is a secret type (`Secret<_>`): its name may look sensitive.
    pub secret_type: bool,
    /// The binding's own type when the pattern shows it (`a` in `(a, b): (u8, String)`).
    pub ty: Option<syn::Type>,
}

/// Collects the bindings of `sig`'s parameters and strips seclog's attributes from them.
pub fn take(sig: &mut Signature, skip: &[Ident]) -> Result<Vec<Binding>> {
    let mut bindings = Vec::new();
    let mut errors: Option<syn::Error> = None;
    let mut push_err = |e: syn::Error| match &mut errors {
        Some(all) => all.combine(e),
        None => errors = Some(e),
    };
    for arg in &mut sig.inputs {
        match arg {
            FnArg::Receiver(r) => {
                // `self` is never recorded; `#[skip]` on it is accepted and changes nothing.
                if let Err(e) = take_attrs(&mut r.attrs) {
                    push_err(e);
                }
            }
            FnArg::Typed(pt) => {
                let attrs = match take_attrs(&mut pt.attrs) {
                    Ok(a) => a,
                    Err(e) => {
                        push_err(e);
                        continue;
                    }
                };
                let mut idents = Vec::new();
                collect_idents(&pt.pat, Some(&pt.ty), &mut idents);
                if attrs.mode == Mode::Caller {
                    if !matches!(&*pt.pat, Pat::Ident(_)) {
                        push_err(syn::Error::new(
                            pt.pat.span(),
                            "`#[caller]` needs a parameter with a plain name",
                        ));
                        continue;
                    }
                    if let Some(first) = bindings.iter().find(|b: &&Binding| b.mode == Mode::Caller)
                    {
                        push_err(syn::Error::new(
                            pt.pat.span(),
                            format!(
                                "only one parameter can be `#[caller]`; `{}` already is",
                                first.ident
                            ),
                        ));
                        continue;
                    }
                }
                for (ident, ty) in idents {
                    bindings.push(Binding {
                        ident,
                        ty_span: pt.ty.span(),
                        mode: attrs.mode,
                        public: attrs.public,
                        strategy: attrs.strategy.clone(),
                        secret_type: is_secret_type(&pt.ty),
                        ty: ty.cloned(),
                    });
                }
            }
        }
    }
    for name in skip {
        match bindings.iter_mut().find(|b| b.ident == *name) {
            Some(b) if b.mode == Mode::Caller => {}
            Some(b) => b.mode = Mode::Skip,
            None => push_err(syn::Error::new(
                name.span(),
                format!("`skip({name})`: this function has no parameter named `{name}`"),
            )),
        }
    }
    for b in &bindings {
        if b.mode == Mode::Record && !b.public && !b.secret_type {
            let value = b.ty.as_ref().map_or(Value::Unknown, Value::Type);
            if let Some(e) = sensitive::check(&b.ident, value, Site::Param) {
                push_err(e);
            }
        }
    }
    match errors {
        Some(e) => Err(e),
        None => Ok(bindings),
    }
}

struct ParamAttrs {
    mode: Mode,
    public: bool,
    strategy: Strategy,
}

/// Removes `#[skip]`, `#[redact]`, `#[public]`, `#[caller]` and `#[sql]` from `attrs`,
/// keeping any others.
fn take_attrs(attrs: &mut Vec<Attribute>) -> Result<ParamAttrs> {
    let mut out = ParamAttrs {
        mode: Mode::Record,
        public: false,
        strategy: Strategy::Full,
    };
    let mut seen: Option<(&'static str, Span)> = None;
    let mut kept = Vec::with_capacity(attrs.len());
    for attr in attrs.drain(..) {
        let name = if attr.path().is_ident("skip") {
            "skip"
        } else if attr.path().is_ident("redact") {
            "redact"
        } else if attr.path().is_ident("public") {
            "public"
        } else if attr.path().is_ident("caller") {
            "caller"
        } else if attr.path().is_ident("sql") {
            "sql"
        } else {
            kept.push(attr);
            continue;
        };
        if let Some((first, _)) = seen {
            return Err(syn::Error::new(
                attr.span(),
                format!("`#[{name}]` conflicts with `#[{first}]` on the same parameter; keep one"),
            ));
        }
        seen = Some((name, attr.span()));
        match name {
            "skip" => {
                attr.meta.require_path_only()?;
                out.mode = Mode::Skip;
            }
            "redact" => {
                out.strategy = redact::parse(&attr)?;
                out.mode = Mode::Redact;
            }
            "caller" => {
                attr.meta.require_path_only()?;
                out.mode = Mode::Caller;
            }
            "sql" => {
                attr.meta.require_path_only()?;
                out.mode = Mode::Sql;
            }
            _ => {
                attr.meta.require_path_only()?;
                out.public = true;
            }
        }
    }
    *attrs = kept;
    Ok(out)
}

/// The names a pattern binds, in order, each with its type where the pattern lines up with
/// the declared type (a plain name, a tuple, a reference); `None` inside struct patterns.
fn collect_idents<'a>(
    pat: &'a Pat,
    ty: Option<&'a Type>,
    out: &mut Vec<(Ident, Option<&'a Type>)>,
) {
    let ty = ty.map(peel);
    match pat {
        Pat::Ident(p) => {
            out.push((p.ident.clone(), ty));
            if let Some((_, sub)) = &p.subpat {
                collect_idents(sub, ty, out);
            }
        }
        Pat::Tuple(p) => {
            let elems = match ty {
                Some(Type::Tuple(t)) if t.elems.len() == p.elems.len() => {
                    t.elems.iter().map(Some).collect()
                }
                _ => vec![None; p.elems.len()],
            };
            for (e, t) in p.elems.iter().zip(elems) {
                collect_idents(e, t, out);
            }
        }
        Pat::TupleStruct(p) => p.elems.iter().for_each(|e| collect_idents(e, None, out)),
        Pat::Struct(p) => p
            .fields
            .iter()
            .for_each(|f| collect_idents(&f.pat, None, out)),
        Pat::Slice(p) => {
            let elem = match ty {
                Some(Type::Slice(s)) => Some(&*s.elem),
                Some(Type::Array(a)) => Some(&*a.elem),
                _ => None,
            };
            p.elems.iter().for_each(|e| collect_idents(e, elem, out));
        }
        Pat::Reference(p) => {
            let inner = match ty {
                Some(Type::Reference(r)) => Some(&*r.elem),
                _ => None,
            };
            collect_idents(&p.pat, inner, out);
        }
        Pat::Paren(p) => collect_idents(&p.pat, ty, out),
        Pat::Type(p) => collect_idents(&p.pat, Some(&p.ty), out),
        _ => {}
    }
}

/// `T` for `(T)` and invisible groups, so that patterns line up with the type.
fn peel(ty: &Type) -> &Type {
    match ty {
        Type::Paren(p) => peel(&p.elem),
        Type::Group(g) => peel(&g.elem),
        _ => ty,
    }
}
