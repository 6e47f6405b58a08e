//! Recording rejected input: which fields failed which rule, never what was sent.
//!
//! A validator collects its failures in a [`Report`] and records it once, as the OWASP
//! `input_validation_fail` event (WARN). Each failure names the field and the rule; the
//! rejected value is recorded only through [`Report::fail_with_value`], for a field the code
//! declares safe to log (a page number, an enum tag) — a rejected password, an e-mail address
//! or free text is never copied into the log by accident.
//!
//! ```
//! use seclog::validation::Report;
//!
//! struct Signup { email: String, password: String, age: u32 }
//!
//! fn validate(form: &Signup) -> Result<(), Report> {
//!     let mut report = Report::new("signup");
//!     if !form.email.contains('@') {
//!         report.fail("email", "format");
//!     }
//!     if form.password.len() < 12 {
//!         report.fail("password", "min_length");
//!     }
//!     if form.age < 18 {
//!         report.fail_with_value("age", "min", &form.age); // a number: safe to log
//!     }
//!     report.finish() // records input_validation_fail when anything failed
//! }
//!
//! let form = Signup { email: "bob".into(), password: "hunter2".into(), age: 16 };
//! let (result, records) = seclog::testing::capture(|| validate(&form));
//! assert!(result.is_err());
//! let r = &records[0];
//! assert_eq!(r["event"], "input_validation_fail");
//! assert_eq!(r["fields"]["input"], "signup");
//! assert_eq!(r["fields"]["failures"][0], serde_json::json!({"field": "email", "rule": "format"}));
//! assert_eq!(r["fields"]["failures"][2]["value"], 16);
//! assert!(!r.to_string().contains("hunter2") && !r.to_string().contains("\"bob\""));
//! ```

use seclog_macros::event;

use crate::record::{Encoder, Limits, Loggable};

/// The failures of one validation. See the [module docs](self).
#[derive(Debug, Clone, Default)]
#[must_use = "a report records nothing until `record` is called"]
pub struct Report {
    input: String,
    failures: Vec<Failure>,
}

#[derive(Debug, Clone)]
struct Failure {
    field: String,
    rule: String,
    /// The rejected value, already encoded as JSON; only for fields declared safe.
    value: Option<Vec<u8>>,
}

impl Report {
    /// An empty report for the input named `input` (a form, an endpoint, a message type).
    pub fn new(input: impl Into<String>) -> Self {
        Report {
            input: input.into(),
            failures: Vec::new(),
        }
    }

    /// `field` broke `rule`; its value is not recorded.
    pub fn fail(&mut self, field: impl Into<String>, rule: impl Into<String>) {
        self.failures.push(Failure {
            field: field.into(),
            rule: rule.into(),
            value: None,
        });
    }

    /// `field` broke `rule`, and its value is safe to record (it is still written through its
    /// `Loggable` form, so redaction applies).
    pub fn fail_with_value<T: Loggable + ?Sized>(
        &mut self,
        field: impl Into<String>,
        rule: impl Into<String>,
        value: &T,
    ) {
        let mut buf = Vec::new();
        Encoder::new(&mut buf, Limits::default()).value(value);
        self.failures.push(Failure {
            field: field.into(),
            rule: rule.into(),
            value: Some(buf),
        });
    }

    /// Whether nothing failed.
    pub fn is_empty(&self) -> bool {
        self.failures.is_empty()
    }

    /// The names of the fields that failed, in order.
    pub fn fields(&self) -> impl Iterator<Item = &str> {
        self.failures.iter().map(|f| f.field.as_str())
    }

    /// `Ok(())` when nothing failed; else records the report (see [`record`](Self::record))
    /// and returns it as the error.
    #[track_caller]
    pub fn finish(self) -> Result<(), Report> {
        if self.is_empty() {
            Ok(())
        } else {
            Err(self.record())
        }
    }

    /// Records the report as one `input_validation_fail` event (nothing if it is empty), at
    /// the caller's location, and returns it.
    #[track_caller]
    pub fn record(self) -> Self {
        if !self.is_empty() {
            let failures = &self.failures;
            event!(
                crate = crate,
                "input_validation_fail",
                input = self.input.as_str(),
                failures = failures
            );
        }
        self
    }
}

impl Loggable for Failure {
    fn log(&self, out: &mut Encoder<'_>) {
        let mut obj = out.object();
        obj.field("field", self.field.as_str());
        obj.field("rule", self.rule.as_str());
        if let Some(v) = &self.value {
            obj.field_with("value", |enc| enc.raw(v));
        }
    }
}

impl std::fmt::Display for Report {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "invalid {}:", self.input)?;
        for (i, failure) in self.failures.iter().enumerate() {
            let sep = if i == 0 { " " } else { ", " };
            write!(f, "{sep}{} ({})", failure.field, failure.rule)?;
        }
        Ok(())
    }
}

impl std::error::Error for Report {}
