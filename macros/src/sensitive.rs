//! The name checks: a value whose name says it is a secret or personal data must carry a
//! decision (redacted, skipped or declared public), or the code does not compile. One check
//! and one message serve parameters, `#[derive(Redact)]` fields and `event!` / `fields(...)`
//! keys.

use syn::{Expr, Ident, Type};

/// What a name says its value is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A credential: password, token, key, card data.
    Secret,
    /// An identity or account number (`ssn`, `passport`, `tax_id`, `iban`, `national_id`):
    /// personal data whatever its type, since the number itself identifies the person.
    Identity,
    /// Personal data held as text (`email`, `phone`, `address`, `date_of_birth`, ...): a `bool`
    /// or a count under such a name (`email_verified`, `phone_count`) is not.
    Personal,
}

/// Where a checked name comes from; decides how the fixes are spelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Site {
    /// A parameter of a `#[security_logged]` function.
    Param,
    /// A named field of a `#[derive(Redact)]` type.
    Field,
    /// A key of `event!(..)` or `fields(..)`.
    Key,
}

/// What is known of the checked value's type.
#[derive(Clone, Copy)]
pub enum Value<'a> {
    /// A parameter's or field's declared type.
    Type(&'a Type),
    /// An `event!` / `fields(...)` value: its type is judged from the expression's form.
    Expr(&'a Expr),
    /// Not known (a binding inside a struct pattern): treated as text.
    Unknown,
}

/// Why a name was flagged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Finding {
    pub kind: Kind,
    /// The term found in the name, as the message shows it.
    pub term: &'static str,
}

/// The one check: the error for `name` when it looks like a secret or personal data and its
/// value would be recorded in clear. The caller has already ruled out values that carry a
/// decision (`#[redact]`, `#[skip]`, `#[public]`) and secret types.
pub fn check(name: &Ident, value: Value<'_>, site: Site) -> Option<syn::Error> {
    let finding = classify(&name.to_string())?;
    // A flag or a count under such a name is not the datum; but a phone number, a postcode
    // or a date of birth can be stored as a number, and then it is.
    if finding.kind == Kind::Personal
        && !holds_text(value)
        && !(NUMERIC_DATUM.contains(&finding.term) && holds_integer(value))
    {
        return None;
    }
    let text = is_string(value);
    Some(syn::Error::new(
        name.span(),
        message(name, finding, site, text),
    ))
}

/// The one message builder: what was found, and the fixes spelled as `site` takes them. The
/// text masks (`email`, `last = 4`, `hash`, ...) are offered only for a value that may be a
/// string, since they apply to strings only.
fn message(name: &Ident, finding: Finding, site: Site, text: bool) -> String {
    let name = name.to_string();
    let name = name.strip_prefix("r#").unwrap_or(&name);
    let Finding { kind, term } = finding;
    let subject = match site {
        Site::Param => "parameter",
        Site::Field => "field",
        Site::Key => "key",
    };
    let what = match kind {
        Kind::Secret => "a secret",
        Kind::Identity | Kind::Personal => "personal data",
    };
    let mut redact: Vec<&str> = Vec::new();
    if text {
        redact.extend(hint(term));
        if kind != Kind::Secret {
            redact.push("`#[redact(hash)]` (a correlatable pseudonym)");
        }
    }
    redact.push("`#[redact]` (recorded as \"[REDACTED]\")");
    if !text && kind != Kind::Secret {
        redact.push("`#[redact(with = path)]` (your own mask)");
    }
    let not = match kind {
        Kind::Secret => "its value is not secret",
        Kind::Identity | Kind::Personal => "it is not personal data",
    };
    let help = match site {
        Site::Param => format!(
            "add {}, `#[skip]` (left out), or `#[public]` if {not}",
            redact.join(", ")
        ),
        Site::Field => format!(
            "add {}, `#[seclog(skip)]` (left out), or `#[seclog(public)]` if {not}",
            redact.join(", ")
        ),
        Site::Key => format!(
            "put {}{} before the key, or `#[public]` if {not}; or leave the key out",
            if redact.len() > 1 { "one of " } else { "" },
            redact.join(", ")
        ),
    };
    format!(
        "{subject} `{name}` looks like {what} (its name contains `{term}`) and would be recorded in clear\n\
         help: {help}"
    )
}

/// The strategy that keeps the useful part of a kind of value, if there is one.
fn hint(term: &str) -> Option<&'static str> {
    match term {
        "email" => Some("`#[redact(email)]` (keeps the domain)"),
        "phone" | "mobile" | "msisdn" | "iban" | "ssn" | "passport" | "tax_id" | "national_id"
        | "social_security" => Some("`#[redact(last = 4)]` (keeps the last digits)"),
        "creditcard" | "cardnumber" | "ccnumber" | "pan" => {
            Some("`#[redact(card)]` (keeps the first 6 and last 4 digits)")
        }
        _ => None,
    }
}

/// Terms matched anywhere in the name once lower-cased with `_` and `-` removed.
const ANYWHERE: &[(&str, Kind)] = &[
    ("password", Kind::Secret),
    ("passwd", Kind::Secret),
    ("passphrase", Kind::Secret),
    ("secret", Kind::Secret),
    ("token", Kind::Secret),
    ("apikey", Kind::Secret),
    ("privatekey", Kind::Secret),
    ("accesskey", Kind::Secret),
    ("clientsecret", Kind::Secret),
    ("creditcard", Kind::Secret),
    ("cardnumber", Kind::Secret),
    ("ccnumber", Kind::Secret),
    ("accountnumber", Kind::Secret),
    ("routingnumber", Kind::Secret),
    ("authorization", Kind::Secret),
    ("cookie", Kind::Secret),
    ("sessionid", Kind::Secret),
    ("mfacode", Kind::Secret),
    ("socialsecurity", Kind::Identity),
    ("taxid", Kind::Identity),
    ("passport", Kind::Identity),
];

/// Short terms, matched only as a whole word of the name (`user_pin`, `pinCode`), so that
/// `spinner`, `company` or `hotpath` do not trip the check.
const WHOLE_WORD: &[(&str, Kind)] = &[
    ("pwd", Kind::Secret),
    ("pan", Kind::Secret),
    ("cvv", Kind::Secret),
    ("cvc", Kind::Secret),
    ("pin", Kind::Secret),
    ("otp", Kind::Secret),
    ("ssn", Kind::Identity),
    ("iban", Kind::Identity),
];

/// Personal data, as runs of whole words of the name (`userEmail`, `date_of_birth`,
/// `billing_address`) with the term shown in messages. A word may take a plural `s` / `es`.
const PERSONAL: &[(&[&str], &str, Kind)] = &[
    (&["national", "id"], "national_id", Kind::Identity),
    (&["nationalid"], "national_id", Kind::Identity),
    (&["email"], "email", Kind::Personal),
    (&["e", "mail"], "email", Kind::Personal),
    (&["emailaddress"], "email", Kind::Personal),
    (&["phone"], "phone", Kind::Personal),
    (&["phonenumber"], "phone", Kind::Personal),
    (&["telephone"], "phone", Kind::Personal),
    (&["cellphone"], "phone", Kind::Personal),
    (&["mobile"], "mobile", Kind::Personal),
    (&["mobilenumber"], "mobile", Kind::Personal),
    (&["msisdn"], "msisdn", Kind::Personal),
    (&["date", "of", "birth"], "date_of_birth", Kind::Personal),
    (&["dateofbirth"], "date_of_birth", Kind::Personal),
    (&["birth", "date"], "birthdate", Kind::Personal),
    (&["birthdate"], "birthdate", Kind::Personal),
    (&["birthday"], "birthday", Kind::Personal),
    (&["dob"], "dob", Kind::Personal),
    (&["address"], "address", Kind::Personal),
    (&["homeaddress"], "address", Kind::Personal),
    (&["streetaddress"], "address", Kind::Personal),
    (&["postcode"], "postcode", Kind::Personal),
    (&["post", "code"], "postcode", Kind::Personal),
    (&["postal", "code"], "postcode", Kind::Personal),
    (&["zipcode"], "postcode", Kind::Personal),
    (&["zip", "code"], "postcode", Kind::Personal),
];

/// Personal data that is often held as a number (`phone: u64`, `zip_code: u32`,
/// `dob: u32` as 19870412): an integer under such a name needs a decision too.
const NUMERIC_DATUM: &[&str] = &[
    "phone",
    "mobile",
    "msisdn",
    "postcode",
    "date_of_birth",
    "birthdate",
    "birthday",
    "dob",
];

/// Words before `address` that make it a network or memory address (`ip_address`,
/// `mac_address`, `peerAddress`), not where a person lives.
const NOT_POSTAL: &[&str] = &[
    "ip",
    "ipv4",
    "ipv6",
    "v4",
    "v6",
    "mac",
    "hw",
    "ether",
    "ethernet",
    "bluetooth",
    "bt",
    "remote",
    "local",
    "peer",
    "socket",
    "sock",
    "server",
    "bind",
    "listen",
    "listener",
    "net",
    "network",
    "host",
    "node",
    "endpoint",
    "gateway",
    "proxy",
    "multicast",
    "broadcast",
    "src",
    "source",
    "dst",
    "dest",
    "destination",
    "tcp",
    "udp",
    "http",
    "rpc",
    "grpc",
    "url",
    "web",
    "service",
    "origin",
    "target",
    "upstream",
    "wallet",
    "contract",
    "memory",
    "mem",
    "base",
    "start",
    "end",
    "return",
    "ret",
    "virtual",
    "physical",
    "offset",
];

/// Words right after a personal-data term that make the name about something else: an id of
/// the record, a count, a kind (`address_id`, `phone_type`, `email_template`, `mobile_app`).
const NOT_THE_DATUM: &[&str] = &[
    "id",
    "ids",
    "uuid",
    "key",
    "ref",
    "index",
    "idx",
    "count",
    "counts",
    "len",
    "length",
    "size",
    "type",
    "kind",
    "family",
    "space",
    "mode",
    "format",
    "template",
    "subject",
    "status",
    "provider",
    "app",
    "os",
    "platform",
    "version",
    "model",
    "vendor",
    "device",
    "enabled",
    "disabled",
    "verified",
    "confirmed",
];

/// The term that makes `name` look like a secret or personal data, if any.
pub fn classify(name: &str) -> Option<Finding> {
    let name = name.strip_prefix("r#").unwrap_or(name);
    let squashed: String = name
        .chars()
        .filter(|c| *c != '_' && *c != '-')
        .flat_map(char::to_lowercase)
        .collect();
    let words = words(name);
    let found = |(term, kind): &(&'static str, Kind)| Finding {
        kind: *kind,
        term: label(term),
    };
    // Secrets first: `email_token` is a token before it is an e-mail.
    let anywhere = |k: Kind| {
        ANYWHERE
            .iter()
            .filter(|(_, kind)| *kind == k)
            .find(|(t, _)| squashed.contains(t))
            .map(found)
    };
    let whole_word = |k: Kind| {
        WHOLE_WORD
            .iter()
            .filter(|(_, kind)| *kind == k)
            .find(|(t, _)| words.iter().any(|w| is_word(w, t)))
            .map(found)
    };
    anywhere(Kind::Secret)
        .or_else(|| whole_word(Kind::Secret))
        .or_else(|| anywhere(Kind::Identity))
        .or_else(|| whole_word(Kind::Identity))
        .or_else(|| personal(&words))
}

/// How a squashed term reads in a message.
fn label(term: &'static str) -> &'static str {
    match term {
        "taxid" => "tax_id",
        "socialsecurity" => "social_security",
        _ => term,
    }
}

/// `w` is `term` or its plural.
fn is_word(w: &str, term: &str) -> bool {
    w.strip_prefix(term)
        .is_some_and(|rest| matches!(rest, "" | "s" | "es"))
}

fn personal(words: &[String]) -> Option<Finding> {
    PERSONAL.iter().find_map(|&(run, term, kind)| {
        let hit = (0..words.len()).any(|i| {
            let Some(here) = words.get(i..i + run.len()) else {
                return false;
            };
            let before = i.checked_sub(1).map(|j| words[j].as_str());
            let after = words.get(i + run.len()).map(String::as_str);
            here.iter().zip(run).all(|(w, t)| is_word(w, t))
                && !(term == "address" && before.is_some_and(|b| NOT_POSTAL.contains(&b)))
                && !after.is_some_and(|a| NOT_THE_DATUM.contains(&a))
        });
        hit.then_some(Finding { kind, term })
    })
}

/// Whether a value of this type may hold personal data as text. Numbers, `bool`, `char`,
/// durations and network addresses cannot; neither can options, references, boxes, slices,
/// collections and tuples of those. Anything else counts, a type the macro cannot see into
/// (`Address`, a date type, a type parameter) included: it may well hold the data.
pub fn holds_text(value: Value<'_>) -> bool {
    match value {
        Value::Type(ty) => !non_text_type(ty),
        Value::Expr(e) => !non_text_expr(e),
        Value::Unknown => true,
    }
}

/// Whether the value may be a string, the kind of value the text masks apply to: a string
/// type, possibly behind references or an `Option`, or a value whose type is not known.
fn is_string(value: Value<'_>) -> bool {
    fn string_type(ty: &Type) -> bool {
        match ty {
            Type::Reference(r) => string_type(&r.elem),
            Type::Paren(p) => string_type(&p.elem),
            Type::Group(g) => string_type(&g.elem),
            Type::Path(p) if p.qself.is_none() => p.path.segments.last().is_some_and(|seg| {
                let inner = match &seg.arguments {
                    syn::PathArguments::AngleBracketed(args) => {
                        args.args.iter().find_map(|a| match a {
                            syn::GenericArgument::Type(t) => Some(t),
                            _ => None,
                        })
                    }
                    _ => None,
                };
                match seg.ident.to_string().as_str() {
                    "str" | "String" => true,
                    "Cow" | "Box" | "Rc" | "Arc" | "Option" => inner.is_some_and(string_type),
                    _ => false,
                }
            }),
            _ => false,
        }
    }
    match value {
        Value::Type(ty) => string_type(ty),
        Value::Expr(e) => !non_text_expr(e),
        Value::Unknown => true,
    }
}

fn non_text_type(ty: &Type) -> bool {
    every_leaf(ty, is_non_text_name)
}

/// Whether every type `ty` is made of, through references, arrays, slices, tuples and the
/// usual wrappers (`Option`, `Box`, `Vec`, ...), is one that `leaf` accepts by name.
fn every_leaf(ty: &Type, leaf: fn(&str) -> bool) -> bool {
    match ty {
        Type::Reference(r) => every_leaf(&r.elem, leaf),
        Type::Paren(p) => every_leaf(&p.elem, leaf),
        Type::Group(g) => every_leaf(&g.elem, leaf),
        Type::Slice(s) => every_leaf(&s.elem, leaf),
        Type::Array(a) => every_leaf(&a.elem, leaf),
        Type::Tuple(t) => t.elems.iter().all(|t| every_leaf(t, leaf)),
        Type::Path(p) if p.qself.is_none() => p.path.segments.last().is_some_and(|seg| {
            let ident = seg.ident.to_string();
            if leaf(&ident) {
                return true;
            }
            let wraps = matches!(
                ident.as_str(),
                "Option"
                    | "Box"
                    | "Rc"
                    | "Arc"
                    | "Vec"
                    | "VecDeque"
                    | "BTreeSet"
                    | "HashSet"
                    | "Cell"
                    | "RefCell"
                    | "Wrapping"
                    | "Saturating"
                    | "Reverse"
                    | "NonZero"
            );
            match &seg.arguments {
                syn::PathArguments::AngleBracketed(args) if wraps => {
                    let mut types = args.args.iter().filter_map(|a| match a {
                        syn::GenericArgument::Type(t) => Some(t),
                        _ => None,
                    });
                    types.next().is_some_and(|t| every_leaf(t, leaf))
                }
                _ => false,
            }
        }),
        _ => false,
    }
}

fn is_non_text_name(ident: &str) -> bool {
    is_integer_name(ident)
        || matches!(
            ident,
            "bool"
                | "char"
                | "f32"
                | "f64"
                | "Duration"
                | "IpAddr"
                | "Ipv4Addr"
                | "Ipv6Addr"
                | "SocketAddr"
                | "SocketAddrV4"
                | "SocketAddrV6"
        )
        || (ident.starts_with("Atomic") && ident != "AtomicPtr")
}

fn is_integer_name(ident: &str) -> bool {
    matches!(
        ident,
        "u8" | "u16"
            | "u32"
            | "u64"
            | "u128"
            | "usize"
            | "i8"
            | "i16"
            | "i32"
            | "i64"
            | "i128"
            | "isize"
    ) || (ident.starts_with("NonZero") && ident.len() > "NonZero".len())
}

/// Whether the value is an integer (possibly optional, behind a reference, or in a
/// collection): the type is one, or the expression an integer literal or a cast to one.
fn holds_integer(value: Value<'_>) -> bool {
    fn integer_type(ty: &Type) -> bool {
        every_leaf(ty, is_integer_name)
    }
    fn integer_expr(e: &Expr) -> bool {
        match e {
            Expr::Lit(l) => matches!(l.lit, syn::Lit::Int(_)),
            Expr::Cast(c) => integer_type(&c.ty),
            Expr::Paren(p) => integer_expr(&p.expr),
            Expr::Group(g) => integer_expr(&g.expr),
            Expr::Reference(r) => integer_expr(&r.expr),
            _ => false,
        }
    }
    match value {
        Value::Type(ty) => integer_type(ty),
        Value::Expr(e) => integer_expr(e),
        Value::Unknown => false,
    }
}

/// An expression whose value is plainly not text: a number or `bool` literal, a cast to a
/// number, a comparison or negation, or a `.len()` / `.count()` / `.is_..()` call.
fn non_text_expr(e: &Expr) -> bool {
    match e {
        Expr::Lit(l) => matches!(
            l.lit,
            syn::Lit::Int(_) | syn::Lit::Float(_) | syn::Lit::Bool(_) | syn::Lit::Char(_)
        ),
        Expr::Cast(c) => non_text_type(&c.ty),
        Expr::Paren(p) => non_text_expr(&p.expr),
        Expr::Group(g) => non_text_expr(&g.expr),
        Expr::Reference(r) => non_text_expr(&r.expr),
        Expr::Unary(u) => matches!(u.op, syn::UnOp::Not(_) | syn::UnOp::Neg(_)),
        Expr::Binary(b) => !matches!(b.op, syn::BinOp::Add(_) | syn::BinOp::AddAssign(_)),
        Expr::MethodCall(m) => {
            let method = m.method.to_string();
            matches!(method.as_str(), "len" | "count")
                || method.starts_with("is_")
                || method.starts_with("has_")
        }
        _ => false,
    }
}

/// Whether `ty` is a secret by its type (`seclog::Secret<_>`, `secrecy::SecretBox<_>`,
/// `SecretString`, possibly behind references or an `Option`): such a value is recorded as
/// `"[REDACTED]"` whatever its name.
pub fn is_secret_type(ty: &syn::Type) -> bool {
    match ty {
        syn::Type::Reference(r) => is_secret_type(&r.elem),
        syn::Type::Paren(p) => is_secret_type(&p.elem),
        syn::Type::Path(p) => p.path.segments.last().is_some_and(|seg| {
            if matches!(
                seg.ident.to_string().as_str(),
                "Secret" | "SecretBox" | "SecretString"
            ) {
                return true;
            }
            match (&seg.arguments, seg.ident == "Option") {
                (syn::PathArguments::AngleBracketed(args), true) => args
                    .args
                    .iter()
                    .any(|a| matches!(a, syn::GenericArgument::Type(t) if is_secret_type(t))),
                _ => false,
            }
        }),
        _ => false,
    }
}

/// Splits `userPinCode2`, `user_pin_code`, `HTTPCookie` into lower-case words.
fn words(name: &str) -> Vec<String> {
    let chars: Vec<char> = name.chars().collect();
    let mut words = Vec::new();
    let mut cur = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if !c.is_alphanumeric() {
            if !cur.is_empty() {
                words.push(std::mem::take(&mut cur));
            }
            continue;
        }
        let prev = i.checked_sub(1).map(|j| chars[j]);
        let next = chars.get(i + 1).copied();
        let boundary = match prev {
            Some(p) if p.is_alphanumeric() => {
                (p.is_lowercase() && c.is_uppercase())
                    || (p.is_uppercase()
                        && c.is_uppercase()
                        && next.is_some_and(char::is_lowercase))
                    || (p.is_ascii_digit() != c.is_ascii_digit())
            }
            _ => false,
        };
        if boundary && !cur.is_empty() {
            words.push(std::mem::take(&mut cur));
        }
        cur.extend(c.to_lowercase());
    }
    if !cur.is_empty() {
        words.push(cur);
    }
    words
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(name: &str) -> Option<Kind> {
        classify(name).map(|f| f.kind)
    }

    #[test]
    fn flags_secret_names() {
        for name in [
            "password",
            "new_password",
            "api_key",
            "apiKey",
            "userToken",
            "session_id",
            "sessionId",
            "card_number",
            "cvv",
            "cvv2",
            "user_pin",
            "pinCode",
            "otp",
            "client_secret",
            "Authorization",
            "set-cookie",
            "mfa_code",
            "r#token",
            "email_token",
        ] {
            assert_eq!(kind(name), Some(Kind::Secret), "{name} should be a secret");
        }
    }

    #[test]
    fn flags_identity_numbers() {
        for name in [
            "ssn",
            "iban",
            "passport_no",
            "tax_id",
            "taxId",
            "national_id",
            "nationalId",
            "social_security_number",
        ] {
            assert_eq!(
                kind(name),
                Some(Kind::Identity),
                "{name} should be personal"
            );
        }
    }

    #[test]
    fn flags_personal_names() {
        for (name, term) in [
            ("email", "email"),
            ("user_email", "email"),
            ("userEmail", "email"),
            ("emails", "email"),
            ("e_mail", "email"),
            ("email_address", "email"),
            ("emailAddress", "email"),
            ("phone", "phone"),
            ("phone_number", "phone"),
            ("phoneNumber", "phone"),
            ("telephone", "phone"),
            ("mobile", "mobile"),
            ("mobile_number", "mobile"),
            ("msisdn", "msisdn"),
            ("date_of_birth", "date_of_birth"),
            ("dateOfBirth", "date_of_birth"),
            ("dob", "dob"),
            ("birthdate", "birthdate"),
            ("birth_date", "birthdate"),
            ("address", "address"),
            ("home_address", "address"),
            ("billingAddress", "address"),
            ("address_line1", "address"),
            ("addressLine2", "address"),
            ("addresses", "address"),
            ("postcode", "postcode"),
            ("postal_code", "postcode"),
            ("zipCode", "postcode"),
        ] {
            assert_eq!(
                classify(name),
                Some(Finding {
                    kind: Kind::Personal,
                    term
                }),
                "{name}"
            );
        }
    }

    #[test]
    fn keeps_ordinary_names() {
        for name in [
            "spinner",
            "company",
            "hotpath",
            "username",
            "pinned",
            "expand",
            "options",
            "topping",
            "span",
            "lesson",
            "author",
            "order_id",
            "amount",
            "ip_address",
            "ipAddress",
            "mac_address",
            "remote_addr",
            "peer_address",
            "socket_address",
            "service_address",
            "address_id",
            "addressId",
            "email_template",
            "phone_type",
            "mobile_app_version",
            "emailed",
            "zip",
            "microphone",
            "dobby",
        ] {
            assert_eq!(classify(name), None, "{name} should not be flagged");
        }
    }

    /// Measured on Elastic Common Schema's field names (`user.email` read as `user_email`),
    /// when the reference corpora are next to the repository: every e-mail and postcode field
    /// is flagged, and of the network and memory `address` fields only `client.address` is,
    /// on purpose: a client's address may as well be where the client lives.
    #[test]
    fn ecs_field_names() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../shared/reference/ecs_fields.json"
        );
        let Ok(text) = std::fs::read_to_string(path) else {
            return;
        };
        let fields: serde_json::Map<String, serde_json::Value> =
            serde_json::from_str(&text).expect("ecs_fields.json is a JSON object");
        let (mut personal, mut flagged, mut addresses) = (0, 0, Vec::new());
        for name in fields.keys() {
            let ident = name.replace(['.', '@'], "_");
            let found = classify(&ident);
            flagged += usize::from(found.is_some());
            let last = name.rsplit('.').next().unwrap_or(name);
            if matches!(last, "email" | "postal_code") {
                personal += 1;
                assert!(found.is_some_and(|f| f.kind == Kind::Personal), "{name}");
            }
            if last == "address" && found.is_some() {
                addresses.push(name.as_str());
            }
        }
        println!(
            "ECS: {flagged} of {} field names flagged; {personal} e-mail/postcode fields, all flagged; address fields flagged: {addresses:?}",
            fields.len()
        );
        assert!(personal > 0);
        assert_eq!(addresses, ["client.address"]);
    }

    fn ty(src: &str) -> Type {
        syn::parse_str(src).unwrap()
    }

    #[test]
    fn text_like_types() {
        for src in [
            "String",
            "&str",
            "&'a str",
            "Option<String>",
            "Vec<String>",
            "Cow<'_, str>",
            "Box<str>",
            "Address",
            "chrono::NaiveDate",
            "T",
            "(u32, String)",
            "Option<&[String]>",
        ] {
            assert!(holds_text(Value::Type(&ty(src))), "{src} may hold text");
        }
    }

    #[test]
    fn non_text_types() {
        for src in [
            "bool",
            "u32",
            "u64",
            "Option<bool>",
            "&[u8]",
            "[u16; 4]",
            "Vec<u64>",
            "std::num::NonZeroU32",
            "std::time::Duration",
            "std::net::IpAddr",
            "SocketAddr",
            "(u8, bool)",
            "()",
            "char",
            "Arc<AtomicU64>",
        ] {
            assert!(!holds_text(Value::Type(&ty(src))), "{src} holds no text");
        }
    }

    #[test]
    fn non_text_expressions() {
        for (src, text) in [
            ("true", false),
            ("3", false),
            ("n as u32", false),
            ("list.len()", false),
            ("user.is_verified()", false),
            ("a == b", false),
            ("!seen", false),
            ("\"x\"", true),
            ("user.email", true),
            ("format!(\"{a}\")", true),
            ("a + b", true),
        ] {
            let e: Expr = syn::parse_str(src).unwrap();
            assert_eq!(holds_text(Value::Expr(&e)), text, "{src}");
        }
    }

    #[test]
    fn messages_name_the_fixes() {
        let id = Ident::new("user_email", proc_macro2::Span::call_site());
        let string: Type = syn::parse_quote!(String);
        let param = check(&id, Value::Type(&string), Site::Param)
            .unwrap()
            .to_string();
        assert!(param.starts_with("parameter `user_email` looks like personal data"));
        assert!(param.contains("`#[redact(email)]` (keeps the domain)"));
        assert!(param.contains("`#[skip]`") && param.contains("`#[public]`"));
        let field = check(&id, Value::Type(&string), Site::Field)
            .unwrap()
            .to_string();
        assert!(field.contains("`#[seclog(skip)]`") && field.contains("`#[seclog(public)]`"));
        let flag: Type = syn::parse_quote!(bool);
        assert!(check(&id, Value::Type(&flag), Site::Param).is_none());
        let pw = Ident::new("password", proc_macro2::Span::call_site());
        let secret = check(&pw, Value::Type(&flag), Site::Key)
            .unwrap()
            .to_string();
        assert!(secret.starts_with("key `password` looks like a secret"));
        assert!(!secret.contains("hash") && !secret.contains("one of"));
        let email_key = check(&id, Value::Unknown, Site::Key).unwrap().to_string();
        assert!(
            email_key.contains("put one of `#[redact(email)]`"),
            "{email_key}"
        );
        let card = Ident::new("card_number", proc_macro2::Span::call_site());
        let card = check(&card, Value::Unknown, Site::Param)
            .unwrap()
            .to_string();
        assert!(card.contains("`#[redact(card)]`"), "{card}");
        assert_eq!(classify("userTaxId").map(|f| f.term), Some("tax_id"));
        // Text masks are offered only where they apply.
        let nid = Ident::new("national_id", proc_macro2::Span::call_site());
        let number: Type = syn::parse_quote!(u64);
        let nid = check(&nid, Value::Type(&number), Site::Field)
            .unwrap()
            .to_string();
        assert!(!nid.contains("last = 4") && !nid.contains("hash"), "{nid}");
        assert!(nid.contains("`#[redact(with = path)]`"), "{nid}");
        let cow: Type = syn::parse_quote!(Option<Cow<'_, str>>);
        let email = check(&id, Value::Type(&cow), Site::Param)
            .unwrap()
            .to_string();
        assert!(email.contains("`#[redact(email)]`"), "{email}");
    }
}
