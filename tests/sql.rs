//! SQL by shape: real statements from PostgreSQL, MySQL and SQLite, and property tests that
//! no literal survives and no input makes `shape` panic.

use proptest::prelude::*;
use seclog::sql::{MAX_SHAPE_BYTES, shape};

/// (statement, expected shape).
const CASES: &[(&str, &str)] = &[
    // PostgreSQL
    (
        "SELECT id, email FROM users WHERE email = 'ann@example.com' AND active = TRUE",
        "SELECT id, email FROM users WHERE email = ? AND active = ?",
    ),
    (
        "SELECT * FROM orders WHERE customer_id IN (17, 23, 99) ORDER BY created_at DESC LIMIT 50",
        "SELECT * FROM orders WHERE customer_id IN (?) ORDER BY created_at DESC LIMIT ?",
    ),
    (
        "INSERT INTO users (email, password_hash) VALUES ('bob@example.com', '$2b$12$abcdefghijk') RETURNING id",
        "INSERT INTO users (email, password_hash) VALUES (?, ?) RETURNING id",
    ),
    (
        "INSERT INTO kv (k, v) VALUES ('a', 1) ON CONFLICT (k) DO UPDATE SET v = EXCLUDED.v + 1",
        "INSERT INTO kv (k, v) VALUES (?, ?) ON CONFLICT (k) DO UPDATE SET v = EXCLUDED.v + ?",
    ),
    (
        "UPDATE accounts SET balance = balance - 250.75 WHERE id = 42",
        "UPDATE accounts SET balance = balance - ? WHERE id = ?",
    ),
    (
        "DELETE FROM sessions WHERE expires_at < now() - interval '30 days'",
        "DELETE FROM sessions WHERE expires_at < now() - interval ?",
    ),
    (
        "WITH recent AS (SELECT * FROM logins WHERE ts > '2026-11-01') SELECT user_id, count(*) FROM recent GROUP BY user_id HAVING count(*) > 5",
        "WITH recent AS (SELECT * FROM logins WHERE ts > ?) SELECT user_id, count(*) FROM recent GROUP BY user_id HAVING count(*) > ?",
    ),
    (
        "SELECT name, rank() OVER (PARTITION BY dept ORDER BY salary DESC) FROM staff WHERE salary BETWEEN 50000 AND 90000",
        "SELECT name, rank() OVER (PARTITION BY dept ORDER BY salary DESC) FROM staff WHERE salary BETWEEN ? AND ?",
    ),
    (
        r#"SELECT data->>'email' FROM profiles WHERE data @> '{"plan": "pro"}'::jsonb"#,
        "SELECT data->>? FROM profiles WHERE data @> ?::jsonb",
    ),
    (
        r"SELECT * FROM users WHERE name ILIKE '%smith%' OR note = E'it\'s\nfine'",
        "SELECT * FROM users WHERE name ILIKE ? OR note = ?",
    ),
    (
        "CREATE FUNCTION add(a int, b int) RETURNS int AS $$ SELECT a + b + 42 $$ LANGUAGE sql",
        "CREATE FUNCTION add(a int, b int) RETURNS int AS ? LANGUAGE sql",
    ),
    (
        "DO $body$ BEGIN RAISE NOTICE 'secret %', 1; END $body$",
        "DO ?",
    ),
    (
        "SELECT * FROM t WHERE id = $1 AND tenant = $2",
        "SELECT * FROM t WHERE id = $1 AND tenant = $2",
    ),
    (
        "SELECT x::int, '{1,2}'::int[] FROM t WHERE y = -5 AND z = 1.5e-3",
        "SELECT x::int, ?::int[] FROM t WHERE y = -? AND z = ?",
    ),
    (
        "SELECT arr[1], arr[2:3] FROM t WHERE tags && ARRAY['a', 'b']",
        "SELECT arr[?], arr[?:?] FROM t WHERE tags && ARRAY[?, ?]",
    ),
    (r"SELECT U&'d\0061t\+000061' FROM t", "SELECT ? FROM t"),
    (
        "SELECT /* a /* nested */ comment */ id FROM t WHERE flag = false AND n IS NULL",
        "SELECT id FROM t WHERE flag = ? AND n IS NULL",
    ),
    // MySQL
    (
        r#"SELECT * FROM `users` WHERE `email` = "carol@example.com" LIMIT 10, 20"#,
        "SELECT * FROM `users` WHERE `email` = ? LIMIT ?, ?",
    ),
    (
        "INSERT IGNORE INTO logs (msg) VALUES ('boot')",
        "INSERT IGNORE INTO logs (msg) VALUES (?)",
    ),
    (
        "INSERT INTO stats (day, hits) VALUES ('2026-11-23', 1) ON DUPLICATE KEY UPDATE hits = hits + 1",
        "INSERT INTO stats (day, hits) VALUES (?, ?) ON DUPLICATE KEY UPDATE hits = hits + ?",
    ),
    // `\'` is an escaped quote to MySQL and the end of the string to every other server: the
    // shape hides whatever either reading calls a literal, here everything after `login =`.
    (
        r"SELECT * FROM users WHERE login = 'o\'brien' /* legacy */ AND id > 100",
        "SELECT * FROM users WHERE login = ?",
    ),
    ("SELECT 1 # mysql comment with 'secret'", "SELECT ?"),
    (
        "UPDATE users SET token = N'abc123', mask = B'1010', flags = 0xFF WHERE id = 7",
        "UPDATE users SET token = ?, mask = ?, flags = ? WHERE id = ?",
    ),
    (
        r"SELECT * FROM t WHERE name LIKE '%foo\_bar%' ESCAPE '|'",
        "SELECT * FROM t WHERE name LIKE ? ESCAPE ?",
    ),
    (
        "SELECT * FROM t WHERE id NOT IN ( 1 ,2,\n   3 )",
        "SELECT * FROM t WHERE id NOT IN (?)",
    ),
    // SQLite
    (
        "INSERT INTO items (sku, qty) VALUES ('A-1', 2), ('B-2', 5), ('C-3', 7)",
        "INSERT INTO items (sku, qty) VALUES (?, ?)",
    ),
    (
        "INSERT OR REPLACE INTO settings (key, value) VALUES ('theme', 'dark')",
        "INSERT OR REPLACE INTO settings (key, value) VALUES (?, ?)",
    ),
    ("PRAGMA foreign_keys = ON", "PRAGMA foreign_keys = ON"),
    (
        "ATTACH DATABASE '/var/data/secret.db' AS aux",
        "ATTACH DATABASE ? AS aux",
    ),
    (
        "SELECT CAST(amount AS INTEGER) FROM payments WHERE card_last4 = '4242'",
        "SELECT CAST(amount AS INTEGER) FROM payments WHERE card_last4 = ?",
    ),
    (
        "INSERT INTO blobs (data) VALUES (x'0A0B0C'), (X'FF')",
        "INSERT INTO blobs (data) VALUES (?)",
    ),
    (
        "SELECT * FROM t -- trailing comment 'secret'",
        "SELECT * FROM t",
    ),
    (
        "SELECT * FROM [Order Details] WHERE [OrderID] = 10248",
        "SELECT * FROM [Order Details] WHERE [OrderID] = ?",
    ),
    (
        "SELECT * FROM t WHERE id = :id AND name = @name AND x = ?",
        "SELECT * FROM t WHERE id = :id AND name = @name AND x = ?",
    ),
    (
        "SELECT t1.c2, table3.col_4 FROM t1 JOIN table3 ON t1.id = table3.t1_id",
        "SELECT t1.c2, table3.col_4 FROM t1 JOIN table3 ON t1.id = table3.t1_id",
    ),
    // Credentials without quotes are credentials.
    (
        "CREATE ROLE auditor LOGIN PASSWORD hunter2hunter2",
        "CREATE ROLE auditor LOGIN PASSWORD ?",
    ),
    (
        "ALTER USER app IDENTIFIED BY N3wPassw0rd REPLACE 0ldPassw0rd",
        "ALTER USER app IDENTIFIED BY ? REPLACE ?",
    ),
    (
        "BACKUP DATABASE shop TO '/mnt/b' WITH ENCRYPTION PASSWORD Backup2026",
        "BACKUP DATABASE shop TO ? WITH ENCRYPTION PASSWORD ?",
    ),
    (
        "CREATE SECRET s3cr3tValue; SET PASSWORD = Winter2026",
        "CREATE SECRET ?; SET PASSWORD = ?",
    ),
    (
        "CREATE USER password PASSWORD Tr0ub4dor",
        "CREATE USER password PASSWORD ?",
    ),
    // ... but `password` columns, functions and keywords after them are not.
    (
        "SELECT password FROM users WHERE u.password IS NOT NULL ORDER BY password DESC",
        "SELECT password FROM users WHERE u.password IS NOT NULL ORDER BY password DESC",
    ),
    (
        "CREATE TABLE users (id INT, password TEXT NOT NULL, secret VARCHAR(64))",
        "CREATE TABLE users (id INT, password TEXT NOT NULL, secret VARCHAR(?))",
    ),
    (
        "CREATE OR REPLACE VIEW v AS SELECT REPLACE(name, 'a', 'b') FROM t",
        "CREATE OR REPLACE VIEW v AS SELECT REPLACE(name, ?, ?) FROM t",
    ),
    (
        "UPDATE users SET password = crypt(pw, gen_salt(bf)) WHERE id = 3",
        "UPDATE users SET password = crypt(pw, gen_salt(bf)) WHERE id = ?",
    ),
    (
        "ALTER USER app PASSWORD EXPIRE; ALTER USER app IDENTIFIED BY PASSWORD '*AB12'",
        "ALTER USER app PASSWORD EXPIRE; ALTER USER app IDENTIFIED BY PASSWORD ?",
    ),
    // A standard string ending in a backslash (PostgreSQL, SQLite, SQL Server, Oracle) ends
    // there; read as MySQL it goes on. Nothing after it survives either reading.
    (
        r"SELECT * FROM files WHERE path = 'C:\' AND token = 'tok_live_example0000'",
        "SELECT * FROM files WHERE path = ?",
    ),
    (
        r"SELECT a FROM t JOIN u ON 'dir\' = t.p WHERE t.owner = 'Ramona'",
        "SELECT a FROM t JOIN u ON ?",
    ),
    // `ESCAPE '\'` names the backslash as LIKE's escape: a string of one backslash.
    (
        r"SELECT id FROM t WHERE a LIKE '%x\_%' ESCAPE '\' AND code = 'VOUCHER2026' AND n = 1",
        "SELECT id FROM t WHERE a LIKE ? ESCAPE ?",
    ),
    // Two ambiguous strings: each reading's literals are hidden.
    (
        r"SELECT * FROM t WHERE a = 'one\' OR b = 'two\' OR c = 'Isabella'",
        "SELECT * FROM t WHERE a = ?",
    ),
    // A doubled backslash reads the same both ways, and `E'..'` always escapes.
    (
        r"SELECT * FROM t WHERE a = 'x\\' AND b = E'y\'s' AND c = 3",
        "SELECT * FROM t WHERE a = ? AND b = ? AND c = ?",
    ),
    // A dollar tag with a space is no tag to a server, but what it quotes is a value.
    (
        "INSERT INTO notes (body) VALUES ($my tag$private words$my tag$)",
        "INSERT INTO notes (body) VALUES (?)",
    ),
    (
        "SELECT $price AND $qty FROM t",
        "SELECT $price AND $qty FROM t",
    ),
    // Unterminated: everything from the quote on is one literal.
    (
        "SELECT * FROM users WHERE password = 'oops no end",
        "SELECT * FROM users WHERE password = ?",
    ),
];

#[test]
fn real_world_statements() {
    assert!(CASES.len() >= 30);
    for (sql, expected) in CASES {
        assert_eq!(shape(sql), *expected, "for {sql:?}");
    }
}

#[test]
fn a_million_row_insert_has_a_short_shape() {
    let rows: Vec<String> = (0..100_000).map(|i| format!("({i}, 'name-{i}')")).collect();
    let sql = format!("INSERT INTO t (id, name) VALUES {}", rows.join(", "));
    assert_eq!(shape(&sql), "INSERT INTO t (id, name) VALUES (?, ?)");
}

#[test]
fn long_shapes_are_bounded() {
    let sql = format!("SELECT {} FROM t", vec!["col"; 5000].join(", "));
    let s = shape(&sql);
    assert!(s.len() <= MAX_SHAPE_BYTES + '…'.len_utf8());
    assert!(s.ends_with('…'));
}

/// SQL-ish fragments, to reach the tokenizer's corners more often than random text does.
fn fragments() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("SELECT ".to_owned()),
        Just("'".to_owned()),
        Just("\"".to_owned()),
        Just("`".to_owned()),
        Just("\\".to_owned()),
        Just("$$".to_owned()),
        Just("$tag$".to_owned()),
        Just("--".to_owned()),
        Just("/*".to_owned()),
        Just("*/".to_owned()),
        Just("#".to_owned()),
        Just("[".to_owned()),
        Just("]".to_owned()),
        Just(" IN (".to_owned()),
        Just(" VALUES (".to_owned()),
        Just(")".to_owned()),
        Just(",".to_owned()),
        Just("E'".to_owned()),
        Just("U&'".to_owned()),
        Just("0x".to_owned()),
        Just(":".to_owned()),
        Just("@".to_owned()),
        Just("é😀\u{202e}".to_owned()),
        "[0-9.eE+-]{1,6}",
        "[a-z_]{1,6}",
        "\\PC{0,4}",
    ];
    proptest::collection::vec(piece, 0..30).prop_map(|v| v.concat())
}

/// A secret and the statement holding it as a literal in one of the quoting styles.
fn statement_with_secret() -> impl Strategy<Value = (String, String)> {
    let secret = "[A-Za-z][A-Za-z0-9é😀 '\"\\\\$]{5,39}";
    (secret, 0..5usize).prop_map(|(secret, style)| {
        // A dollar-quoted body cannot hold its own tag: keep `$` out of it.
        let secret = if style == 3 {
            secret.replace('$', "Z")
        } else {
            secret
        };
        let literal = match style {
            0 => format!("'{}'", secret.replace('\\', "\\\\").replace('\'', "''")),
            1 => format!("E'{}'", secret.replace('\\', "\\\\").replace('\'', "\\'")),
            2 => format!("\"{}\"", secret.replace('\\', "\\\\").replace('"', "\"\"")),
            3 => format!("$q${secret}$q$"),
            _ => format!("N'{}'", secret.replace('\\', "\\\\").replace('\'', "''")),
        };
        let sql =
            format!("SELECT id FROM users WHERE note = {literal} AND x IN (1, {literal}) -- done");
        (sql, secret)
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Backslashes next to quotes read two ways; neither reading's literal survives.
    #[test]
    fn no_literal_survives_either_backslash_reading(
        a in "[A-Za-z][A-Za-z0-9]{5,20}",
        b in "[A-Za-z][A-Za-z0-9]{5,20}",
        tail in prop_oneof![Just(r"\"), Just(r"\\"), Just(r"\'x"), Just("")],
    ) {
        let sql = format!("SELECT * FROM t WHERE p = '{a}{tail}' AND q = '{b}' AND r = 1");
        let out = shape(&sql);
        prop_assert!(!out.contains(a.as_str()), "{sql:?} -> {out:?}");
        prop_assert!(!out.contains(b.as_str()), "{sql:?} -> {out:?}");
    }

    #[test]
    fn bare_passwords_never_survive(pw in "[A-Za-z][A-Za-z0-9_]{7,20}") {
        for sql in [
            format!("CREATE USER u PASSWORD {pw}"),
            format!("ALTER USER u IDENTIFIED BY {pw} REPLACE {pw}x"),
            format!("IMPORT t FROM '/x' WITH ENCRYPTION PASSWORD {pw}"),
        ] {
            let out = shape(&sql);
            prop_assert!(!out.contains(pw.as_str()), "{sql:?} -> {out:?}");
        }
    }

    #[test]
    fn never_panics_on_arbitrary_text(s in "\\PC*") {
        let out = shape(&s);
        prop_assert!(out.len() <= MAX_SHAPE_BYTES + '…'.len_utf8());
    }

    #[test]
    fn never_panics_on_sql_fragments(s in fragments()) {
        let out = shape(&s);
        prop_assert!(out.len() <= MAX_SHAPE_BYTES + '…'.len_utf8());
    }

    #[test]
    fn no_string_literal_survives((sql, secret) in statement_with_secret()) {
        let out = shape(&sql);
        prop_assert!(!out.contains(secret.as_str()), "{sql:?} -> {out:?}");
        prop_assert_eq!(out, "SELECT id FROM users WHERE note = ? AND x IN (?)");
    }

    #[test]
    fn no_number_survives(n in 100_000u64.., frac in 0u32..1000) {
        let sql = format!("UPDATE t SET a = {n}, b = {n}.{frac}, c = -{n}e3 WHERE id = {n}");
        let out = shape(&sql);
        prop_assert!(!out.contains(&n.to_string()), "{sql:?} -> {out:?}");
        prop_assert_eq!(out, "UPDATE t SET a = ?, b = ?, c = -? WHERE id = ?");
    }
}
