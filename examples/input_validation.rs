//! Recording rejected input: the fields that failed and the rules they broke, never the
//! rejected values (unless a field is declared safe). Run with
//! `cargo run --example input_validation`; records go to stdout.

use seclog::validation::Report;

pub struct Signup {
    pub email: String,
    pub password: String,
    pub age: u32,
    pub plan: String,
}

const PLANS: [&str; 3] = ["free", "team", "enterprise"];

fn validate(form: &Signup) -> Result<(), Report> {
    let mut report = Report::new("signup");
    if !form.email.contains('@') {
        report.fail("email", "format");
    }
    if form.password.len() < 12 {
        report.fail("password", "min_length");
    }
    if form.age < 18 {
        // A number: safe to record, and useful to an investigator.
        report.fail_with_value("age", "min", &form.age);
    }
    if !PLANS.contains(&form.plan.as_str()) {
        // A value from a closed set would be safe, but this one was free text: not recorded.
        report.fail("plan", "one_of");
    }
    report.finish()
}

fn main() {
    let form = Signup {
        email: "bob(at)example.com".into(),
        password: "hunter2".into(),
        age: 16,
        plan: "'; DROP TABLE plans; --".into(),
    };
    match validate(&form) {
        Ok(()) => eprintln!("accepted"),
        Err(report) => eprintln!("rejected: {report}"),
    }
}
