//! One process, one source: every record a process writes — its handlers', the watcher's,
//! `sys_*`, `seclog.*` — names the same `where.service` and `where.version`, and the records
//! seclog writes itself carry no path of the machine that built it.
//!
//! Each case runs the quickstart example in a child process of its own and reads back every
//! line it wrote to stdout.

mod common;

use common::{is_child, run_child};
use seclog::Redact;
use serde_json::Value;

#[allow(dead_code)]
#[path = "../examples/quickstart.rs"]
mod quickstart;

/// The records among the child's stdout lines (the test harness writes there too, the first
/// record after its `test name ... ` on the same line).
fn records(out: &std::process::Output) -> Vec<Value> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.find("{\"ts\":").map(|at| &l[at..]))
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

/// This test binary's name: the service of a process that configures none.
fn exe_name() -> String {
    let exe = std::env::current_exe().unwrap();
    exe.file_stem().unwrap().to_string_lossy().into_owned()
}

fn own(r: &Value) -> bool {
    let event = r["event"].as_str().unwrap();
    event.starts_with("sys_") || event.starts_with("seclog.")
}

/// Checks that every record names `service` and `version`, and that no `where.file` is an
/// absolute path; returns the events written.
fn one_source(records: &[Value], service: &str, version: &str) -> Vec<String> {
    assert!(!records.is_empty());
    for r in records {
        let w = &r["where"];
        assert_eq!(w["service"], service, "{r}");
        assert_eq!(w["version"], version, "{r}");
        let file = w["file"].as_str().unwrap();
        assert!(
            !file.starts_with('/') && !file.contains(":\\"),
            "an absolute path: {r}"
        );
        if own(r) || r["event"] == "authn_login_successafterfail" {
            assert!(file.starts_with("seclog-runtime/src/"), "{r}");
        }
    }
    records
        .iter()
        .map(|r| r["event"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn quickstart_child() {
    if !is_child("quickstart_child") {
        return;
    }
    quickstart::main();
    assert!(seclog::flush());
}

#[test]
fn the_quickstart_s_records_all_name_the_executable() {
    let out = run_child("quickstart_child", &[], &[]);
    let records = records(&out);
    let events = one_source(&records, &exe_name(), "unknown");
    assert_eq!(
        events,
        [
            "authn_login_fail",
            "authn_login_fail",
            "authn_login_fail",
            "authn_login_success",
            "authn_login_successafterfail",
            "order.place",
            "order.place",
            "report.export",
        ],
        "{records:?}"
    );
    let handler = records.iter().find(|r| r["event"] == "authn_login_fail");
    let watcher = records
        .iter()
        .find(|r| r["event"] == "authn_login_successafterfail");
    let file = handler.unwrap()["where"]["file"].as_str().unwrap();
    assert!(file.ends_with("examples/quickstart.rs"), "{file}");
    assert_eq!(watcher.unwrap()["where"]["fn"], "seclog_runtime::watch");
}

#[derive(Redact)]
struct Contact {
    #[redact(hash)]
    phone: String,
}

#[test]
fn installed_child() {
    if !is_child("installed_child") {
        return;
    }
    let guard = seclog::builder().with_env().unwrap().install().unwrap();
    quickstart::main();
    // `seclog.hash_key_missing`, and a helper recording at its caller's location.
    let _ = seclog::to_json(&Contact {
        phone: "+44 7700 900123".into(),
    });
    seclog::events::authz_fail("/admin");
    drop(guard);
}

/// The installed set-up's records (`sys_startup`, `sys_shutdown`, `seclog.*`), the watcher's
/// and the handlers' name one source, configured or not.
#[test]
fn seclog_s_own_records_name_the_same_source_as_the_handlers() {
    let exe = exe_name();
    for (envs, service, version) in [
        (&[][..], exe.as_str(), "unknown"),
        (&[("SECLOG_SERVICE", "shop")][..], "shop", "unknown"),
        (&[("SECLOG_SERVICE_VERSION", "2.1.0")][..], &exe, "2.1.0"),
        (
            &[
                ("SECLOG_SERVICE", "shop"),
                ("SECLOG_SERVICE_VERSION", "2.1.0"),
            ][..],
            "shop",
            "2.1.0",
        ),
    ] {
        let out = run_child("installed_child", envs, &[]);
        let records = records(&out);
        let events = one_source(&records, service, version);
        for event in [
            "sys_startup",
            "authn_login_fail",
            "authn_login_successafterfail",
            "seclog.hash_key_missing",
            "authz_fail",
            "sys_shutdown",
        ] {
            assert!(events.iter().any(|e| e == event), "{event}: {events:?}");
        }
        let authz = records.iter().find(|r| r["event"] == "authz_fail").unwrap();
        assert_eq!(authz["where"]["file"], "tests/one_source.rs");
        let startup = records
            .iter()
            .find(|r| r["event"] == "sys_startup")
            .unwrap();
        assert_eq!(
            startup["where"]["file"],
            "seclog-runtime/src/setup/builder.rs"
        );
    }
}
