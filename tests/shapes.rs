//! `#[security_logged]` on every function shape: each test runs the function and checks the
//! parsed record.

use std::fmt::Display;

use seclog::testing::{capture, capture_future};
use seclog::{Loggable, Redact, security_logged};
use serde_json::{Value, json};

fn one(records: Vec<Value>) -> Value {
    assert_eq!(records.len(), 1, "expected exactly one record: {records:?}");
    records.into_iter().next().unwrap()
}

#[security_logged]
fn add(a: i32, b: i32) -> i32 {
    a + b
}

#[test]
fn free_function() {
    let (v, recs) = capture(|| add(2, 3));
    assert_eq!(v, 5);
    let r = one(recs);
    assert_eq!(r["event"], "add");
    assert_eq!(r["outcome"], "success");
    assert_eq!(r["inputs"], json!({"a": 2, "b": 3}));
    assert_eq!(r["output"], 5);
    assert_eq!(r["where"]["fn"], "shapes::add");
}

#[derive(Redact, Default)]
struct Account {
    owner: String,
    balance: i64,
}

impl Account {
    #[security_logged]
    fn balance(&self) -> i64 {
        self.balance
    }

    #[security_logged]
    fn deposit(&mut self, amount: i64) -> i64 {
        self.balance += amount;
        self.balance
    }

    #[security_logged(ret = skip)]
    fn close(self) -> String {
        self.owner
    }

    #[security_logged]
    fn open(owner: String) -> Account {
        Account { owner, balance: 0 }
    }
}

#[test]
fn methods_record_their_arguments_but_not_self() {
    let mut acct = Account::open("ann".into());
    let (v, recs) = capture(|| acct.deposit(40));
    assert_eq!(v, 40);
    let r = one(recs);
    assert_eq!(r["inputs"], json!({"amount": 40}));
    assert_eq!(r["output"], 40);
    assert_eq!(r["where"]["fn"], "shapes::deposit");

    let (v, recs) = capture(|| acct.balance());
    assert_eq!(v, 40);
    let r = one(recs);
    assert!(r.get("inputs").is_none(), "self is not recorded: {r}");
    assert_eq!(r["output"], 40);

    let (owner, recs) = capture(|| acct.close());
    assert_eq!(owner, "ann");
    let r = one(recs);
    assert_eq!(r["outcome"], "success");
    assert!(r.get("output").is_none());

    let (_, recs) = capture(|| Account::open("bob".into()));
    assert_eq!(one(recs)["output"], json!({"owner": "bob", "balance": 0}));
}

#[security_logged]
fn largest<T>(items: Vec<T>) -> Option<T>
where
    T: Loggable + Ord + Clone,
{
    items.iter().max().cloned()
}

#[test]
fn generic_function_with_where_clause() {
    let (v, recs) = capture(|| largest(vec![3u8, 9, 4]));
    assert_eq!(v, Some(9));
    let r = one(recs);
    assert_eq!(r["inputs"]["items"], json!([3, 9, 4]));
    assert_eq!(r["output"], 9);
    let (v, recs) = capture(|| largest(vec!["b".to_string(), "a".to_string()]));
    assert_eq!(v.as_deref(), Some("b"));
    assert_eq!(one(recs)["output"], "b");
}

#[security_logged(event = "order.fetch")]
async fn fetch_order(id: u64) -> Result<String, String> {
    tokio::task::yield_now().await;
    if id == 0 {
        return Err("no such order".into());
    }
    Ok(format!("order-{id}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn async_fn_future_is_send_and_recorded() {
    fn assert_send<T: Send>(t: T) -> T {
        t
    }
    // Spawning on a multi-thread runtime requires `Send`.
    let handle = tokio::spawn(assert_send(capture_future(fetch_order(7))));
    let (v, recs) = handle.await.unwrap();
    assert_eq!(v.unwrap(), "order-7");
    let r = one(recs);
    assert_eq!(r["event"], "order.fetch");
    assert_eq!(r["outcome"], "success");
    assert_eq!(r["inputs"]["id"], 7);
    assert_eq!(r["output"], "order-7");

    let (v, recs) = capture_future(fetch_order(0)).await;
    assert!(v.is_err());
    let r = one(recs);
    assert_eq!(r["outcome"], "failure");
    assert_eq!(r["level"], "WARN");
    assert_eq!(r["error"], "no such order");
}

trait Store {
    async fn get(&self, key: &str) -> Option<u32>;
}

struct MemStore;

impl Store for MemStore {
    #[security_logged]
    async fn get(&self, key: &str) -> Option<u32> {
        tokio::task::yield_now().await;
        (key == "x").then_some(1)
    }
}

#[tokio::test]
async fn async_fn_in_trait_impl() {
    let (v, recs) = capture_future(async { MemStore.get("x").await }).await;
    assert_eq!(v, Some(1));
    let r = one(recs);
    assert_eq!(r["inputs"]["key"], "x");
    assert_eq!(r["output"], 1);
}

/// Reads a value through a raw pointer.
///
/// # Safety
/// `p` must be valid for reads.
#[security_logged(skip(p))]
unsafe fn read_raw(p: *const u32, label: &str) -> u32 {
    let _ = label;
    // SAFETY: the caller guarantees `p` is valid.
    unsafe { *p }
}

#[test]
fn unsafe_fn() {
    let x = 11u32;
    // SAFETY: `&x` is valid for reads.
    let (v, recs) = capture(|| unsafe { read_raw(&x, "x") });
    assert_eq!(v, 11);
    let r = one(recs);
    assert_eq!(r["inputs"], json!({"label": "x"}));
}

#[derive(Redact)]
struct Point {
    x: i32,
    y: i32,
}

#[security_logged]
fn destructured((a, b): (u8, u8), Point { x, y }: Point, [first, ..]: [u8; 3]) -> i32 {
    i32::from(a) + i32::from(b) + x + y + i32::from(first)
}

#[test]
fn destructured_parameters_record_each_binding() {
    let (v, recs) = capture(|| destructured((1, 2), Point { x: 3, y: 4 }, [5, 6, 7]));
    assert_eq!(v, 15);
    let r = one(recs);
    assert_eq!(
        r["inputs"],
        json!({"a": 1, "b": 2, "x": 3, "y": 4, "first": 5})
    );
}

#[security_logged]
fn impl_trait_params(#[skip] it: impl Iterator<Item = u32>, label: impl Loggable + Display) -> u32 {
    let _ = label.to_string();
    it.sum()
}

#[test]
fn impl_trait_parameters_skipped_or_loggable() {
    let (v, recs) = capture(|| impl_trait_params([1, 2, 3].into_iter(), "sum"));
    assert_eq!(v, 6);
    let r = one(recs);
    assert_eq!(r["inputs"], json!({"label": "sum"}));
}

#[security_logged]
fn first_mut(v: &mut Vec<u8>, fill: u8) -> &mut u8 {
    v.push(fill);
    &mut v[0]
}

#[test]
fn mut_reference_parameters() {
    let mut v = vec![9];
    let (_, recs) = capture(|| {
        *first_mut(&mut v, 4) = 1;
    });
    assert_eq!(v, vec![1, 4]);
    let r = one(recs);
    // Inputs are recorded as the call starts.
    assert_eq!(r["inputs"], json!({"v": [9], "fill": 4}));
    assert_eq!(r["output"], 9);
}

#[security_logged]
fn classify(n: i32) -> &'static str {
    if n < 0 {
        return "negative";
    }
    if n == 0 {
        return "zero";
    }
    "positive"
}

#[test]
fn early_return() {
    let (v, recs) = capture(|| classify(-5));
    assert_eq!(v, "negative");
    assert_eq!(one(recs)["output"], "negative");
    let (v, recs) = capture(|| classify(5));
    assert_eq!(v, "positive");
    assert_eq!(one(recs)["output"], "positive");
}

#[derive(Debug, Redact)]
enum ParseError {
    Empty,
    Bad(String),
}

impl From<std::num::ParseIntError> for ParseError {
    fn from(e: std::num::ParseIntError) -> Self {
        ParseError::Bad(e.to_string())
    }
}

#[security_logged]
fn parse_sum(a: &str, b: &str) -> Result<i64, ParseError> {
    if a.is_empty() {
        Err(ParseError::Empty)?;
    }
    let x: i64 = a.parse()?;
    let y: i64 = b.parse()?;
    Ok(x + y)
}

#[test]
fn question_mark_on_result() {
    let (v, recs) = capture(|| parse_sum("2", "x"));
    assert!(v.is_err());
    let r = one(recs);
    assert_eq!(r["outcome"], "failure");
    assert_eq!(r["error"], json!({"Bad": "invalid digit found in string"}));

    let (_, recs) = capture(|| parse_sum("", "1"));
    assert_eq!(one(recs)["error"], json!({"Empty": null}));

    let (v, recs) = capture(|| parse_sum("2", "40"));
    assert_eq!(v.unwrap(), 42);
    assert_eq!(one(recs)["output"], 42);
}

#[security_logged(ret = skip)]
fn evens(limit: u32) -> impl Iterator<Item = u32> {
    (0..limit).filter(|n| n % 2 == 0)
}

#[test]
fn impl_iterator_return_with_ret_skip() {
    let (v, recs) = capture(|| evens(7).collect::<Vec<_>>());
    assert_eq!(v, vec![0, 2, 4, 6]);
    let r = one(recs);
    assert_eq!(r["inputs"]["limit"], 7);
    assert!(r.get("output").is_none());
}

/// Doubles a number.
#[must_use]
#[security_logged]
#[inline]
pub fn documented(n: u32) -> u32 {
    #![allow(clippy::identity_op)]
    n * 2 + 0
}

#[test]
fn attributes_docs_and_inner_attributes_are_kept() {
    let (v, recs) = capture(|| documented(4));
    assert_eq!(v, 8);
    assert_eq!(one(recs)["output"], 8);
}

#[security_logged]
fn no_return(flag: bool) {
    let _ = flag;
}

#[test]
fn unit_return_has_no_output() {
    let (_, recs) = capture(|| no_return(true));
    let r = one(recs);
    assert_eq!(r["outcome"], "success");
    assert!(r.get("output").is_none());
}
