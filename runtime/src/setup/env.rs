//! The environment: `SECLOG_*` variables read into a [`Builder`].

use zeroize::Zeroizing;

use super::builder::{Builder, InitError};
use crate::integrity::{Seal, VerifierKey};
use crate::redact::HashKey;
use crate::sink::{self, Sink};

impl Builder {
    /// Reads the environment into this configuration:
    ///
    /// | variable | meaning |
    /// |---|---|
    /// | `SECLOG_SERVICE` | service name under `where` |
    /// | `SECLOG_SERVICE_VERSION` | service version under `where` |
    /// | `SECLOG_OUTPUT` | `stdout` (default), `stderr`, `none`, `file:<dir>` for tamper-evident files ([`sink::File`]), or a syslog collector: `syslog+tcp://HOST:PORT`, `syslog+udp://HOST:PORT` or `syslog+unix:PATH` (feature `syslog`; see `sink::syslog`); replaces the sinks added so far |
    /// | `SECLOG_FORMAT` | `json` (default), `ecs` or `ocsf` ([`Format::Ocsf`](crate::Format::Ocsf)): the format of the `SECLOG_OUTPUT` sink, or of the default stdout sink (sinks added in code keep theirs) |
    /// | `SECLOG_LEVEL` | the lowest level recorded: `trace` (default), `debug`, `info`, `warn`, `error`, `critical`, or `off` (mandatory events only) |
    /// | `SECLOG_SEAL_TO` | seal every record into this process's chain, its key encrypted to this verifier public key (`seclog-verifier-x25519:...`, as `seclog keygen --verifier` prints it): see [`Builder::seal`] |
    /// | `SECLOG_KEY_FILE` | seal with a symmetric key instead: a file holding it, 64 hex digits (`seclog keygen`); one of the two is needed for `file:<dir>` |
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
                InitError::invalid("SECLOG_FORMAT", v.clone(), "expected json, ecs or ocsf")
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
        let seal = seal_from_env(&get)?;
        if let Some(v) = get("SECLOG_OUTPUT") {
            let sink: Box<dyn Sink> = match v.as_str() {
                "stdout" => Box::new(sink::Stdout),
                "stderr" => Box::new(sink::Stderr),
                "none" => Box::new(sink::Discard),
                file if file.starts_with("file:") => {
                    let dir = &file["file:".len()..];
                    let seal = seal.clone().ok_or_else(|| {
                        InitError::invalid(
                            "SECLOG_KEY_FILE",
                            String::new(),
                            "SECLOG_OUTPUT=file:<dir> seals its files: set SECLOG_SEAL_TO to the verifier's public key, or SECLOG_KEY_FILE to a file holding the chain key (64 hex digits)",
                        )
                    })?;
                    let sink = sink::File::builder(dir, seal).open().map_err(|e| {
                        InitError::invalid(
                            "SECLOG_OUTPUT",
                            v.clone(),
                            format!("cannot open a log file there: {e}"),
                        )
                    })?;
                    Box::new(sink)
                }
                url if url.starts_with("syslog+") => syslog_output(url)
                    .map_err(|e| InitError::invalid("SECLOG_OUTPUT", v.clone(), e))?,
                _ => {
                    return Err(InitError::invalid(
                        "SECLOG_OUTPUT",
                        v,
                        "expected stdout, stderr, none, file:<dir>, syslog+tcp://HOST:PORT, syslog+udp://HOST:PORT or syslog+unix:PATH",
                    ));
                }
            };
            self.sinks = vec![(sink, self.default_format)];
        }
        if seal.is_some() {
            self.seal = seal;
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

/// The seal the environment asks for: `SECLOG_SEAL_TO` (the verifier's public key) or
/// `SECLOG_KEY_FILE` (a symmetric key's file); `None` when neither is set.
fn seal_from_env(get: &impl Fn(&str) -> Option<String>) -> Result<Option<Seal>, InitError> {
    match (get("SECLOG_SEAL_TO"), get("SECLOG_KEY_FILE")) {
        (None, None) => Ok(None),
        (Some(to), Some(_)) => Err(InitError::invalid(
            "SECLOG_SEAL_TO",
            to,
            "SECLOG_KEY_FILE is set too: set one of them (SECLOG_SEAL_TO, the verifier's public key, needs no secret on the host)",
        )),
        (Some(to), None) => VerifierKey::from_text(&to)
            .map(|k| Some(Seal::to(k)))
            .map_err(|e| InitError::invalid("SECLOG_SEAL_TO", to, e)),
        (None, Some(path)) => chain_key(path).map(|k| Some(Seal::symmetric(k))),
    }
}

/// The symmetric chain key in the file `SECLOG_KEY_FILE` names.
fn chain_key(path: String) -> Result<crate::integrity::ChainKey, InitError> {
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

/// The sink for `SECLOG_OUTPUT=syslog+...`.
#[cfg(feature = "syslog")]
fn syslog_output(url: &str) -> Result<Box<dyn Sink>, String> {
    Ok(Box::new(url.parse::<sink::Syslog>()?))
}

#[cfg(not(feature = "syslog"))]
fn syslog_output(_url: &str) -> Result<Box<dyn Sink>, String> {
    Err("this binary was built without seclog's `syslog` feature; build it with the feature to ship records to a syslog collector".into())
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
            "SECLOG_FORMAT=\"xml\" is not valid: expected json, ecs or ocsf"
        );
        let b = builder()
            .with_lookup(env(&[("SECLOG_FORMAT", "ocsf")]))
            .unwrap();
        assert_eq!(b.default_format, Format::Ocsf);
    }

    #[test]
    fn invalid_values_name_the_variable() {
        let e = builder()
            .with_lookup(env(&[("SECLOG_OUTPUT", "ftp")]))
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "SECLOG_OUTPUT=\"ftp\" is not valid: expected stdout, stderr, none, file:<dir>, syslog+tcp://HOST:PORT, syslog+udp://HOST:PORT or syslog+unix:PATH"
        );
        let e = builder()
            .with_lookup(env(&[("SECLOG_OUTPUT", "file:/tmp/x")]))
            .unwrap_err();
        assert!(e.to_string().contains("seals its files"), "{e}");
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

    fn output_error(url: &str) -> String {
        builder()
            .with_lookup(env(&[("SECLOG_OUTPUT", url)]))
            .unwrap_err()
            .to_string()
    }

    #[cfg(feature = "syslog")]
    #[test]
    fn reads_syslog_urls() {
        for (url, name) in [
            ("syslog+tcp://127.0.0.1:601", "syslog+tcp://127.0.0.1:601"),
            ("syslog+tcp://[::1]:6514", "syslog+tcp://[::1]:6514"),
            ("syslog+udp://127.0.0.1:514", "syslog+udp://127.0.0.1:514"),
            ("syslog+unix:/dev/log", "syslog+unix:/dev/log"),
            (
                "syslog+unix:///run/systemd/journal/syslog",
                "syslog+unix:/run/systemd/journal/syslog",
            ),
        ] {
            let b = builder()
                .sink(sink::Discard)
                .with_lookup(env(&[("SECLOG_OUTPUT", url), ("SECLOG_FORMAT", "ecs")]))
                .unwrap_or_else(|e| panic!("{url}: {e}"));
            assert_eq!(b.sinks.len(), 1, "{url}");
            assert_eq!(b.sinks[0].0.name(), name);
            assert_eq!(b.sinks[0].1, Format::Ecs);
        }
        let tcp = "expected syslog+tcp://HOST:PORT";
        for (url, reason) in [
            ("syslog+tcp://127.0.0.1:http", format!("bad port \"http\" (a number from 1 to 65535, with nothing after it): {tcp}")),
            ("syslog+tcp://127.0.0.1:0", format!("bad port \"0\" (a number from 1 to 65535, with nothing after it): {tcp}")),
            ("syslog+tcp://127.0.0.1:65536", format!("bad port \"65536\" (a number from 1 to 65535, with nothing after it): {tcp}")),
            ("syslog+tcp://127.0.0.1:601/x", format!("bad port \"601/x\" (a number from 1 to 65535, with nothing after it): {tcp}")),
            ("syslog+tcp://127.0.0.1", format!("no port in \"127.0.0.1\": {tcp}")),
            ("syslog+tcp://:601", format!("no host: {tcp}")),
            ("syslog+tcp://::1:601", format!("an IPv6 address goes in brackets, as in [::1]: {tcp}")),
            ("syslog+udp://:514", "no host: expected syslog+udp://HOST:PORT".into()),
            ("syslog+unix:", "no path: expected syslog+unix:PATH, as in syslog+unix:/dev/log".into()),
            ("syslog+tls://logs:6514", "unknown transport \"tls\": expected syslog+tcp://HOST:PORT, syslog+udp://HOST:PORT or syslog+unix:PATH".into()),
            ("syslog+tcp:logs:601", tcp.into()),
        ] {
            assert_eq!(
                output_error(url),
                format!("SECLOG_OUTPUT=\"{url}\" is not valid: {reason}")
            );
        }
    }

    #[cfg(not(feature = "syslog"))]
    #[test]
    fn syslog_urls_need_the_feature() {
        assert_eq!(
            output_error("syslog+tcp://127.0.0.1:601"),
            "SECLOG_OUTPUT=\"syslog+tcp://127.0.0.1:601\" is not valid: this binary was built without seclog's `syslog` feature; build it with the feature to ship records to a syslog collector"
        );
    }
}
