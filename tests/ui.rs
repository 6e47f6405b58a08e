//! Compile-time behaviour: every compile error seclog promises has a case in `tests/ui/fail`
//! with its expected message checked in, and `tests/ui/pass` holds code that must compile and
//! run. Regenerate the messages after an intended change with `TRYBUILD=overwrite`.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/fail/*.rs");
    t.pass("tests/ui/pass/*.rs");
}
