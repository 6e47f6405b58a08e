//! `sys_startup` states what the source's clock is based on: `fields.clock`, from
//! `adjtimex(2)` on Linux.
//!
//! A configuration is installed once per process: this file is its own test binary with one
//! test.

mod common;

use common::Memory;

#[test]
fn sys_startup_carries_the_clock() {
    let sink = Memory::default();
    let guard = seclog::builder()
        .service("shop", "1.0.0")
        .sink(sink.clone())
        .install()
        .unwrap();
    assert!(seclog::flush());
    let startup = sink.of("sys_startup");
    assert_eq!(startup.len(), 1, "{startup:?}");
    let clock = &startup[0]["fields"]["clock"];
    let keys: Vec<&str> = clock
        .as_object()
        .unwrap_or_else(|| panic!("fields.clock is an object: {}", startup[0]))
        .keys()
        .map(String::as_str)
        .collect();
    if cfg!(target_os = "linux") {
        assert_eq!(clock["source"], "adjtimex", "{clock}");
        assert_eq!(
            keys,
            ["est_error_us", "max_error_us", "source", "synced"],
            "{clock}"
        );
        assert!(clock["synced"].is_boolean(), "{clock}");
        assert!(clock["max_error_us"].is_u64(), "{clock}");
        assert!(clock["est_error_us"].is_u64(), "{clock}");
    } else {
        assert_eq!(keys, ["source"], "{clock}");
        assert_eq!(clock["source"], "unknown");
    }
    // The version is still there beside it.
    assert_eq!(
        startup[0]["fields"]["seclog_version"],
        env!("CARGO_PKG_VERSION")
    );
    drop(guard);
    assert_eq!(sink.of("sys_shutdown").len(), 1);
}
