//! `seclog report`: the summary of `seclog stats` as one self-contained HTML page — inline
//! CSS, inline SVG charts, no script, nothing fetched (a Content-Security-Policy of
//! `default-src 'none'` says so to the browser too).
//!
//! Every text that comes from a record (users, IPs, handler and event names, times) goes
//! through [`escape`]. Figures carry `data-stat` attributes so that a test can read them back
//! from the rendered page.

use std::fmt::Write as _;

use crate::stats::{Keyed, Summary, human_ns};

/// Escapes text for HTML element content and quoted attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() && c != '\n' && c != '\t' => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = r#"
:root { --fg:#1d2430; --muted:#667085; --line:#e4e7ec; --bad:#d92d20; --ok:#12b76a;
        --bar:#98a2b3; --accent:#2e90fa; --warn:#f79009; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg);
       margin: 0; background: #f8f9fb; }
header { background: #101828; color: #fff; padding: 20px 32px; }
header h1 { margin: 0 0 4px; font-size: 22px; }
header p { margin: 0; color: #d0d5dd; }
main { padding: 20px 32px 40px; max-width: 1200px; }
section { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 16px 20px;
          margin: 0 0 18px; }
h2 { font-size: 16px; margin: 0 0 12px; }
.cards { display: flex; flex-wrap: wrap; gap: 12px; margin-bottom: 18px; }
.card { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 12px 16px;
        min-width: 150px; }
.card .v { font-size: 24px; font-weight: 600; }
.card .k { color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: .04em; }
.card.bad .v { color: var(--bad); }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid var(--line);
         vertical-align: middle; }
th { color: var(--muted); font-weight: 500; font-size: 12px; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
td.key { font-family: ui-monospace, Menlo, Consolas, monospace; word-break: break-all; }
.two { display: grid; grid-template-columns: 1fr 1fr; gap: 18px; }
.hbar { height: 10px; background: var(--bad); border-radius: 2px; }
.hbar.use { background: var(--accent); }
.muted { color: var(--muted); }
.over { color: var(--bad); font-weight: 600; }
.legend span { display: inline-block; margin-right: 14px; }
.sw { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 4px; }
"#;

/// The page.
pub fn render(s: &Summary) -> String {
    let mut h = String::with_capacity(64 * 1024);
    let range = match (&s.first_ts, &s.last_ts) {
        (Some(a), Some(b)) => format!("{} — {}", escape(a), escape(b)),
        _ => "no timestamps".to_owned(),
    };
    let sources = s
        .sources
        .iter()
        .map(|x| escape(x))
        .collect::<Vec<_>>()
        .join(", ");
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>seclog report</title><style>{STYLE}</style></head><body>\
         <header><h1>seclog report</h1><p>{range} · from {sources}</p></header><main>"
    );

    let outcome = |name: &str| {
        s.outcomes
            .iter()
            .find(|(k, _)| k == name)
            .map_or(0, |(_, n)| *n)
    };
    h.push_str("<div class=\"cards\">");
    card(&mut h, "records", "records", s.records, false);
    card(
        &mut h,
        "failures",
        "failures",
        s.failures.total,
        s.failures.total > 0,
    );
    card(
        &mut h,
        "authn_failures",
        "failed logins",
        s.authn_failures.total,
        s.authn_failures.total > 0,
    );
    card(
        &mut h,
        "alerts",
        "alerts",
        s.alerts.total,
        s.alerts.total > 0,
    );
    card(
        &mut h,
        "outcome.success",
        "success",
        outcome("success"),
        false,
    );
    card(
        &mut h,
        "outcome.failure",
        "failure",
        outcome("failure"),
        false,
    );
    card(
        &mut h,
        "outcome.panic",
        "panic",
        outcome("panic"),
        outcome("panic") > 0,
    );
    card(
        &mut h,
        "outcome.cancelled",
        "cancelled",
        outcome("cancelled"),
        false,
    );
    card(
        &mut h,
        "bad_lines",
        "lines not records",
        s.bad_lines.count,
        false,
    );
    h.push_str("</div>");

    timeline(&mut h, s);
    events(&mut h, s);

    let a = &s.authn_failures;
    h.push_str("<div class=\"two\">");
    top_table(
        &mut h,
        "Failed logins by IP (blocklist)",
        "ip",
        "IP",
        &a.by_ip,
    );
    top_table(
        &mut h,
        "Failed logins by user (accounts at risk)",
        "user",
        "user",
        &a.by_user,
    );
    h.push_str("</div>");
    if a.approximate {
        let _ = write!(
            h,
            "<p class=\"muted\">More than {} distinct keys: counts marked ≤ are upper bounds.</p>",
            s.caps.keys_per_map
        );
    }

    latency(&mut h, s);
    usage(&mut h, s);
    alerts(&mut h, s);

    if s.bad_lines.count > 0 {
        let _ = write!(
            h,
            "<section><h2>Lines that are not records</h2><p><span data-stat=\"bad_lines_detail\">{}</span> \
             line(s) were not records; the first at <code>{}</code>.</p></section>",
            s.bad_lines.count,
            escape(s.bad_lines.first.as_deref().unwrap_or("?"))
        );
    }
    h.push_str("</main></body></html>\n");
    h
}

fn card(h: &mut String, stat: &str, label: &str, v: u64, bad: bool) {
    let _ = write!(
        h,
        "<div class=\"card{}\"><div class=\"v\" data-stat=\"{stat}\">{v}</div><div class=\"k\">{label}</div></div>",
        if bad { " bad" } else { "" }
    );
}

fn timeline(h: &mut String, s: &Summary) {
    h.push_str("<section><h2>Failures over time</h2>");
    let Some(t) = &s.failures.timeline else {
        h.push_str("<p class=\"muted\">No timestamped records.</p></section>");
        return;
    };
    let (w, ht, pad) = (1100.0f64, 180.0f64, 24.0f64);
    let n = t.records.len().max(1) as f64;
    let col = (w - 2.0 * pad) / n;
    let peak = t.records.iter().copied().max().unwrap_or(1).max(1) as f64;
    let _ = write!(
        h,
        "<svg role=\"img\" aria-label=\"records and failures over time\" width=\"100%\" viewBox=\"0 0 {w} {}\" \
         xmlns=\"http://www.w3.org/2000/svg\">",
        ht + 2.0 * pad
    );
    let _ = write!(
        h,
        "<line x1=\"{pad}\" y1=\"{y}\" x2=\"{x2}\" y2=\"{y}\" stroke=\"#d0d5dd\"/>",
        y = pad + ht,
        x2 = w - pad
    );
    let start = crate::time::parse_rfc3339(&t.start);
    let step = i64::try_from(t.bucket_s)
        .unwrap_or(i64::MAX)
        .saturating_mul(1_000_000_000);
    for (i, (&r, &f)) in t.records.iter().zip(&t.failures).enumerate() {
        let x = pad + i as f64 * col;
        let when = start.map_or_else(
            || format!("column {i}"),
            |s| {
                crate::time::format(
                    s.saturating_add(step.saturating_mul(i64::try_from(i).unwrap_or(0))),
                )
            },
        );
        let rh = r as f64 / peak * ht;
        let fh = f as f64 / peak * ht;
        let _ = write!(
            h,
            "<g><title>{when}: {r} records, {f} failures</title>\
             <rect x=\"{x:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{rh:.1}\" fill=\"#d0d5dd\"/>\
             <rect x=\"{x:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{fh:.1}\" fill=\"#d92d20\"/></g>",
            pad + ht - rh,
            (col - 1.0).max(0.5),
            pad + ht - fh,
            (col - 1.0).max(0.5),
        );
    }
    let _ = write!(
        h,
        "<text x=\"{pad}\" y=\"{}\" font-size=\"12\" fill=\"#667085\">{}</text>\
         <text x=\"{pad}\" y=\"14\" font-size=\"12\" fill=\"#667085\">peak {} records per column</text></svg>",
        ht + 2.0 * pad - 4.0,
        escape(&t.start),
        peak as u64
    );
    let _ = write!(
        h,
        "<p class=\"legend muted\"><span><i class=\"sw\" style=\"background:#d0d5dd\"></i>records</span>\
         <span><i class=\"sw\" style=\"background:#d92d20\"></i>failures \
         (<b data-stat=\"timeline_failures\">{}</b>)</span>\
         <span>{} columns of {} s from {}</span></p></section>",
        t.failures.iter().sum::<u64>(),
        t.failures.len(),
        t.bucket_s,
        escape(&t.start)
    );
}

fn events(h: &mut String, s: &Summary) {
    h.push_str("<section><h2>Events by outcome</h2>");
    if s.events.is_empty() {
        h.push_str("<p class=\"muted\">No records.</p></section>");
        return;
    }
    let peak = s.events.iter().map(|e| e.count).max().unwrap_or(1).max(1);
    h.push_str(
        "<table><tr><th>event</th><th class=\"n\">records</th><th class=\"n\">failed</th>\
         <th style=\"width:35%\"></th></tr>",
    );
    for (i, e) in s.events.iter().enumerate() {
        let _ = write!(
            h,
            "<tr><td class=\"key\" data-stat=\"event-name-{i}\">{}</td>\
             <td class=\"n\" data-stat=\"event-count-{i}\">{}</td>\
             <td class=\"n\" data-stat=\"event-failures-{i}\">{}</td>\
             <td><svg width=\"100%\" height=\"10\" viewBox=\"0 0 100 10\" preserveAspectRatio=\"none\" \
             xmlns=\"http://www.w3.org/2000/svg\"><rect width=\"{:.1}\" height=\"10\" fill=\"#d0d5dd\"/>\
             <rect width=\"{:.1}\" height=\"10\" fill=\"#d92d20\"/></svg></td></tr>",
            escape(&e.event),
            e.count,
            e.failures,
            e.count as f64 * 100.0 / peak as f64,
            e.failures as f64 * 100.0 / peak as f64,
        );
    }
    h.push_str("</table></section>");
}

fn top_table(h: &mut String, title: &str, stat: &str, what: &str, rows: &[Keyed]) {
    let _ = write!(h, "<section><h2>{title}</h2>");
    if rows.is_empty() {
        h.push_str("<p class=\"muted\">None.</p></section>");
        return;
    }
    let peak = rows.iter().map(|k| k.count).max().unwrap_or(1).max(1);
    let _ = write!(
        h,
        "<table><tr><th>{what}</th><th class=\"n\">failures</th><th style=\"width:35%\"></th></tr>"
    );
    for (i, k) in rows.iter().enumerate() {
        let _ = write!(
            h,
            "<tr><td class=\"key\" data-stat=\"{stat}-key-{i}\">{}</td>\
             <td class=\"n\">{}<span data-stat=\"{stat}-count-{i}\">{}</span></td>\
             <td><div class=\"hbar\" style=\"width:{:.1}%\"></div></td></tr>",
            escape(&k.key),
            if k.error > 0 { "≤" } else { "" },
            k.count,
            k.count as f64 * 100.0 / peak as f64
        );
    }
    h.push_str("</table></section>");
}

fn latency(h: &mut String, s: &Summary) {
    h.push_str("<section><h2>Latency per handler, against its budget</h2>");
    if s.latency.is_empty() {
        h.push_str("<p class=\"muted\">No record with <code>duration_ns</code>.</p></section>");
        return;
    }
    h.push_str(
        "<p class=\"legend muted\"><span><i class=\"sw\" style=\"background:#a6d1fb\"></i>p50</span>\
         <span><i class=\"sw\" style=\"background:#2e90fa\"></i>p95</span>\
         <span><i class=\"sw\" style=\"background:#175cd3\"></i>p99</span>\
         <span><i class=\"sw\" style=\"background:#d92d20\"></i>budget</span></p>\
         <table><tr><th>fn</th><th class=\"n\">calls</th><th class=\"n\">p50</th><th class=\"n\">p95</th>\
         <th class=\"n\">p99</th><th class=\"n\">max</th><th class=\"n\">budget</th>\
         <th class=\"n\">over budget</th><th style=\"width:28%\"></th></tr>",
    );
    for (i, l) in s.latency.iter().enumerate() {
        let scale = l.p99_ns.max(l.budget_ns.unwrap_or(0)).max(1) as f64 * 1.1;
        let x = |v: u64| v as f64 / scale * 300.0;
        let mut svg = String::from(
            "<svg width=\"100%\" viewBox=\"0 0 300 18\" preserveAspectRatio=\"none\" xmlns=\"http://www.w3.org/2000/svg\">",
        );
        for (v, color) in [
            (l.p99_ns, "#175cd3"),
            (l.p95_ns, "#2e90fa"),
            (l.p50_ns, "#a6d1fb"),
        ] {
            let _ = write!(
                svg,
                "<rect x=\"0\" y=\"3\" width=\"{:.1}\" height=\"12\" fill=\"{color}\"/>",
                x(v)
            );
        }
        if let Some(b) = l.budget_ns {
            let _ = write!(
                svg,
                "<line x1=\"{bx:.1}\" y1=\"0\" x2=\"{bx:.1}\" y2=\"18\" stroke=\"#d92d20\" stroke-width=\"2\"/>",
                bx = x(b)
            );
        }
        svg.push_str("</svg>");
        let _ = write!(
            h,
            "<tr><td class=\"key\" data-stat=\"latency-fn-{i}\">{}</td>\
             <td class=\"n\" data-stat=\"latency-count-{i}\">{}</td>\
             <td class=\"n\" title=\"{} ns\">{}</td>\
             <td class=\"n\" title=\"{} ns\">{}<span hidden data-stat=\"latency-p95-{i}\">{}</span></td>\
             <td class=\"n\" title=\"{} ns\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td>\
             <td class=\"n{}\" data-stat=\"latency-over-{i}\">{}</td><td>{svg}</td></tr>",
            escape(&l.func),
            l.count,
            l.p50_ns,
            human_ns(l.p50_ns),
            l.p95_ns,
            human_ns(l.p95_ns),
            l.p95_ns,
            l.p99_ns,
            human_ns(l.p99_ns),
            human_ns(l.max_ns),
            l.budget_ns.map_or("-".to_owned(), human_ns),
            if l.over_budget > 0 { " over" } else { "" },
            l.over_budget,
        );
    }
    h.push_str("</table>");
    if !s.perf_summaries.is_empty() {
        h.push_str(
            "<h2 style=\"margin-top:16px\">Watcher summaries (<code>seclog.perf</code>, worst interval)</h2>\
             <table><tr><th>fn</th><th class=\"n\">intervals</th><th class=\"n\">calls</th>\
             <th class=\"n\">p95</th><th class=\"n\">max</th><th class=\"n\">budget</th><th class=\"n\">over budget</th></tr>",
        );
        for p in &s.perf_summaries {
            let _ = write!(
                h,
                "<tr><td class=\"key\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td>\
                 <td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
                escape(&p.func),
                p.intervals,
                p.count,
                human_ns(p.p95_ns),
                human_ns(p.max_ns),
                p.budget_ns.map_or("-".to_owned(), human_ns),
                p.over_budget
            );
        }
        h.push_str("</table>");
    }
    h.push_str("</section>");
}

fn usage(h: &mut String, s: &Summary) {
    let _ = write!(
        h,
        "<section><h2>Usage by caller <span class=\"muted\">({})</span></h2>",
        escape(&s.usage.source)
    );
    if s.usage.callers.is_empty() {
        h.push_str("<p class=\"muted\">No usage recorded.</p></section>");
        return;
    }
    let peak = s
        .usage
        .callers
        .iter()
        .map(|c| c.calls)
        .max()
        .unwrap_or(1)
        .max(1);
    h.push_str(
        "<table><tr><th>usage</th><th>tenant</th><th>user</th><th class=\"n\">calls</th>\
         <th class=\"n\">units</th><th style=\"width:25%\"></th></tr>",
    );
    for (i, c) in s.usage.callers.iter().enumerate() {
        let _ = write!(
            h,
            "<tr><td class=\"key\" data-stat=\"usage-name-{i}\">{}</td><td class=\"key\">{}</td>\
             <td class=\"key\" data-stat=\"usage-user-{i}\">{}</td>\
             <td class=\"n\" data-stat=\"usage-calls-{i}\">{}</td><td class=\"n\" data-stat=\"usage-units-{i}\">{}</td>\
             <td><div class=\"hbar use\" style=\"width:{:.1}%\"></div></td></tr>",
            escape(&c.usage),
            escape(&c.tenant),
            escape(&c.user),
            c.calls,
            c.units,
            c.calls as f64 * 100.0 / peak as f64
        );
    }
    h.push_str("</table></section>");
}

fn alerts(h: &mut String, s: &Summary) {
    h.push_str("<section><h2>Alerts</h2>");
    if s.alerts.total == 0 {
        h.push_str("<p class=\"muted\">No alerts.</p></section>");
        return;
    }
    let rules = s
        .alerts
        .by_rule
        .iter()
        .map(|(r, n)| format!("{} {n}", escape(r)))
        .collect::<Vec<_>>()
        .join(", ");
    let _ = write!(h, "<p>By rule: {rules}</p>");
    h.push_str(
        "<table><tr><th>time</th><th>rule</th><th>about</th><th class=\"n\">count</th>\
         <th class=\"n\">window</th><th>first seen</th></tr>",
    );
    for (i, a) in s.alerts.list.iter().enumerate() {
        let _ = write!(
            h,
            "<tr><td>{}</td><td data-stat=\"alert-rule-{i}\">{}</td>\
             <td class=\"key\">{} <b data-stat=\"alert-value-{i}\">{}</b></td><td class=\"n\">{}</td>\
             <td class=\"n\">{}</td><td>{}</td></tr>",
            escape(a.ts.as_deref().unwrap_or("-")),
            escape(&a.rule),
            escape(&a.key),
            escape(&a.value),
            a.count.map_or("-".to_owned(), |c| c.to_string()),
            a.window_s.map_or("-".to_owned(), |w| format!("{w} s")),
            escape(a.first_seen.as_deref().unwrap_or("-")),
        );
    }
    h.push_str("</table>");
    if (s.alerts.list.len() as u64) < s.alerts.total {
        let _ = write!(
            h,
            "<p class=\"muted\">The first {} of {} are listed.</p>",
            s.alerts.list.len(),
            s.alerts.total
        );
    }
    h.push_str("</section>");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup() {
        assert_eq!(
            escape("<script>alert('x')</script>&\""),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;&quot;"
        );
        assert_eq!(escape("a\u{1b}b"), "a\u{fffd}b");
    }
}
