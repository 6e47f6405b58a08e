//! `#[derive(Redact)]`: a `Loggable` impl that records a type field by field, with each
//! field's redaction decided in its attributes. Parse → validate → expand.

use proc_macro2::{Span, TokenStream, TokenTree};
use quote::{ToTokens, format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Attribute, Data, DeriveInput, Fields, Ident, LitStr, Path, Result, Type};

use crate::json;
use crate::redact::{self, Strategy};
use crate::sensitive::{self, Site, Value, is_secret_type};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FieldMode {
    Record,
    Redact,
    Skip,
    Serde,
}

struct Field {
    /// `name` for named fields, the index for tuple fields.
    member: syn::Member,
    ty: Type,
    mode: FieldMode,
    /// How a `FieldMode::Redact` field is recorded.
    strategy: Strategy,
    /// Marked `#[seclog(public)]`: not scanned for secrets.
    public: bool,
}

pub fn derive(input: TokenStream) -> Result<TokenStream> {
    let input: DeriveInput = syn::parse2(input)?;
    let krate = container_crate(&input.attrs)?;
    let k = krate.map_or_else(|| quote!(::seclog), |p| p.to_token_stream());

    let name = &input.ident;
    let mut bounded: Vec<(Ident, FieldMode)> = Vec::new();
    let params: Vec<Ident> = input
        .generics
        .type_params()
        .map(|p| p.ident.clone())
        .collect();
    let mut note_bounds = |fields: &[Field]| {
        for f in fields {
            if matches!(f.mode, FieldMode::Record | FieldMode::Serde) {
                for p in &params {
                    if mentions(f.ty.to_token_stream(), p)
                        && !bounded.contains(&(p.clone(), f.mode))
                    {
                        bounded.push((p.clone(), f.mode));
                    }
                }
            }
        }
    };

    let out = format_ident!("__seclog_out");
    let body = match &input.data {
        Data::Struct(s) => {
            let fields = parse_fields(&s.fields)?;
            note_bounds(&fields);
            let access = fields
                .iter()
                .map(|f| {
                    let m = &f.member;
                    quote_spanned!(f.ty.span()=> &self.#m)
                })
                .collect::<Vec<_>>();
            encode_fields(&k, &out, &s.fields, &fields, &access)
        }
        Data::Enum(e) => {
            let mut arms = Vec::new();
            for v in &e.variants {
                let fields = parse_fields(&v.fields)?;
                note_bounds(&fields);
                let vname = &v.ident;
                let vname_str = vname.to_string();
                let vname_str = vname_str.trim_start_matches("r#");
                let bind: Vec<Ident> = (0..fields.len())
                    .map(|i| format_ident!("__seclog_f{}", i))
                    .collect();
                let access: Vec<TokenStream> = bind.iter().map(|b| quote!(#b)).collect();
                let members = fields.iter().map(|f| &f.member);
                let pattern = match &v.fields {
                    Fields::Named(_) => quote!(Self::#vname { #(#members: #bind),* }),
                    Fields::Unnamed(_) => quote!(Self::#vname ( #(#bind),* )),
                    Fields::Unit => quote!(Self::#vname),
                };
                let payload = encode_fields(&k, &out, &v.fields, &fields, &access);
                arms.push(quote! {
                    #[allow(unused_variables)]
                    #pattern => {
                        let mut __seclog_obj = #out.object();
                        __seclog_obj.field_with(#vname_str, |#out| { #payload });
                    }
                });
            }
            if arms.is_empty() {
                quote!(match *self {})
            } else {
                quote!(match self { #(#arms)* })
            }
        }
        Data::Union(u) => {
            return Err(syn::Error::new(
                u.union_token.span,
                "#[derive(Redact)] does not support unions: which field is live is unknown; implement `seclog::Loggable` by hand",
            ));
        }
    };

    let (impl_generics, ty_generics, where_clause) = input.generics.split_for_impl();
    let mut where_clause = where_clause
        .cloned()
        .unwrap_or_else(|| syn::parse_quote!(where));
    for (p, mode) in bounded {
        where_clause.predicates.push(match mode {
            FieldMode::Serde => syn::parse_quote!(#p: #k::__private::serde::Serialize),
            _ => syn::parse_quote!(#p: #k::__private::Loggable),
        });
    }
    Ok(quote! {
        #[automatically_derived]
        impl #impl_generics #k::__private::Loggable for #name #ty_generics #where_clause {
            fn log(&self, #out: &mut #k::__private::Encoder<'_>) {
                #body
            }
        }
    })
}

/// Writes a struct's or variant's fields: named → object, one tuple field → the field itself,
/// several → array, unit → `null`.
fn encode_fields(
    k: &TokenStream,
    out: &Ident,
    shape: &Fields,
    fields: &[Field],
    access: &[TokenStream],
) -> TokenStream {
    match shape {
        Fields::Named(_) => {
            let writes = fields.iter().zip(access).map(|(f, a)| {
                let key = json::key(&match &f.member {
                    syn::Member::Named(i) => i.to_string().trim_start_matches("r#").to_owned(),
                    syn::Member::Unnamed(i) => i.index.to_string(),
                });
                match f.mode {
                    FieldMode::Skip => quote!(),
                    FieldMode::Redact => match &f.strategy {
                        Strategy::Full => quote!(__seclog_obj.__redacted_encoded(#key);),
                        strategy => {
                            let write = strategy.write(k, out, a, f.ty.span());
                            quote!(__seclog_obj.__field_encoded_with(#key, |#out| { #write });)
                        }
                    },
                    FieldMode::Record if f.public => quote_spanned!(f.ty.span()=>
                        __seclog_obj.__field_encoded_public(#key, #a);
                    ),
                    FieldMode::Record => {
                        quote_spanned!(f.ty.span()=> __seclog_obj.__field_encoded(#key, #a);)
                    }
                    FieldMode::Serde => quote_spanned!(f.ty.span()=>
                        __seclog_obj.__field_encoded(#key, &#k::__private::SerdeValue(#a));
                    ),
                }
            });
            quote! {
                let mut __seclog_obj = #out.object();
                #(#writes)*
            }
        }
        Fields::Unnamed(_) if fields.len() == 1 => {
            let (f, a) = (&fields[0], &access[0]);
            match f.mode {
                FieldMode::Skip => quote!(#out.null();),
                FieldMode::Redact => f.strategy.write(k, out, a, f.ty.span()),
                FieldMode::Record => quote_spanned!(f.ty.span()=> #out.value(#a);),
                FieldMode::Serde => {
                    quote_spanned!(f.ty.span()=> #out.value(&#k::__private::SerdeValue(#a));)
                }
            }
        }
        Fields::Unnamed(_) => {
            let writes = fields.iter().zip(access).map(|(f, a)| match f.mode {
                FieldMode::Skip => quote!(),
                FieldMode::Redact => match &f.strategy {
                    Strategy::Full => quote!(__seclog_arr.redacted_item();),
                    strategy => {
                        let write = strategy.write(k, out, a, f.ty.span());
                        quote!(__seclog_arr.item_with(|#out| { #write });)
                    }
                },
                FieldMode::Record => quote_spanned!(f.ty.span()=> __seclog_arr.item(#a);),
                FieldMode::Serde => quote_spanned!(f.ty.span()=>
                    __seclog_arr.item(&#k::__private::SerdeValue(#a));
                ),
            });
            quote! {
                let mut __seclog_arr = #out.array();
                #(#writes)*
            }
        }
        Fields::Unit => quote!(#out.null();),
    }
}

fn parse_fields(fields: &Fields) -> Result<Vec<Field>> {
    let mut out = Vec::new();
    let mut errors: Option<syn::Error> = None;
    for (i, f) in fields.iter().enumerate() {
        let member = match &f.ident {
            Some(id) => syn::Member::Named(id.clone()),
            None => syn::Member::Unnamed(syn::Index {
                index: i as u32,
                span: f.ty.span(),
            }),
        };
        match field_mode(&f.attrs) {
            Ok((mode, public, strategy)) => {
                let exempt = public || is_secret_type(&f.ty);
                if let (Some(id), FieldMode::Record | FieldMode::Serde, false) =
                    (&f.ident, mode, exempt)
                {
                    if let Some(e) = sensitive::check(id, Value::Type(&f.ty), Site::Field) {
                        match &mut errors {
                            Some(all) => all.combine(e),
                            None => errors = Some(e),
                        }
                    }
                }
                out.push(Field {
                    member,
                    ty: f.ty.clone(),
                    mode,
                    strategy,
                    public,
                });
            }
            Err(e) => match &mut errors {
                Some(all) => all.combine(e),
                None => errors = Some(e),
            },
        }
    }
    match errors {
        Some(e) => Err(e),
        None => Ok(out),
    }
}

/// A field's mode, whether it is marked `public`, and its redaction strategy, from
/// `#[redact]` and `#[seclog(...)]`.
fn field_mode(attrs: &[Attribute]) -> Result<(FieldMode, bool, Strategy)> {
    let mut mode: Option<(FieldMode, &'static str, Span)> = None;
    let mut public = false;
    let mut strategy = Strategy::Full;
    let mut set = |new: FieldMode, name: &'static str, span: Span| -> Result<()> {
        if let Some((_, first, _)) = mode {
            return Err(syn::Error::new(
                span,
                format!("`{name}` conflicts with `{first}` on the same field; keep one"),
            ));
        }
        mode = Some((new, name, span));
        Ok(())
    };
    for attr in attrs {
        if attr.path().is_ident("redact") {
            strategy = redact::parse(attr)?;
            set(FieldMode::Redact, "#[redact]", attr.span())?;
        } else if attr.path().is_ident("seclog") {
            attr.parse_nested_meta(|meta| {
                let span = meta.path.span();
                if meta.path.is_ident("skip") {
                    set(FieldMode::Skip, "#[seclog(skip)]", span)
                } else if meta.path.is_ident("serde") {
                    set(FieldMode::Serde, "#[seclog(serde)]", span)
                } else if meta.path.is_ident("public") {
                    public = true;
                    Ok(())
                } else {
                    Err(meta.error(
                        "unknown field option; expected `#[seclog(skip)]`, `#[seclog(public)]` or `#[seclog(serde)]`",
                    ))
                }
            })?;
        }
    }
    Ok((mode.map_or(FieldMode::Record, |m| m.0), public, strategy))
}

/// `#[seclog(crate = "path")]` on the type.
fn container_crate(attrs: &[Attribute]) -> Result<Option<Path>> {
    let mut krate = None;
    for attr in attrs.iter().filter(|a| a.path().is_ident("seclog")) {
        attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("crate") {
                let lit: LitStr = meta.value()?.parse()?;
                krate = Some(lit.parse()?);
                Ok(())
            } else {
                Err(meta.error("unknown option; expected `#[seclog(crate = \"path\")]`"))
            }
        })?;
    }
    Ok(krate)
}

/// Whether `ident` appears in `tokens` (a type parameter used in a field's type).
fn mentions(tokens: TokenStream, ident: &Ident) -> bool {
    tokens.into_iter().any(|tt| match tt {
        TokenTree::Ident(i) => i == *ident,
        TokenTree::Group(g) => mentions(g.stream(), ident),
        _ => false,
    })
}
