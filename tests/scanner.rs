//! The secret scanner: a corpus of secrets and of harmless look-alikes with the detection and
//! false-positive rates, and the backstop at work in records.

use seclog::redact::scanner::{scrub, set_enabled};
use seclog::testing::capture;
use seclog::{Redact, security_logged};

/// (text holding a secret, the kind it must be tagged with).
const SECRETS: &[(&str, &str)] = &[
    (
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c",
        "jwt",
    ),
    (
        "token=eyJhbGciOiJSUzI1NiIsImtpZCI6IjEifQ.eyJpc3MiOiJodHRwczovL2lkcCIsInN1YiI6ImFubiJ9.c2lnbmF0dXJlLWJ5dGVzLWhlcmU",
        "jwt",
    ),
    (
        "{\"id_token\":\"eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJib2IiLCJleHAiOjE3MDAwMDAwMDB9.MEUCIQD\"}",
        "jwt",
    ),
    (
        "eyJ0eXAiOiJKV1QiLCJhbGciOiJub25lIn0.eyJhZG1pbiI6dHJ1ZX0.",
        "jwt",
    ),
    (
        "Authorization: Bearer 9f8e7d6c5b4a39281706f5e4d3c2b1a0",
        "bearer",
    ),
    ("bearer ya29.a0AfH6SMBx-3kLqL0Zc9sPq", "bearer"),
    ("BEARER abcdefghijklmnopqrstuvwxyz012345", "bearer"),
    ("header was 'Bearer sk-proj-AbCdEfGhIjKlMnOpQr'", "bearer"),
    ("AKIAIOSFODNN7EXAMPLE", "aws_key"),
    ("aws_access_key_id = AKIAI44QH8DHBEXAMPLE", "aws_key"),
    ("ASIAY34FZKBOKMUTVV7A in session", "aws_key"),
    ("key AGPAJ2UCCR6DPCEXAMPL!", "aws_key"),
    ("AROAJQABLZS4A3QDU576 role", "aws_key"),
    (
        "-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA1c7+\n-----END RSA PRIVATE KEY-----",
        "private_key",
    ),
    (
        "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIA\n-----END PRIVATE KEY-----",
        "private_key",
    ),
    (
        "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIBkg",
        "private_key",
    ),
    (
        "key:-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----",
        "private_key",
    ),
    ("ghp_1234567890abcdefghijklmnopqrstuvwxyz", "github_token"),
    ("gho_16C7e42F292c6912E7710c838347Ae178B4a", "github_token"),
    (
        "push with ghs_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789 failed",
        "github_token",
    ),
    (
        "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUV",
        "github_token",
    ),
    ("ghr_abcdefghijklmnopqrstuvwxyz0123456789AB", "github_token"),
    (
        "xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx",
        "slack_token",
    ),
    (
        "slack token xoxp-1111111111-2222222222-3333333333-abcdef",
        "slack_token",
    ),
    ("xoxa-2-abcdefghijklmnop", "slack_token"),
    ("sk_live_4eC39HqLyjWDarjtT1zdp7dc", "stripe_key"),
    ("sk_test_51HqLyjWDarjtT1zdp7dcABCD", "stripe_key"),
    ("rk_live_abcdefghijklmnopqrstuvwx", "stripe_key"),
    ("STRIPE=sk_live_0123456789abcdefABCDEF", "stripe_key"),
    (
        "postgres://app:hunter2@db.internal:5432/shop",
        "url_credential",
    ),
    ("https://admin:s3cr3t!@example.com/login", "url_credential"),
    ("redis://:p4ssw0rd@cache:6379", "url_credential"),
    ("amqp://guest:guest@rabbit/", "url_credential"),
    (
        "mysql://root:toor@127.0.0.1:3306/app?ssl=1",
        "url_credential",
    ),
    (
        "connect to ftp://bob:correct-horse@files.example.org now",
        "url_credential",
    ),
    (
        "mongodb+srv://svc:Zx9$kLm2@cluster0.mongodb.net/db",
        "url_credential",
    ),
    (
        "eyJhbGciOiJIUzI1NiJ9.eyJyb2xlIjoiYWRtaW4ifQ.dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk",
        "jwt",
    ),
];

/// Strings that look like secrets and are not.
const HARMLESS: &[&str] = &[
    "2026-11-23T03:51:09.123456789Z",
    "2026-11-23 03:51:09",
    "1763871069",
    "1763871069123",
    "550e8400-e29b-41d4-a716-446655440000",
    "f47ac10b-58cc-4372-a567-0e02b2c3d479",
    "ORD-2026-000123456",
    "order #10420001 shipped",
    "invoice INV-0000012345",
    "tracking 1Z999AA10123456784",
    "4111111111111112",
    "1234567890123456",
    "0000 0000 0000 0001",
    "total 1,299.00 EUR",
    "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "commit 4b825dc642cb6eb9a060e54bf8d69288fbee4904",
    "version 1.95.0 (59807616e 2026-04-14)",
    "https://example.com/login?next=/admin",
    "postgres://db.internal:5432/shop",
    "https://user@example.com/repo.git",
    "203.0.113.7",
    "2001:db8:85a3::8a2e:370:7348",
    "10.0.0.1:8080",
    "bearer of bad news",
    "the Bearer token was missing",
    "AKIA is a prefix",
    "AKIAIOSFODNN7EXAMPL",
    "eyJust kidding",
    "ghp_short",
    "xoxb-",
    "sk_live_",
    "sk_test_short",
    "-----BEGIN CERTIFICATE-----\nMIIB",
    "-----BEGIN PUBLIC KEY-----\nMFkw",
    "dGhpcyBpcyBqdXN0IGJhc2U2NCB0ZXh0",
    "The quick brown fox jumps over the lazy dog",
    "SELECT * FROM users WHERE id = ?",
    "GET /api/v1/orders/12345 HTTP/1.1",
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36",
    "user_id=42&page=3&sort=desc",
    "lat=51.5074, lon=-0.1278",
    "ISBN 978-3-16-148410-0",
    "IBAN-like DE00 0000 0000 0000 0000 00",
    "build 20261123.1",
    "a.b.c.d.e.f.g.h",
];

/// One case per rule family: (family, text, the secret in it, the tag it must get). The
/// values are made up for these tests.
const FAMILIES: &[(&str, &str, &str, &str)] = &[
    (
        "env",
        "DB_PASSWORD=UQg1AoeaSYeUXz",
        "UQg1AoeaSYeUXz",
        "credential",
    ),
    (
        "json",
        r#"{"client_secret": "ENOjqnMD8v0OmeHs4Wmld0WpixpxbB4r"}"#,
        "ENOjqnMD8v0OmeHs4Wmld0WpixpxbB4r",
        "credential",
    ),
    (
        "yaml",
        "api_key: 6bSr0pFBOPCWBRDFOxEzf5FJtRBZ",
        "6bSr0pFBOPCWBRDFOxEzf5FJtRBZ",
        "credential",
    ),
    (
        "query string",
        "GET /callback?code=1&access_token=RAJyu5BKaCKvsYFJGufE0w6HjwXmDM&state=x",
        "RAJyu5BKaCKvsYFJGufE0w6HjwXmDM",
        "credential",
    ),
    (
        "code",
        r#"let secret = "wmctuUHtirNLU09X0fmn";"#,
        "wmctuUHtirNLU09X0fmn",
        "credential",
    ),
    (
        "go code",
        r#"conn.auth_token := "R7n5FdmueGDmblocOKFm7BEKAT3TqFZA7oIz""#,
        "R7n5FdmueGDmblocOKFm7BEKAT3TqFZA7oIz",
        "credential",
    ),
    (
        "comparison",
        r#"if (user_password == "ftQyz0HLEvN7") {"#,
        "ftQyz0HLEvN7",
        "credential",
    ),
    (
        "cli flag",
        "deploy --password Mc0pYJzvItJ17FO6 --verbose",
        "Mc0pYJzvItJ17FO6",
        "credential",
    ),
    (
        "cli flag =",
        "app --api-key=bBlKu8y0Xx7gslTkmH3cmPtb",
        "bBlKu8y0Xx7gslTkmH3cmPtb",
        "credential",
    ),
    (
        "connection string",
        "Server=db;Database=shop;User Id=app;PWD=x0Bhc2FyLPvMGvr;",
        "x0Bhc2FyLPvMGvr",
        "credential",
    ),
    (
        "connection string",
        "Host=pg;Password=2Ka1YsHzFXQf1pjwaS;Port=5432",
        "2Ka1YsHzFXQf1pjwaS",
        "credential",
    ),
    (
        "azure storage",
        "DefaultEndpointsProtocol=https;AccountName=acme;AccountKey=YER7gr0qoqU1TChFzBDMSq0w+ThEpzI5eOe1zvUNLCIgCPMMc6P3dne3zi2OFtB1J1LkA7FBDsBISfgnOdfY/g==;EndpointSuffix=core.windows.net",
        "YER7gr0qoqU1TChFzBDMSq0w+ThEpzI5eOe1zvUNLCIgCPMMc6P3dne3zi2OFtB1J1LkA7FBDsBISfgnOdfY/g==",
        "credential",
    ),
    (
        "high entropy",
        "stripeToken=TbK47gQcpobB2OlatoaybhHitbwJuQ5gKeiOLS4G",
        "TbK47gQcpobB2OlatoaybhHitbwJuQ5gKeiOLS4G",
        "credential",
    ),
    (
        "bearer",
        "Authorization: Bearer NcM_8ZvU4mOj.GiDWfOXL6oDQRPR39TP2Fcit5EJ",
        "NcM_8ZvU4mOj.GiDWfOXL6oDQRPR39TP2Fcit5EJ",
        "bearer",
    ),
    (
        "basic",
        "Authorization: Basic c3ZjOldIMTBka2N4YVA1MA==",
        "c3ZjOldIMTBka2N4YVA1MA==",
        "basic_auth",
    ),
    (
        "token scheme",
        "Authorization: Token d833609480c6f3de6cf8d08af921ebae797a6124",
        "d833609480c6f3de6cf8d08af921ebae797a6124",
        "authorization",
    ),
    (
        "curl -u",
        "curl -u deploy:5Zb5n6qA31m4lb https://ci.example.net/api",
        "5Zb5n6qA31m4lb",
        "basic_auth",
    ),
    (
        "mongodb",
        "mongodb://app:DWmIq71xgLVapsY7@mongo-0.internal:27017/shop",
        "DWmIq71xgLVapsY7",
        "url_credential",
    ),
    (
        "redis",
        "redis://default:JOcqYWMMgLpL2JOXQ8ZG@cache.internal:6379/0",
        "JOcqYWMMgLpL2JOXQ8ZG",
        "url_credential",
    ),
    (
        "jdbc",
        "jdbc:postgresql://db.internal:5432/shop?user=app&password=pSqptA1U7Mrfxm",
        "pSqptA1U7Mrfxm",
        "credential",
    ),
    (
        "postgres",
        "postgres://report:qU5nMQxaE3xq@10.1.2.3/warehouse",
        "qU5nMQxaE3xq",
        "url_credential",
    ),
    (
        "amqps",
        "amqps://bus:ob1TmTsc9Gjq@rabbit.internal/vhost",
        "ob1TmTsc9Gjq",
        "url_credential",
    ),
    (
        "jwt",
        "id_token=eyJhbGciOiAiSFMyNTYiLCAidHlwIjogIkpXVCJ9.eyJzdWIiOiAidS1XaUw5ZHYiLCAiaWF0IjogMTc2NDQ2MDgwMH0.SMlvNaAmERWHjdjzYPzxiBzSlHNJqiJ5PqKfUg7z1xt",
        "SMlvNaAmERWHjdjzYPzxiBzSlHNJqiJ5PqKfUg7z1xt",
        "jwt",
    ),
    (
        "unsigned jwt",
        "token eyJhbGciOiAibm9uZSJ9.eyJzdWIiOiAidS1XaUw5ZHYiLCAiaWF0IjogMTc2NDQ2MDgwMH0.",
        "eyJzdWIiOiAidS1XaUw5ZHYiLCAiaWF0IjogMTc2NDQ2MDgwMH0",
        "jwt",
    ),
    (
        "pem",
        "-----BEGIN RSA PRIVATE KEY-----\nMIIEow+fkNFI/0Wbq41xwuXHSLK4axTU4tZUJ2CqO1YgWx2LZghrrADIomTo8JtD1V\n-----END RSA PRIVATE KEY-----",
        "MIIEow+fkNFI/0Wbq41xwuXHSLK4axTU4tZUJ2CqO1YgWx2LZghrrADIomTo8JtD1V",
        "private_key",
    ),
    (
        "openssh",
        "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA8T+aOjkUmKmb40Uku/NlE9FXDc+yreIogLe3pOsx\n-----END OPENSSH PRIVATE KEY-----",
        "b3BlbnNzaC1rZXktdjEAAAAA8T+aOjkUmKmb40Uku",
        "private_key",
    ),
    (
        "pgp",
        "-----BEGIN PGP PRIVATE KEY BLOCK-----\n\nlQOYBGVZSo0jR2z3fV+Kmt+z95IOmfGNEBgEolOGSE6MsaUFs2gjdkTd\n=Ab3x\n-----END PGP PRIVATE KEY BLOCK-----",
        "lQOYBGVZSo0jR2z3fV",
        "private_key",
    ),
    (
        "aws AKIA",
        "aws id AKIAZOFE2DCHJNE7GDX4 used",
        "AKIAZOFE2DCHJNE7GDX4",
        "aws_key",
    ),
    (
        "aws ASIA",
        "ASIAQ0VLSNDD9P5ESEL7",
        "ASIAQ0VLSNDD9P5ESEL7",
        "aws_key",
    ),
    (
        "aws ABIA",
        "key=ABIAFCYUYNYSSGAEPT2S",
        "ABIAFCYUYNYSSGAEPT2S",
        "aws_key",
    ),
    (
        "aws ACCA",
        "ACCAIX5E8MRNZ411TPDZ,",
        "ACCAIX5E8MRNZ411TPDZ",
        "aws_key",
    ),
    (
        "github ghp",
        "ghp_n0MrYIi9l9qhyjd3wPmxCkx99CBZ5EtMlc5j",
        "n0MrYIi9l9qhyjd3wPmxCkx99CBZ5EtMlc5j",
        "github_token",
    ),
    (
        "github gho",
        "gho_b3W9qa0aiPOZeSdXn2P4IccASs0lUVokmyiy",
        "b3W9qa0aiPOZeSdXn2P4IccASs0lUVokmyiy",
        "github_token",
    ),
    (
        "github ghu",
        "ghu_FUgMQLfzT3zkR22ILQDvZYlQ4nYP7h8Xape2",
        "FUgMQLfzT3zkR22ILQDvZYlQ4nYP7h8Xape2",
        "github_token",
    ),
    (
        "github ghs",
        "ghs_j5pl4Elo7LRtW4S03h4hbZtO11LFj8hNhBMj",
        "j5pl4Elo7LRtW4S03h4hbZtO11LFj8hNhBMj",
        "github_token",
    ),
    (
        "github ghr",
        "ghr_FfgSPPvHHspEVWuoyVXfGHuSuFKeWGyU3f2M",
        "FfgSPPvHHspEVWuoyVXfGHuSuFKeWGyU3f2M",
        "github_token",
    ),
    (
        "github fine-grained",
        "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",
        "Bi2YyQpBrdJTxOvRCuJB990tWxPufitizDBqQwh9u318kVo7ijfRx1kfIO8",
        "github_token",
    ),
    (
        "gitlab pat",
        "glpat-9bGEpbeswF6ew-No93zg",
        "9bGEpbeswF6ew-No93zg",
        "gitlab_token",
    ),
    (
        "gitlab runner",
        "runner glrt-vaognuzhKv5ONIghEXY5",
        "vaognuzhKv5ONIghEXY5",
        "gitlab_token",
    ),
    (
        "gitlab deploy",
        "gldt-zJldyWoW6U9Ar9VHkRel",
        "zJldyWoW6U9Ar9VHkRel",
        "gitlab_token",
    ),
    (
        "slack bot",
        "xoxb-334434042684-8599156582001-sYIEmUTWEI8SvyUpeDKHMoUw",
        "sYIEmUTWEI8SvyUpeDKHMoUw",
        "slack_token",
    ),
    (
        "slack user",
        "xoxp-265337458948-098456820069-715496694507-90cbe0f86fee0a8e44b96f09547c52cd",
        "90cbe0f86fee0a8e44b96f09547c52cd",
        "slack_token",
    ),
    (
        "slack app",
        "xapp-1-A011UW6NG6Z-7282673204463-144a9cea9e4830f96756ed50fdb82222559fec4c9a3af3fbe211658710eff142",
        "144a9cea9e4830f96756ed50fdb82222559fec4c9a3af3fbe211658710eff142",
        "slack_token",
    ),
    (
        "slack webhook",
        "https://hooks.slack.com/services/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",
        "J2R0JPseXC19B31FTT97kNQh",
        "slack_webhook",
    ),
    (
        "stripe sk",
        "sk_live_Q6ClOiIFiyfttEY77HWRcxjU",
        "Q6ClOiIFiyfttEY77HWRcxjU",
        "stripe_key",
    ),
    (
        "stripe rk",
        "rk_test_n4IfwlilyPd6nwxkkj7qv9u3",
        "n4IfwlilyPd6nwxkkj7qv9u3",
        "stripe_key",
    ),
    (
        "stripe webhook",
        "whsec_kP9kHs0sgXU1jq1PLbed2BMBT82Atre0",
        "kP9kHs0sgXU1jq1PLbed2BMBT82Atre0",
        "stripe_key",
    ),
    (
        "openai project",
        "OPENAI=sk-proj-RUFlFycLB4KzlA5baSk30loWfCodQVPsWeuqKngi",
        "RUFlFycLB4KzlA5baSk30loWfCodQVPsWeuqKngi",
        "openai_key",
    ),
    (
        "openai legacy",
        "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",
        "i1o8xR6EOMoVJuQDRZYAT3BlbkFJL9mAhJ6pa9JNPG87rL6W",
        "openai_key",
    ),
    (
        "anthropic",
        "sk-ant-api03-KxIOF8W2whyeTYLsEwnq_1hBjlp0q98H86nzXLM9zeeCUYLqiRsK0zjGEYAe7pKvvvx-TI8q3-tctJp3cz1LZ89HbpvmeAA",
        "KxIOF8W2whyeTYLsEwnq_1hBjlp0q98H86nzXLM9zeeCUYLqiRsK0zjGEYAe7pKvvvx",
        "anthropic_key",
    ),
    (
        "google",
        "key=AIza8hkw7eVjWkD1rcJ_WDoVX3G4JyTioqg5L09&q=1",
        "8hkw7eVjWkD1rcJ_WDoVX3G4JyTioqg5L09",
        "google_api_key",
    ),
    (
        "twilio key",
        "SK9014cc25d3b3eb833dcef2732f215abe",
        "9014cc25d3b3eb833dcef2732f215abe",
        "twilio_key",
    ),
    (
        "twilio account",
        "account AC361aaf69e3a2da7db2de613f9ca51739",
        "361aaf69e3a2da7db2de613f9ca51739",
        "twilio_key",
    ),
    (
        "sendgrid",
        "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",
        "NJfv_ULjRjfWcHfpYmFuIVfjfz9pNQFVddpURWdYR-s",
        "sendgrid_key",
    ),
    (
        "npm",
        "//registry.npmjs.org/:_authToken=npm_uDti48yTmWu9cr6JqpiIdEmBrf3u2nebAjmw",
        "uDti48yTmWu9cr6JqpiIdEmBrf3u2nebAjmw",
        "npm_token",
    ),
    (
        "pypi",
        "password = pypi-AgdKNSn6W--MstzH2GfLGXlkH8B_xB7jaSXbdsbIL08-jEgACYGxYrwe4h5mLb1GbzCY3RdaPeLccCw9fZ",
        "dKNSn6W--MstzH2GfLGXlkH8B_xB7jaSXbdsbIL08-jEgACYGxYrwe4h5mLb1GbzCY3RdaPeLccCw9fZ",
        "pypi_token",
    ),
    (
        "discord",
        "bot MT7O6jHtH9YSICIJhzVWTkWYC8.9zpLpd.9JfPfQ7ht9Wx5jdjNTkbijb94fwAjqFCzPuObG",
        "9JfPfQ7ht9Wx5jdjNTkbijb94fwAjqFCzPuObG",
        "discord_token",
    ),
    (
        "telegram",
        "bot 883213254:AAgn5W0EbgEbbbpIput_UATIAnVH4V0Mt4x",
        "AAgn5W0EbgEbbbpIput_UATIAnVH4V0Mt4x",
        "telegram_token",
    ),
];

/// Placeholders and references that stand for a secret: left alone.
const PLACEHOLDERS: &[&str] = &[
    "ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
    "token=<your-token>",
    "password=${DB_PASSWORD}",
    "password: changeme",
    "api_key: {{ .Values.apiKey }}",
    "client_secret=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
    "AKIAXXXXXXXXXXXXXXXX",
    "Authorization: Bearer <token>",
    "Authorization: Bearer XXXXXXXXXXXXXXXXXXXXXXXX",
    "curl -u $USER:$PASS https://ci.example.net",
    "curl -u admin:admin https://ci.example.net",
    "postgres://app:${PGPASS}@db/shop",
    "mongodb://app:<password>@db/shop",
    "xoxb-xxxxxxxxxxxx-xxxxxxxxxxxxx-xxxxxxxxxxxxxxxxxxxxxxxx",
    "sk_live_xxxxxxxxxxxxxxxxxxxxxxxx",
    "password = var.db_password",
    "secret_length = 32",
    "token_url = https://idp.example.com/oauth/token",
    "keyword: rotation",
    "apiKeyName = \"payments-prod\"",
];

#[test]
fn every_rule_family_and_its_placeholders() {
    let mut failures = Vec::new();
    for (family, text, secret, tag) in FAMILIES {
        match scrub(text) {
            Some(clean)
                if !clean.contains(secret) && clean.contains(&format!("[REDACTED:{tag}]")) => {}
            other => failures.push(format!("{family}: {text:?} -> {other:?}")),
        }
    }
    for text in PLACEHOLDERS {
        if let Some(clean) = scrub(text) {
            failures.push(format!("placeholder changed: {text:?} -> {clean:?}"));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

#[test]
fn adversarial_input_is_bounded() {
    // Thousands of keyword hits: scanning stops at its budget and says so.
    let s = "password=Zq8hunter2x token: ghp_ AKIA eyJ ://a:b@ ".repeat(4000);
    let clean = scrub(&s).unwrap();
    assert!(
        clean.ends_with("[REDACTED:unscanned]"),
        "{}",
        &clean[clean.len() - 80..]
    );
    assert!(!clean.contains("Zq8hunter2x"));
}

#[test]
fn corpus_detection_and_false_positive_rates() {
    assert!(SECRETS.len() >= 35 && HARMLESS.len() >= 45);
    let mut missed = Vec::new();
    for (text, kind) in SECRETS {
        match scrub(text) {
            Some(clean) if clean.contains(&format!("[REDACTED:{kind}]")) => {}
            other => missed.push(format!("{text:?} -> {other:?}")),
        }
    }
    let flagged: Vec<String> = HARMLESS
        .iter()
        .filter_map(|t| scrub(t).map(|c| format!("{t:?} -> {c:?}")))
        .collect();
    println!(
        "detected {}/{} secrets, {}/{} harmless strings flagged",
        SECRETS.len() - missed.len(),
        SECRETS.len(),
        flagged.len(),
        HARMLESS.len()
    );
    assert!(missed.is_empty(), "missed: {missed:#?}");
    assert!(flagged.is_empty(), "false positives: {flagged:#?}");
}

#[derive(Redact)]
struct Note {
    text: String,
    #[seclog(public)]
    sample_token_format: String,
}

#[security_logged]
fn save(note: Note, comment: &str, #[public] example: &str) -> usize {
    note.text.len() + comment.len() + example.len() + note.sample_token_format.len()
}

/// One test: it switches the process-wide scanner off and on again.
#[test]
fn the_backstop_in_records_and_its_switch() {
    let call = || {
        save(
            Note {
                text: "db at postgres://app:hunter2@db/shop".into(),
                sample_token_format: "ghp_1234567890abcdefghijklmnopqrstuvwxyz".into(),
            },
            "card 4111 1111 1111 1111, thanks",
            "AKIAIOSFODNN7EXAMPLE",
        )
    };
    let (_, recs) = capture(call);
    let r = &recs[0];
    assert_eq!(
        r["inputs"]["note"]["text"],
        "db at postgres://app:[REDACTED:url_credential]@db/shop"
    );
    // A card number is personal data: masked as `#[redact(last = 4)]` would.
    assert_eq!(r["inputs"]["comment"], "card …1111, thanks");
    // Declared public: left alone.
    assert_eq!(
        r["inputs"]["note"]["sample_token_format"],
        "ghp_1234567890abcdefghijklmnopqrstuvwxyz"
    );
    assert_eq!(r["inputs"]["example"], "AKIAIOSFODNN7EXAMPLE");
    assert_eq!(
        r["redacted"],
        serde_json::json!(["inputs.note.text:scan", "inputs.comment:pii_card"])
    );

    // The secret rules off: secrets pass, personal data is still masked.
    set_enabled(false);
    let (_, recs) = capture(call);
    set_enabled(true);
    assert_eq!(
        recs[0]["inputs"]["note"]["text"],
        "db at postgres://app:hunter2@db/shop"
    );
    assert_eq!(recs[0]["inputs"]["comment"], "card …1111, thanks");
}
