fn main() {
    let which = std::env::args().nth(1).unwrap();
    let s: String = match which.as_str() {
        "email" => "alice.smith@example.org".into(),
        "ua" => "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36".into(),
        _ => std::fs::read_to_string("/tmp/prof/adv.txt").unwrap(),
    };
    let n: usize = std::env::args().nth(2).unwrap().parse().unwrap();
    let t = std::time::Instant::now();
    let mut k = 0;
    for _ in 0..n {
        let cfg = match std::env::var("MODE").as_deref() { Ok("pii") => seclog::redact::scanner::Config { secrets: false, pii: seclog::redact::scanner::PiiSet::ALL }, Ok("sec") => seclog::redact::scanner::Config { secrets: true, pii: seclog::redact::scanner::PiiSet::NONE }, _ => seclog::redact::scanner::Config::ALL };
        k += seclog::redact::scanner::scrub_with(std::hint::black_box(&s), cfg).map_or(0, |x| x.text.len());
    }
    println!("{k} {:?}/iter", t.elapsed() / n as u32);
}
#[allow(dead_code)]
fn adversarial(n: usize) -> String {
    const PIECES: &[&str] = &["password=","token: ","api_key ","secret ","Bearer ","Authorization: ","://","user:@","@@@","a@b","eyJ","AKIA","ghp_","xoxb-","sk-","-----BEGIN ","4111 1111 1111 ","12345678901234567890","+44 20 ","DE89 3704 ","123-45-","QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVowMTIzNDU2Nzg5YWJjZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXo="," == \"","--password ","MTAy."];
    let mut s = String::new(); let mut i = 0;
    while s.len() < n { s.push_str(PIECES[i % PIECES.len()]); i += 1; }
    s.truncate(n); s
}
