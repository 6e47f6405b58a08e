//! The sensitive-name check: a value whose name says it is a secret must be redacted, skipped
//! or declared public, or the code does not compile.

/// Terms matched anywhere in the name once lower-cased with `_` and `-` removed.
const ANYWHERE: &[&str] = &[
    "password",
    "passwd",
    "passphrase",
    "secret",
    "token",
    "apikey",
    "privatekey",
    "accesskey",
    "clientsecret",
    "socialsecurity",
    "creditcard",
    "cardnumber",
    "ccnumber",
    "accountnumber",
    "routingnumber",
    "authorization",
    "cookie",
    "sessionid",
    "mfacode",
    "taxid",
    "passport",
];

/// Short terms, matched only as a whole word of the name (`user_pin`, `pinCode`), so that
/// `spinner`, `company` or `hotpath` do not trip the check.
const WHOLE_WORD: &[&str] = &["pwd", "ssn", "pan", "cvv", "cvc", "pin", "iban", "otp"];

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

/// Refuses `fields(...)` / `event!` keys that look like secrets: a value recorded under such a
/// name cannot be redacted there.
pub fn check_field_keys<'a>(keys: impl IntoIterator<Item = &'a syn::Ident>) -> syn::Result<()> {
    for key in keys {
        if let Some(term) = sensitive_term(&key.to_string()) {
            return Err(syn::Error::new(
                key.span(),
                format!(
                    "field `{key}` looks like a secret (its name contains `{term}`) and would be recorded in clear\n\
                     help: leave it out, or record a value that is not secret under another name"
                ),
            ));
        }
    }
    Ok(())
}

/// The term that makes `name` look sensitive, if any.
pub fn sensitive_term(name: &str) -> Option<&'static str> {
    let name = name.strip_prefix("r#").unwrap_or(name);
    let squashed: String = name
        .chars()
        .filter(|c| *c != '_' && *c != '-')
        .flat_map(char::to_lowercase)
        .collect();
    if let Some(t) = ANYWHERE.iter().find(|t| squashed.contains(**t)) {
        return Some(t);
    }
    words(name).find_map(|w| {
        WHOLE_WORD
            .iter()
            .find(|t| w == **t || w.strip_suffix('s') == Some(**t))
            .copied()
    })
}

/// Splits `userPinCode2`, `user_pin_code`, `HTTPCookie` into lower-case words.
fn words(name: &str) -> impl Iterator<Item = String> + '_ {
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
    words.into_iter()
}

#[cfg(test)]
mod tests {
    use super::*;

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
            "ssn",
            "user_pin",
            "pinCode",
            "otp",
            "client_secret",
            "Authorization",
            "set-cookie",
            "iban",
            "passport_no",
            "mfa_code",
            "r#token",
        ] {
            assert!(sensitive_term(name).is_some(), "{name} should be flagged");
        }
    }

    #[test]
    fn keeps_ordinary_names() {
        for name in [
            "spinner", "company", "hotpath", "username", "email", "pinned", "expand", "options",
            "topping", "span", "lesson", "author", "order_id", "amount",
        ] {
            assert_eq!(sensitive_term(name), None, "{name} should not be flagged");
        }
    }
}
