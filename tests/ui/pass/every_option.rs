use seclog::{Redact, security_logged};

#[derive(Redact, Debug)]
pub enum AppError {
    NotFound,
}

impl std::fmt::Display for AppError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("not found")
    }
}

pub struct Db;

#[security_logged(
    event = "sensitive_read",
    level = "warn",
    who = user,
    skip(db),
    ret = skip,
    err = display,
    fields(table = "users", limit = 10u32),
    crate = ::seclog
)]
pub fn read_user(user: &str, db: &Db, id: u64) -> Result<String, AppError> {
    let _ = db;
    if id == 0 { Err(AppError::NotFound) } else { Ok(format!("{user}:{id}")) }
}

#[security_logged(event = "authn_login", err = debug)]
pub async fn login(user: String, #[redact] secret: String) -> Result<(), AppError> {
    if user.is_empty() || secret.is_empty() { Err(AppError::NotFound) } else { Ok(()) }
}

#[security_logged(err = skip)]
pub fn quiet() -> Result<u8, AppError> {
    Ok(1)
}

fn main() {
    let (_, records) = seclog::testing::capture(|| read_user("ann", &Db, 0));
    assert_eq!(records[0]["error"], "not found");
    assert_eq!(records[0]["fields"]["limit"], 10);
    let _ = login(String::new(), String::new());
    let _ = quiet();
}
