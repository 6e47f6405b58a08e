//! Personal data in unmarked strings: a corpus of the project's own (cards, SSNs, IBANs,
//! e-mail addresses, phone numbers in several formats) and of look-alikes that must pass
//! untouched, and the masking at work in records.

use seclog::redact::scanner::{PiiKind, PiiSet, scrub, scrub_with, set_pii};
use seclog::security_logged;
use seclog::testing::capture;

/// (kind, text, the personal data in it).
const PERSONAL: &[(&str, &str, &str)] = &[
    ("card", "4526 0181 5908 3012", "4526 0181 5908 3012"),
    (
        "card",
        "card 4661-3186-0913-9090 on file",
        "4661-3186-0913-9090",
    ),
    ("card", "paid with 4960308246281940.", "4960308246281940"),
    ("card", "PAN=5182 1993 5181 9098", "5182 1993 5181 9098"),
    (
        "card",
        "5237-8657-9754-3238 exp 12/29",
        "5237-8657-9754-3238",
    ),
    ("card", r#""card":"5519487574911865""#, "5519487574911865"),
    ("card", "2221 2527 6018 9551", "2221 2527 6018 9551"),
    (
        "card",
        "card 2720-5979-7114-7103 on file",
        "2720-5979-7114-7103",
    ),
    ("card", "paid with 3449 746507 52919.", "3449 746507 52919"),
    ("card", "PAN=377034236671271", "377034236671271"),
    (
        "card",
        "6011-6842-6846-5635 exp 12/29",
        "6011-6842-6846-5635",
    ),
    ("card", r#""card":"6521223307924402""#, "6521223307924402"),
    ("card", "3530 2685 9952 8904", "3530 2685 9952 8904"),
    (
        "card",
        "card 3589-7866-6617-6034 on file",
        "3589-7866-6617-6034",
    ),
    ("card", "paid with 36137215901099.", "36137215901099"),
    ("card", "PAN=6228 1590 1396 2458", "6228 1590 1396 2458"),
    (
        "card",
        "4957117777412154726 exp 12/29",
        "4957117777412154726",
    ),
    (
        "card",
        r#""card":"6011803852808414852""#,
        "6011803852808414852",
    ),
    ("ssn", "SSN 172 46 3651", "172 46 3651"),
    ("ssn", "ssn: 546-70-8237", "546-70-8237"),
    ("ssn", "338-82-3655", "338-82-3655"),
    ("ssn", "tax id 628-98-3198 on file", "628-98-3198"),
    ("ssn", "SSN 826 31 6565", "826 31 6565"),
    ("ssn", "ssn: 758-30-3276", "758-30-3276"),
    ("ssn", "531-64-5826", "531-64-5826"),
    ("ssn", "tax id 749-04-0458 on file", "749-04-0458"),
    ("ssn", "SSN 810 36 7738", "810 36 7738"),
    ("ssn", "ssn: 266-25-9915", "266-25-9915"),
    ("ssn", "353-58-5727", "353-58-5727"),
    ("ssn", "tax id 374-11-3613 on file", "374-11-3613"),
    ("ssn", "SSN 105 30 7702", "105 30 7702"),
    ("ssn", "ssn: 202-44-3349", "202-44-3349"),
    ("ssn", "495-80-9999", "495-80-9999"),
    ("ssn", "tax id 861-01-7856 on file", "861-01-7856"),
    (
        "iban",
        "IBAN DE45 5116 3726 5167 6122 20",
        "DE45 5116 3726 5167 6122 20",
    ),
    (
        "iban",
        "pay to GB38ESOZ29975288200182 please",
        "GB38ESOZ29975288200182",
    ),
    (
        "iban",
        "FR31 6330 4348 3954 8620 5798 682",
        "FR31 6330 4348 3954 8620 5798 682",
    ),
    (
        "iban",
        r#""iban": "ES1082880729022279180588""#,
        "ES1082880729022279180588",
    ),
    (
        "iban",
        "IBAN IT23 8718 0334 0187 8017 5989 834",
        "IT23 8718 0334 0187 8017 5989 834",
    ),
    (
        "iban",
        "pay to NL72OQRZ7838483726 please",
        "NL72OQRZ7838483726",
    ),
    ("iban", "BE10 1675 1361 3412", "BE10 1675 1361 3412"),
    (
        "iban",
        r#""iban": "CH4252427316723268656""#,
        "CH4252427316723268656",
    ),
    (
        "iban",
        "IBAN AT08 3551 5058 7706 5894",
        "AT08 3551 5058 7706 5894",
    ),
    (
        "iban",
        "pay to PL46811311440242646288975140 please",
        "PL46811311440242646288975140",
    ),
    (
        "iban",
        "SE06 2614 0141 9314 1705 8649",
        "SE06 2614 0141 9314 1705 8649",
    ),
    ("iban", r#""iban": "NO2420831240234""#, "NO2420831240234"),
    (
        "iban",
        "IBAN IE04 4834 7824 5040 0088 38",
        "IE04 4834 7824 5040 0088 38",
    ),
    (
        "iban",
        "pay to PT82737167868433532650201 please",
        "PT82737167868433532650201",
    ),
    ("iban", "FI59 4620 1684 9340 72", "FI59 4620 1684 9340 72"),
    (
        "iban",
        r#""iban": "DK0824704558530435""#,
        "DK0824704558530435",
    ),
    ("email", "alice.smith@example.org", "alice.smith@"),
    ("email", "contact: bob+news@mail.example.co.uk", "bob+news@"),
    ("email", "<carol_oneil@sub.example.net>", "carol_oneil@"),
    ("email", "mail Dave.Jones@Example.COM now", "Dave.Jones@"),
    ("email", "from=user-42@shop.example.io&x=1", "user-42@"),
    ("email", r#""email":"x@y.example""#, "x@"),
    (
        "email",
        "To: Someone <first.last@university.example.edu>",
        "first.last@",
    ),
    ("email", "mailto:support@helpdesk.example.com", "support@"),
    ("email", "ops.team+alerts@example.dev", "ops.team+alerts@"),
    ("email", "contact: j.doe99@example.fr", "j.doe99@"),
    ("email", "<maria.garcia@correo.example.es>", "maria.garcia@"),
    ("email", "mail li.wei@example.cn now", "li.wei@"),
    (
        "email",
        "from=noreply@notifications.example.org&x=1",
        "noreply@",
    ),
    ("email", r#""email":"admin@example-host.net""#, "admin@"),
    ("email", "To: Someone <a.b.c.d@example.info>", "a.b.c.d@"),
    ("email", "mailto:sales_team@corp.example.com", "sales_team@"),
    ("email", "hans.mueller@example.de", "hans.mueller@"),
    ("email", "contact: o.connor@example.ie", "o.connor@"),
    ("email", "<test.user+tag@example.co>", "test.user+tag@"),
    ("email", "mail zoe@example.museum now", "zoe@"),
    ("email", "from=k2000@example.org&x=1", "k2000@"),
    ("email", r#""email":"lucy.liu@example.travel""#, "lucy.liu@"),
    ("email", "To: Someone <emma@example.tech>", "emma@"),
    ("email", "mailto:raj.patel@example.in", "raj.patel@"),
    ("email", "sam@example.app", "sam@"),
    ("phone", "+44 20 7946 0018", "+44 20 7946 0018"),
    ("phone", "call +1 (555) 010-0199", "+1 (555) 010-0199"),
    ("phone", "phone: +33 1 23 45 67 89", "+33 1 23 45 67 89"),
    ("phone", "tel:+4915112345678", "+4915112345678"),
    ("phone", r#""phone":"(555) 010-0199""#, "(555) 010-0199"),
    ("phone", "reach me at 555-010-0199 today", "555-010-0199"),
    ("phone", "555.010.0199", "555.010.0199"),
    ("phone", "call 020 7946 0018", "020 7946 0018"),
    ("phone", "phone: 030 12345678", "030 12345678"),
    ("phone", "tel:01 23 45 67 89", "01 23 45 67 89"),
    ("phone", r#""phone":"07700 900123""#, "07700 900123"),
    ("phone", "reach me at +49 30 901820 today", "+49 30 901820"),
    ("phone", "+81 3-1234-5678", "+81 3-1234-5678"),
    ("phone", "call +61 2 9876 5432", "+61 2 9876 5432"),
    ("phone", "phone: +1 415 555 0132", "+1 415 555 0132"),
    ("phone", "tel:+34 912 345 678", "+34 912 345 678"),
    ("phone", r#""phone":"+39 06 1234 5678""#, "+39 06 1234 5678"),
    (
        "phone",
        "reach me at +31 20 123 4567 today",
        "+31 20 123 4567",
    ),
    ("phone", "+46 8 123 456 78", "+46 8 123 456 78"),
    ("phone", "call +353 1 234 5678", "+353 1 234 5678"),
    ("phone", "phone: +1-212-555-0147", "+1-212-555-0147"),
    ("phone", "tel:+442079460958", "+442079460958"),
    ("phone", r#""phone":"0151 23456789""#, "0151 23456789"),
    ("phone", "reach me at 089 1234567 today", "089 1234567"),
    ("phone", "+86 10 1234 5678", "+86 10 1234 5678"),
    // The international prefix as `00`.
    ("phone", "00 44 20 7946 0018", "00 44 20 7946 0018"),
    ("phone", "call 0049 30 901820", "0049 30 901820"),
    ("phone", "tel:0033 1 23 45 67 89", "0033 1 23 45 67 89"),
    ("phone", r#""phone":"00353-1-234-5678""#, "00353-1-234-5678"),
    ("phone", "reach me at 001 415 555 0132", "001 415 555 0132"),
];

/// Numbers and identifiers that look like personal data and are not.
const LOOK_ALIKES: &[&str] = &[
    // Timestamps and dates.
    "2026-11-23T03:51:09Z",
    "2026-11-23T03:51:09.123456789+01:00",
    "2026-11-23 03:51:09",
    "20261123183000",
    "20261123",
    "23/11/2026",
    "11/23/2026",
    "23.11.2026",
    "2026.11.23",
    "2026-11-23/2026-11-30",
    "Mon, 23 Nov 2026 03:51:09 GMT",
    "03:51:09.123",
    "uptime 1234567 s",
    // Epoch seconds, millis, micros, nanos.
    "1763871069",
    "ts=1763871069123",
    "1763871069123456",
    "1763871069123456789",
    "expires_at: 1763871069",
    // UUIDs and ids.
    "550e8400-e29b-41d4-a716-446655440000",
    "f47ac10b-58cc-4372-a567-0e02b2c3d479",
    "00000000-0000-0000-0000-000000000000",
    "req_01HZX3KQ4B5M9N2P7R8S6T0V1W",
    "user 1234567",
    "id=123456789012",
    // Order, invoice and tracking numbers.
    "ORD-2026-000123456",
    "order #10420001 shipped",
    "invoice INV-0000012345",
    "PO-2026-11-000042",
    "tracking 1Z999AA10123456784",
    "tracking 9400 1000 0000 0000 0000 00",
    "FedEx 7489 1234 5678",
    "ticket 12345678",
    "case 2026-000123",
    "batch 0042-0001-0007",
    // ISBNs.
    "ISBN 978-3-16-148410-0",
    "ISBN 0-306-40615-2",
    "isbn13=9783161484100",
    "ISSN 2049-3630",
    // Versions and builds.
    "version 1.95.0 (59807616e 2026-04-14)",
    "10.0.19045.3803",
    "v2.3.4-rc.1",
    "build 20261123.1",
    "1.2.3+20261123",
    "Chrome/126.0.6478.126",
    "kernel 6.8.0-1015-aws",
    // Hashes and digests.
    "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "commit 4b825dc642cb6eb9a060e54bf8d69288fbee4904",
    "md5 d41d8cd98f00b204e9800998ecf8427e",
    "etag \"33a64df551425fcc55e4d42a148795d9f25f89d4\"",
    "crc32 1234567890",
    // Addresses.
    "203.0.113.7",
    "192.168.100.200",
    "10.0.0.1:8080",
    "2001:db8:85a3::8a2e:370:7348",
    "fe80::1ff:fe23:4567:890a",
    "[2001:db8::1]:443",
    "0.0.0.0/0",
    "mac 00:1A:2B:3C:4D:5E",
    // Prices and amounts.
    "total 1,299.00 EUR",
    "$12,345.67",
    "€ 1.234.567,89",
    "amount=1234567.89",
    "balance -1234567.00",
    "qty 10000000",
    // Coordinates and measures.
    "lat=51.5074, lon=-0.1278",
    "40.712776,-74.005974",
    "size 1048576 bytes",
    "duration 1234567 ms",
    "1920x1080",
    // Runs of digits that start with `00`.
    "order 0012345678",
    "ref 0000 1234 5678",
    "serial 000123456789",
    "batch 0042-0001-0007-0100",
    // Card look-alikes: wrong checksum, no issuer, too short or too long.
    "4111111111111112",
    "1234567890123456",
    "0000 0000 0000 0001",
    "9999 9999 9999 9995",
    "4111 1111 1111",
    "41111111111111111111111",
    "8000000000000002",
    // SSN look-alikes: invalid area, group or serial; glued.
    "000-12-3456",
    "666-12-3456",
    "912-34-5678",
    "123-00-4567",
    "123-45-0000",
    "123-45-67890",
    "part 123-45-6789-01",
    // IBAN look-alikes: bad checksum, unknown country, wrong length.
    "IBAN-like DE00 0000 0000 0000 0000 00",
    "DE89 3704 0044 0532 0130 01",
    "ZZ12 3456 7890 1234",
    "GB82 WEST 1234 5698 7654",
    // Phone look-alikes.
    "+1 vote",
    "room 555-0100",
    "ext. 1234",
    "HTTP/1.1 200 OK",
    "ports 8080-8090",
    "x=1234567&y=7654321",
    "page 3 of 1234567",
    // Strings with an @ that are not e-mail addresses.
    "https://user@example.com/repo.git",
    "ssh://git@git.example.com:22/org/repo",
    "@alice mentioned you",
    "name@host",
    "retry @ 10:30",
    "img@2x.png",
    "node@18.17.0",
    "scope @org/pkg@1.2.3",
];

#[test]
fn personal_data_is_masked_and_look_alikes_pass() {
    assert!(PERSONAL.len() >= 100 && LOOK_ALIKES.len() >= 100);
    let mut missed = Vec::new();
    for (kind, text, value) in PERSONAL {
        match scrub(text) {
            Some(clean) if !clean.contains(value) => {}
            other => missed.push(format!("[{kind}] {text:?} -> {other:?}")),
        }
    }
    let changed: Vec<String> = LOOK_ALIKES
        .iter()
        .filter_map(|t| scrub(t).map(|c| format!("{t:?} -> {c:?}")))
        .collect();
    let masked = PERSONAL.len() - missed.len();
    println!(
        "masked {masked}/{} personal data strings, changed {}/{} look-alikes",
        PERSONAL.len(),
        changed.len(),
        LOOK_ALIKES.len()
    );
    assert!(masked * 100 >= PERSONAL.len() * 98, "missed: {missed:#?}");
    assert!(changed.is_empty(), "look-alikes changed: {changed:#?}");
}

#[test]
fn masks_follow_the_strategies() {
    let cases = [
        ("mail Alice.Smith@Example.ORG now", "mail …@example.org now"),
        ("card 4111 1111 1111 1111 on file", "card …1111 on file"),
        ("IBAN DE89 3704 0044 0532 0130 00", "IBAN [REDACTED:iban]"),
        ("SSN 123-45-6789", "SSN [REDACTED:ssn]"),
        ("call +44 20 7946 0018 today", "call [REDACTED:phone] today"),
    ];
    for (text, expected) in cases {
        assert_eq!(scrub(text).as_deref(), Some(expected), "{text}");
    }
    let r = scrub_with(
        "a@example.org +1 (555) 010-0199",
        seclog::redact::scanner::Config::ALL,
    )
    .unwrap();
    assert_eq!(
        r.found.names().collect::<Vec<_>>(),
        ["pii_email", "pii_phone"]
    );
}

#[security_logged]
fn update_profile(contact: &str, note: &str) -> usize {
    contact.len() + note.len()
}

/// One test: it switches the process-wide personal-data kinds.
#[test]
fn unannotated_parameters_are_masked_in_records() {
    let call = || update_profile("ann.lee@example.com", "call +1 (555) 010-0199 after 5");
    let (_, recs) = capture(call);
    let r = &recs[0];
    assert_eq!(r["inputs"]["contact"], "…@example.com");
    assert_eq!(r["inputs"]["note"], "call [REDACTED:phone] after 5");
    assert_eq!(
        r["redacted"],
        serde_json::json!(["inputs.contact:pii_email", "inputs.note:pii_phone"])
    );

    // Phone numbers switched off: only e-mail addresses are masked.
    set_pii(PiiSet::ALL.without(PiiKind::Phone));
    let (_, recs) = capture(call);
    set_pii(PiiSet::ALL);
    assert_eq!(recs[0]["inputs"]["contact"], "…@example.com");
    assert_eq!(recs[0]["inputs"]["note"], "call +1 (555) 010-0199 after 5");
    assert_eq!(
        recs[0]["redacted"],
        serde_json::json!(["inputs.contact:pii_email"])
    );
}
