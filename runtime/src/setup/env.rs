//! The environment: `SECLOG_*` variables read into a [`Builder`].

use zeroize::Zeroizing;

use super::builder::{Builder, InitError};
use crate::redact::HashKey;
use crate::sink::{self, Sink};

impl Builder {
    /// Reads the environment into this configuration:
    ///
    /// | variable | meaning |
    /// |---|---|
    /// | `SECLOG_SERVICE` | service name under `where` |
    /// | `SECLOG_SERVICE_VERSION` | service version under `where` |
    /// | `SECLOG_OUTPUT` | `stdout` (default), `stderr`, `none`, or `file:<dir>` for tamper-evident files ([`sink::File`]); replaces the sinks added so far |
    /// | `SECLOG_FORMAT` | `json` (default) or `ecs`: the format of the `SECLOG_OUTPUT` sink, or of the default stdout sink (sinks added in code keep theirs) |
    /// | `SECLOG_LEVEL` | the lowest level recorded: `trace` (default), `debug`, `info`, `warn`, `error`, `critical`, or `off` (mandatory events only) |
    /// | `SECLOG_KEY_FILE` | with `file:<dir>`: a file holding the chain key, 64 hex digits |
    /// | `SECLOG_MAX_STRING_BYTES` | string limit (default 4096) |
    /// | `SECLOG_MAX_ITEMS` | collection limit (default 256) |
    /// | `SECLOG_HASH_KEY_FILE` | a file holding the pseudonym key in hex (see [`HashKey`]) |
    /// | `SECLOG_SECRET_SCANNER` | `on` (default) or `off`: the secret rules of the scanner |
    /// | `SECLOG_WATCH` | `on` (default) or `off`: watching (summaries and alerts, see [`crate::watch`]) |
    /// | `SECLOG_PII` | the personal data masked in unmarked strings: `on` (default), `off`, or a comma-separated list of `email`, `phone`, `iban`, `ssn`, `card`; `-kind` switches one off (`-phone,-iban`), a list without signs names the only kinds on (`email,card`) |
    ///
    /// An unset variable keeps the current value; an invalid one is an error that names it.
    pub fn with_env(self) -> Result<Self, InitError> {
        self.with_lookup(|k| std::env::var(k).ok())
    }

    pub(crate) fn with_lookup(
        mut self,
        get: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, InitError> {
        if let Some(v) = get("SECLOG_SERVICE") {
            self.service = Some(v);
        }
        if let Some(v) = get("SECLOG_SERVICE_VERSION") {
            self.version = Some(v);
        }
        if let Some(v) = get("SECLOG_FORMAT") {
            self.default_format = v.parse().map_err(|_: String| {
                InitError::invalid("SECLOG_FORMAT", v.clone(), "expected json or ecs")
            })?;
        }
        if let Some(v) = get("SECLOG_LEVEL") {
            self.level = Some(if v.trim().eq_ignore_ascii_case("off") {
                None
            } else {
                Some(v.parse().map_err(|e: crate::record::ParseLevelError| {
                    InitError::invalid("SECLOG_LEVEL", v.clone(), format!("{e}, or off"))
                })?)
            });
        }
        if let Some(v) = get("SECLOG_OUTPUT") {
            let sink: Box<dyn Sink> = match v.as_str() {
                "stdout" => Box::new(sink::Stdout),
                "stderr" => Box::new(sink::Stderr),
                "none" => Box::new(sink::Discard),
                file if file.starts_with("file:") => {
                    let dir = &file["file:".len()..];
                    let key = chain_key(get("SECLOG_KEY_FILE"))?;
                    let sink = sink::File::builder(dir, key).open().map_err(|e| {
                        InitError::invalid(
                            "SECLOG_OUTPUT",
                            v.clone(),
                            format!("cannot open a log file there: {e}"),
                        )
                    })?;
                    Box::new(sink)
                }
                _ => {
                    return Err(InitError::invalid(
                        "SECLOG_OUTPUT",
                        v,
                        "expected stdout, stderr, none or file:<dir>",
                    ));
                }
            };
            self.sinks = vec![(sink, self.default_format)];
        }
        if let Some(v) = get("SECLOG_MAX_STRING_BYTES") {
            self.limits.max_string_bytes = parse_limit("SECLOG_MAX_STRING_BYTES", v)?;
        }
        if let Some(v) = get("SECLOG_MAX_ITEMS") {
            self.limits.max_items = parse_limit("SECLOG_MAX_ITEMS", v)?;
        }
        if let Some(v) = get("SECLOG_SECRET_SCANNER") {
            self.secret_scanner = on_off("SECLOG_SECRET_SCANNER", v)?;
        }
        if let Some(v) = get("SECLOG_WATCH") {
            self.watching = on_off("SECLOG_WATCH", v)?;
        }
        if let Some(v) = get("SECLOG_PII") {
            self.pii = self
                .pii
                .parse_list(&v)
                .map_err(|e| InitError::invalid("SECLOG_PII", v.clone(), e))?;
        }
        if let Some(path) = get("SECLOG_HASH_KEY_FILE") {
            let key = HashKey::read_file(&path)
                .map_err(|e| InitError::invalid("SECLOG_HASH_KEY_FILE", path.clone(), e))?;
            self.hash_key = Some(key);
        }
        Ok(self)
    }
}

/// A switch: `on` or `off`.
fn on_off(name: &'static str, v: String) -> Result<bool, InitError> {
    match v.as_str() {
        "on" => Ok(true),
        "off" => Ok(false),
        _ => Err(InitError::invalid(name, v, "expected on or off")),
    }
}

/// The chain key for `SECLOG_OUTPUT=file:<dir>`, from the file `SECLOG_KEY_FILE` names.
fn chain_key(path: Option<String>) -> Result<crate::integrity::ChainKey, InitError> {
    let path = path.ok_or_else(|| {
        InitError::invalid(
            "SECLOG_KEY_FILE",
            String::new(),
            "SECLOG_OUTPUT=file:<dir> needs the chain key: set SECLOG_KEY_FILE to a file holding 64 hex digits",
        )
    })?;
    let text = Zeroizing::new(std::fs::read_to_string(&path).map_err(|e| {
        InitError::invalid(
            "SECLOG_KEY_FILE",
            path.clone(),
            format!("cannot read it: {e}"),
        )
    })?);
    crate::integrity::ChainKey::from_hex(&text)
        .ok_or_else(|| InitError::invalid("SECLOG_KEY_FILE", path, "expected 64 hex digits"))
}

fn parse_limit(var: &'static str, v: String) -> Result<usize, InitError> {
    match v.trim().parse::<usize>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(InitError::invalid(
            var,
            v,
            "expected a positive whole number",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::Format;
    use crate::record::Level;
    use crate::setup::builder::builder;

    fn env<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |k| {
            pairs
                .iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn reads_the_environment() {
        let b = builder()
            .with_lookup(env(&[
                ("SECLOG_SERVICE", "shop"),
                ("SECLOG_SERVICE_VERSION", "1.2.3"),
                ("SECLOG_OUTPUT", "none"),
                ("SECLOG_MAX_STRING_BYTES", "100"),
                ("SECLOG_MAX_ITEMS", "7"),
            ]))
            .unwrap();
        assert_eq!(b.service.as_deref(), Some("shop"));
        assert_eq!(b.version.as_deref(), Some("1.2.3"));
        assert_eq!(b.limits.max_string_bytes, 100);
        assert_eq!(b.limits.max_items, 7);
    }

    #[test]
    fn reads_level_and_format() {
        let b = builder()
            .with_lookup(env(&[
                ("SECLOG_LEVEL", "Warning"),
                ("SECLOG_FORMAT", "ecs"),
                ("SECLOG_OUTPUT", "stderr"),
            ]))
            .unwrap();
        assert_eq!(b.level, Some(Some(Level::Warn)));
        assert_eq!(b.sinks.len(), 1);
        assert_eq!(b.sinks[0].1, Format::Ecs);
        // A sink added in code keeps the format it was given.
        let b = builder()
            .sink(sink::Discard)
            .with_lookup(env(&[("SECLOG_FORMAT", "ecs")]))
            .unwrap();
        assert_eq!(b.sinks[0].1, Format::Json);
        assert_eq!(b.default_format, Format::Ecs);
        let b = builder()
            .with_lookup(env(&[("SECLOG_LEVEL", "off")]))
            .unwrap();
        assert_eq!(b.level, Some(None));
        let e = builder()
            .with_lookup(env(&[("SECLOG_LEVEL", "loud")]))
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "SECLOG_LEVEL=\"loud\" is not valid: unknown level \"loud\"; expected trace, debug, info, warn, error or critical, or off"
        );
        let e = builder()
            .with_lookup(env(&[("SECLOG_FORMAT", "xml")]))
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "SECLOG_FORMAT=\"xml\" is not valid: expected json or ecs"
        );
    }

    #[test]
    fn invalid_values_name_the_variable() {
        let e = builder()
            .with_lookup(env(&[("SECLOG_OUTPUT", "ftp")]))
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "SECLOG_OUTPUT=\"ftp\" is not valid: expected stdout, stderr, none or file:<dir>"
        );
        let e = builder()
            .with_lookup(env(&[("SECLOG_OUTPUT", "file:/tmp/x")]))
            .unwrap_err();
        assert!(e.to_string().contains("needs the chain key"), "{e}");
        let e = builder()
            .with_lookup(env(&[("SECLOG_MAX_ITEMS", "0")]))
            .unwrap_err();
        assert!(e.to_string().starts_with("SECLOG_MAX_ITEMS=\"0\""));
    }

    #[test]
    fn reads_the_pii_switches() {
        use crate::redact::scanner::{PiiKind, PiiSet};
        let b = builder()
            .with_lookup(env(&[("SECLOG_PII", "-phone,-iban")]))
            .unwrap();
        assert!(!b.pii.contains(PiiKind::Phone) && !b.pii.contains(PiiKind::Iban));
        assert!(b.pii.contains(PiiKind::Email) && b.pii.contains(PiiKind::Card));
        let b = builder()
            .with_lookup(env(&[("SECLOG_PII", "off")]))
            .unwrap();
        assert_eq!(b.pii, PiiSet::NONE);
        let e = builder()
            .with_lookup(env(&[("SECLOG_PII", "-fax")]))
            .unwrap_err();
        assert!(
            e.to_string()
                .starts_with("SECLOG_PII=\"-fax\" is not valid: unknown kind \"fax\""),
            "{e}"
        );
    }

    #[test]
    fn reads_the_switches() {
        assert!(builder().with_lookup(env(&[])).unwrap().watching);
        let b = builder()
            .with_lookup(env(&[
                ("SECLOG_WATCH", "off"),
                ("SECLOG_SECRET_SCANNER", "off"),
            ]))
            .unwrap();
        assert!(!b.watching && !b.secret_scanner);
        for var in ["SECLOG_WATCH", "SECLOG_SECRET_SCANNER"] {
            let e = builder().with_lookup(env(&[(var, "no")])).unwrap_err();
            assert_eq!(
                e.to_string(),
                format!("{var}=\"no\" is not valid: expected on or off")
            );
        }
    }
}
