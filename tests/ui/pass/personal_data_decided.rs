use std::net::SocketAddr;

use seclog::{Redact, security_logged};

// Non-text values under personal-sounding names, and network addresses, are not personal data.
#[derive(Redact)]
pub struct Account {
    pub email_verified: bool,
    pub phone_count: u32,
    pub address_id: u64,
    pub mobile: Option<bool>,
    pub ip_address: String,
    pub mac_address: String,
    pub remote_addr: SocketAddr,
    #[redact(email)]
    pub email: String,
    #[redact(last = 4)]
    pub phone_number: String,
    #[seclog(skip)]
    pub date_of_birth: String,
    #[seclog(public)]
    pub support_email: String,
}

#[derive(Redact)]
pub enum Contact {
    Mail {
        #[redact]
        home_address: String,
    },
    Sms {
        #[redact(last = 4)]
        msisdn: String,
    },
}

#[security_logged(event = "user_updated", fields(#[redact] shipping_address = "1 Main St", phone_count = 2u32))]
fn update(
    email_verified: bool,
    phone_count: u32,
    address_id: u64,
    ip_address: &str,
    mac_address: &str,
    remote_addr: SocketAddr,
    #[redact(email)] email: &str,
    #[redact(last = 4)] phone: String,
    #[skip] dob: &str,
    #[public] support_email: &str,
    contact: Contact,
) -> u64 {
    let _ = (email_verified, ip_address, mac_address, remote_addr, email, phone, dob);
    let _ = (support_email, contact);
    address_id + u64::from(phone_count)
}

fn main() {
    let peer: SocketAddr = "203.0.113.7:443".parse().unwrap();
    let account = Account {
        email_verified: true,
        phone_count: 1,
        address_id: 9,
        mobile: Some(false),
        ip_address: "203.0.113.7".into(),
        mac_address: "00:1a:2b:3c:4d:5e".into(),
        remote_addr: peer,
        email: "ann@example.com".into(),
        phone_number: "+44 20 7946 0018".into(),
        date_of_birth: "1990-01-01".into(),
        support_email: "help@example.com".into(),
    };
    let new_email = "ann@example.org";
    let (_, records) = seclog::testing::capture(|| {
        update(
            true,
            2,
            7,
            "203.0.113.7",
            "00:1a:2b:3c:4d:5e",
            peer,
            "ann@example.com",
            "+44 20 7946 0018".into(),
            "1990-01-01",
            "help@example.com",
            Contact::Sms { msisdn: "447700900123".into() },
        );
        seclog::event!("user_updated", #[redact(email)] email = new_email, phone_count = 1u8);
        seclog::event!("user_created", account = account);
        seclog::event!(
            "authn_token_created",
            #[redact] access_token = "tok-1",
            #[public] support_email = "help@example.com",
        );
    });
    assert_eq!(records.len(), 4);
    assert_eq!(records[3]["fields"]["access_token"], "[REDACTED]");
    assert_eq!(records[3]["fields"]["support_email"], "help@example.com");
    let inputs = &records[0]["inputs"];
    assert_eq!(inputs["email_verified"], true);
    assert_eq!(inputs["address_id"], 7);
    assert_eq!(inputs["ip_address"], "203.0.113.7");
    assert_eq!(inputs["email"], "…@example.com");
    assert!(!inputs["phone"].as_str().unwrap().contains("7946"));
    assert!(inputs.get("dob").is_none());
    assert_eq!(inputs["support_email"], "help@example.com");
    assert_eq!(inputs["contact"]["Sms"]["msisdn"].as_str().unwrap().len() < 12, true);
    assert_eq!(records[0]["fields"]["shipping_address"], "[REDACTED]");
    assert_eq!(records[0]["fields"]["phone_count"], 2);
    assert_eq!(records[1]["fields"]["email"], "…@example.org");
    assert_eq!(records[1]["fields"]["phone_count"], 1);
    let logged = &records[2]["fields"]["account"];
    assert_eq!(logged["email"], "…@example.com");
    assert_eq!(logged["email_verified"], true);
    assert_eq!(logged["mobile"], false);
    assert_eq!(logged["remote_addr"], "203.0.113.7:443");
    assert!(logged.get("date_of_birth").is_none());
    let redacted = records[1]["redacted"].to_string();
    assert!(redacted.contains("fields.email:email"), "{redacted}");
}
