//! Free-form names far from the OWASP vocabulary compile, and the cheat sheet's newer events
//! (`session_logout`, `malicious_sqli`, `mcp_*`, ...) are in it with their levels.

use seclog::security_logged;

#[security_logged(event = "orders.create")]
fn create_order(sku: &str) -> u32 {
    sku.len() as u32
}

#[security_logged(event = "billing.invoice_sent")]
fn send_invoice(id: u64) -> u64 {
    id
}

#[security_logged(event = "report.export")]
fn export(rows: u32) -> u32 {
    rows
}

#[security_logged(event = "sessions.list")]
fn list_sessions(limit: u32) -> u32 {
    limit
}

#[security_logged(event = "crypto.sign")]
fn sign(len: usize) -> usize {
    len
}

#[security_logged(event = "session_logout")]
fn logout(user: &str) -> bool {
    !user.is_empty()
}

fn main() {
    let ((), records) = seclog::testing::capture(|| {
        create_order("A-1");
        send_invoice(7);
        export(3);
        list_sessions(10);
        sign(32);
        logout("alice");
        let param = "q";
        seclog::event!("malicious_sqli", parameter = param);
        seclog::event!("malicious_csrf", user = "alice");
        seclog::event!("malicious_csp_violation", blocked_uri = "https://evil.example/x.js");
        seclog::event!("excess_sessions_exceeded", max = 5u32);
        seclog::event!("mcp_prompt_injection", user = "alice");
        seclog::event!("mcp_resource_exhaustion", user = "alice");
        seclog::event!("mcp_tool_poisoning", user = "alice");
        seclog::event!("seclog.selftest", ok = true);
    });
    let got: Vec<(String, String)> = records
        .iter()
        .map(|r| {
            (
                r["event"].as_str().unwrap().to_owned(),
                r["level"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let expected = [
        ("orders.create", "INFO"),
        ("billing.invoice_sent", "INFO"),
        ("report.export", "INFO"),
        ("sessions.list", "INFO"),
        ("crypto.sign", "INFO"),
        ("session_logout", "INFO"),
        ("malicious_sqli", "CRITICAL"),
        ("malicious_csrf", "WARN"),
        ("malicious_csp_violation", "WARN"),
        ("excess_sessions_exceeded", "WARN"),
        ("mcp_prompt_injection", "WARN"),
        ("mcp_resource_exhaustion", "WARN"),
        ("mcp_tool_poisoning", "WARN"),
        ("seclog.selftest", "INFO"),
    ];
    let expected: Vec<(String, String)> = expected
        .iter()
        .map(|(e, l)| (e.to_string(), l.to_string()))
        .collect();
    assert_eq!(got, expected);
}
