//! Inline SVG charts for the effect report and the dashboards: shares with confidence
//! bars, Kaplan–Meier curves with bands, bars, lines over months and signed bars.
//! Each chart is an `<svg role="img">` with a `<title>` and `<desc>`; the report and the
//! pages always show the same numbers in a table beside it.

use std::fmt::Write;

/// Escapes text for HTML and SVG.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Colours with at least 4.5:1 contrast against white.
pub const PALETTE: [&str; 6] = [
    "#1f4e79", "#a14a00", "#2e6b30", "#7a2b7a", "#8a1c1c", "#3d3d3d",
];

const W: f64 = 640.0;
const LEFT: f64 = 170.0;
const RIGHT: f64 = 30.0;

fn open(out: &mut String, id: &str, title: &str, desc: &str, h: f64) {
    let _ = write!(
        out,
        "<svg class=\"chart\" role=\"img\" aria-labelledby=\"{id}-t {id}-d\" viewBox=\"0 0 {W} {h}\" \
         width=\"100%\" style=\"max-width:{W}px\" xmlns=\"http://www.w3.org/2000/svg\" \
         font-family=\"sans-serif\" font-size=\"12\"><title id=\"{id}-t\">{}</title>\
         <desc id=\"{id}-d\">{}</desc><rect width=\"{W}\" height=\"{h}\" fill=\"#ffffff\"/>",
        esc(title),
        esc(desc)
    );
}

/// Horizontal bars of shares (0–1) with 95 % interval whiskers; `None` rows are drawn as
/// "too little data".
pub fn share_bars(
    id: &str,
    title: &str,
    desc: &str,
    rows: &[(String, Option<(f64, f64, f64)>)],
    no_data: &str,
) -> String {
    let row_h = 26.0;
    let top = 20.0;
    let h = top + row_h * rows.len() as f64 + 30.0;
    let plot = W - LEFT - RIGHT;
    let mut out = String::new();
    open(&mut out, id, title, desc, h);
    for k in 0..=4 {
        let x = LEFT + plot * k as f64 / 4.0;
        let _ = write!(
            out,
            "<line x1=\"{x:.1}\" y1=\"{top}\" x2=\"{x:.1}\" y2=\"{:.1}\" stroke=\"#cccccc\"/>\
             <text x=\"{x:.1}\" y=\"{:.1}\" text-anchor=\"middle\" fill=\"#333333\">{} %</text>",
            h - 25.0,
            h - 10.0,
            k * 25
        );
    }
    for (i, (label, v)) in rows.iter().enumerate() {
        let y = top + row_h * i as f64;
        let _ = write!(
            out,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\" fill=\"#222222\">{}</text>",
            LEFT - 8.0,
            y + 16.0,
            esc(label)
        );
        match v {
            Some((s, lo, hi)) => {
                let color = PALETTE[i % PALETTE.len()];
                let _ = write!(
                    out,
                    "<rect x=\"{LEFT}\" y=\"{:.1}\" width=\"{:.1}\" height=\"16\" fill=\"{color}\"/>\
                     <line x1=\"{:.1}\" y1=\"{:.1}\" x2=\"{:.1}\" y2=\"{:.1}\" stroke=\"#000000\" stroke-width=\"1.5\"/>\
                     <line x1=\"{:.1}\" y1=\"{:.1}\" x2=\"{:.1}\" y2=\"{:.1}\" stroke=\"#000000\"/>\
                     <line x1=\"{:.1}\" y1=\"{:.1}\" x2=\"{:.1}\" y2=\"{:.1}\" stroke=\"#000000\"/>",
                    y + 4.0,
                    plot * s,
                    LEFT + plot * lo,
                    y + 12.0,
                    LEFT + plot * hi,
                    y + 12.0,
                    LEFT + plot * lo,
                    y + 6.0,
                    LEFT + plot * lo,
                    y + 18.0,
                    LEFT + plot * hi,
                    y + 6.0,
                    LEFT + plot * hi,
                    y + 18.0,
                );
            }
            None => {
                let _ = write!(
                    out,
                    "<text x=\"{:.1}\" y=\"{:.1}\" fill=\"#333333\" font-style=\"italic\">{}</text>",
                    LEFT + 4.0,
                    y + 16.0,
                    esc(no_data)
                );
            }
        }
    }
    out.push_str("</svg>");
    out
}

/// One survival-type curve: steps (time, value, lower, upper).
pub struct Curve<'a> {
    pub label: &'a str,
    pub steps: Vec<(i32, f64, f64, f64)>,
}

/// Kaplan–Meier curves of the share *begun* work or studies (1 − S) with their bands,
/// over `0..=max_days`.
pub fn km_chart(
    id: &str,
    title: &str,
    desc: &str,
    curves: &[Curve<'_>],
    max_days: i32,
    x_label: &str,
) -> String {
    let h = 300.0;
    let (left, top, bottom) = (60.0, 20.0, 50.0);
    let plot_w = W - left - RIGHT - 120.0;
    let plot_h = h - top - bottom;
    let x = |d: i32| left + plot_w * (d.min(max_days).max(0) as f64) / max_days.max(1) as f64;
    let y = |v: f64| top + plot_h * (1.0 - v.clamp(0.0, 1.0));
    let mut out = String::new();
    open(&mut out, id, title, desc, h);
    for k in 0..=4 {
        let v = k as f64 / 4.0;
        let _ = write!(
            out,
            "<line x1=\"{left}\" y1=\"{:.1}\" x2=\"{:.1}\" y2=\"{:.1}\" stroke=\"#cccccc\"/>\
             <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\" fill=\"#333333\">{} %</text>",
            y(v),
            left + plot_w,
            y(v),
            left - 6.0,
            y(v) + 4.0,
            k * 25
        );
    }
    let step = if max_days > 720 { 180 } else { 90 };
    let mut d = 0;
    while d <= max_days {
        let _ = write!(
            out,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\" fill=\"#333333\">{d}</text>",
            x(d),
            top + plot_h + 16.0
        );
        d += step;
    }
    let _ = write!(
        out,
        "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\" fill=\"#333333\">{}</text>",
        left + plot_w / 2.0,
        h - 8.0,
        esc(x_label)
    );
    for (i, c) in curves.iter().enumerate() {
        let color = PALETTE[i % PALETTE.len()];
        // Band (1 − upper .. 1 − lower) as a polygon, then the step line.
        let mut upper = vec![(0, 0.0)];
        let mut lower = vec![(0, 0.0)];
        let mut line = format!("M{:.1},{:.1}", x(0), y(0.0));
        let mut prev = (0.0, 0.0, 0.0);
        for &(t, s, lo, hi) in c.steps.iter().filter(|s| s.0 <= max_days) {
            let (v, vlo, vhi) = (1.0 - s, 1.0 - hi, 1.0 - lo);
            upper.push((t, prev.2));
            upper.push((t, vhi));
            lower.push((t, prev.1));
            lower.push((t, vlo));
            let _ = write!(line, " H{:.1} V{:.1}", x(t), y(v));
            prev = (v, vlo, vhi);
        }
        upper.push((max_days, prev.2));
        lower.push((max_days, prev.1));
        let _ = write!(line, " H{:.1}", x(max_days));
        let mut poly = String::new();
        for &(t, v) in upper.iter().chain(lower.iter().rev()) {
            let _ = write!(poly, "{:.1},{:.1} ", x(t), y(v));
        }
        let _ = write!(
            out,
            "<polygon points=\"{poly}\" fill=\"{color}\" fill-opacity=\"0.15\" stroke=\"none\"/>\
             <path d=\"{line}\" fill=\"none\" stroke=\"{color}\" stroke-width=\"2\"/>\
             <rect x=\"{:.1}\" y=\"{:.1}\" width=\"12\" height=\"12\" fill=\"{color}\"/>\
             <text x=\"{:.1}\" y=\"{:.1}\" fill=\"#222222\">{}</text>",
            left + plot_w + 12.0,
            top + 20.0 * i as f64,
            left + plot_w + 28.0,
            top + 10.0 + 20.0 * i as f64,
            esc(c.label)
        );
    }
    out.push_str("</svg>");
    out
}

/// Grouped horizontal bars of non-negative or signed values: rows × series.
pub fn grouped_bars(
    id: &str,
    title: &str,
    desc: &str,
    series: &[&str],
    rows: &[(String, Vec<f64>)],
    unit: &str,
) -> String {
    let n = series.len().max(1);
    let bar = 12.0;
    let row_h = bar * n as f64 + 10.0;
    let top = 24.0 + 16.0 * ((n as f64) / 3.0).ceil();
    let h = top + row_h * rows.len() as f64 + 30.0;
    let plot = W - LEFT - RIGHT;
    let max = rows
        .iter()
        .flat_map(|r| r.1.iter())
        .fold(0.0f64, |m, v| m.max(*v));
    let min = rows
        .iter()
        .flat_map(|r| r.1.iter())
        .fold(0.0f64, |m, v| m.min(*v));
    let span = if max - min > 0.0 { max - min } else { 1.0 };
    let x = |v: f64| LEFT + plot * (v - min) / span;
    let mut out = String::new();
    open(&mut out, id, title, desc, h);
    for (k, s) in series.iter().enumerate() {
        let (cx, cy) = (LEFT + 180.0 * (k % 3) as f64, 8.0 + 16.0 * (k / 3) as f64);
        let _ = write!(
            out,
            "<rect x=\"{cx:.1}\" y=\"{cy:.1}\" width=\"10\" height=\"10\" fill=\"{}\"/>\
             <text x=\"{:.1}\" y=\"{:.1}\" fill=\"#222222\">{}</text>",
            PALETTE[k % PALETTE.len()],
            cx + 14.0,
            cy + 9.0,
            esc(s)
        );
    }
    let _ = write!(
        out,
        "<line x1=\"{:.1}\" y1=\"{top}\" x2=\"{:.1}\" y2=\"{:.1}\" stroke=\"#555555\"/>",
        x(0.0),
        x(0.0),
        h - 25.0
    );
    for (v, anchor) in [(min, "start"), (max, "end")] {
        let _ = write!(
            out,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"{anchor}\" fill=\"#333333\">{} {}</text>",
            x(v),
            h - 10.0,
            esc(&compact(v)),
            esc(unit)
        );
    }
    for (i, (label, values)) in rows.iter().enumerate() {
        let y = top + row_h * i as f64;
        let _ = write!(
            out,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\" fill=\"#222222\">{}</text>",
            LEFT - 8.0,
            y + row_h / 2.0,
            esc(label)
        );
        for (k, &v) in values.iter().enumerate() {
            let (a, b) = if v >= 0.0 {
                (x(0.0), x(v))
            } else {
                (x(v), x(0.0))
            };
            let _ = write!(
                out,
                "<rect x=\"{a:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{bar}\" fill=\"{}\"/>",
                y + bar * k as f64,
                (b - a).max(0.5),
                PALETTE[k % PALETTE.len()]
            );
        }
    }
    out.push_str("</svg>");
    out
}

/// Lines over months: each series is (label, points (month label, value)).
pub fn month_lines(
    id: &str,
    title: &str,
    desc: &str,
    series: &[(String, Vec<(String, f64)>)],
    unit: &str,
) -> String {
    let h = 280.0;
    let (left, top, bottom) = (80.0, 30.0, 40.0);
    let plot_w = W - left - RIGHT;
    let plot_h = h - top - bottom;
    let mut months: Vec<&str> = series
        .iter()
        .flat_map(|s| s.1.iter().map(|p| p.0.as_str()))
        .collect();
    months.sort_unstable();
    months.dedup();
    let max = series
        .iter()
        .flat_map(|s| s.1.iter().map(|p| p.1))
        .fold(0.0f64, f64::max)
        .max(1.0);
    let n = months.len().max(2) - 1;
    let xi = |m: &str| {
        let i = months.binary_search(&m).unwrap_or(0);
        left + plot_w * i as f64 / n as f64
    };
    let y = |v: f64| top + plot_h * (1.0 - v / max);
    let mut out = String::new();
    open(&mut out, id, title, desc, h);
    for k in 0..=4 {
        let v = max * k as f64 / 4.0;
        let _ = write!(
            out,
            "<line x1=\"{left}\" y1=\"{:.1}\" x2=\"{:.1}\" y2=\"{:.1}\" stroke=\"#cccccc\"/>\
             <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\" fill=\"#333333\">{}</text>",
            y(v),
            left + plot_w,
            y(v),
            left - 6.0,
            y(v) + 4.0,
            esc(&compact(v))
        );
    }
    let every = (months.len() / 6).max(1);
    for (i, m) in months.iter().enumerate().filter(|(i, _)| i % every == 0) {
        let _ = i;
        let _ = write!(
            out,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\" fill=\"#333333\">{}</text>",
            xi(m),
            top + plot_h + 16.0,
            esc(m)
        );
    }
    let _ = write!(
        out,
        "<text x=\"{left}\" y=\"16\" fill=\"#333333\">{}</text>",
        esc(unit)
    );
    for (k, (label, points)) in series.iter().enumerate() {
        let color = PALETTE[k % PALETTE.len()];
        let mut d = String::new();
        for (i, (m, v)) in points.iter().enumerate() {
            let _ = write!(
                d,
                "{}{:.1},{:.1} ",
                if i == 0 { "M" } else { "L" },
                xi(m),
                y(*v)
            );
        }
        let _ = write!(
            out,
            "<path d=\"{d}\" fill=\"none\" stroke=\"{color}\" stroke-width=\"2\"/>\
             <rect x=\"{:.1}\" y=\"6\" width=\"10\" height=\"10\" fill=\"{color}\"/>\
             <text x=\"{:.1}\" y=\"15\" fill=\"#222222\">{}</text>",
            left + 160.0 + 170.0 * k as f64,
            left + 174.0 + 170.0 * k as f64,
            esc(label)
        );
    }
    out.push_str("</svg>");
    out
}

/// 1 234 567 → "1,2 M", 12 345 → "12 345".
pub fn compact(v: f64) -> String {
    let a = v.abs();
    if a >= 1e6 {
        format!("{:.1} M", v / 1e6).replace('.', ",")
    } else {
        group(v.round() as i64)
    }
}

/// Thousands grouped with spaces: 1234567 → "1 234 567".
pub fn group(v: i64) -> String {
    let s = v.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push('\u{a0}');
        }
        out.push(c);
    }
    if v < 0 {
        format!("−{out}")
    } else {
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charts_are_labelled_svg() {
        let s = share_bars(
            "a",
            "T <1>",
            "D",
            &[("x".into(), Some((0.4, 0.3, 0.5))), ("y".into(), None)],
            "–",
        );
        assert!(s.starts_with("<svg") && s.ends_with("</svg>"));
        assert!(s.contains("<title id=\"a-t\">T &lt;1&gt;</title>"));
        let k = km_chart(
            "k",
            "T",
            "D",
            &[Curve {
                label: "a",
                steps: vec![(10, 0.8, 0.7, 0.9)],
            }],
            365,
            "dagar",
        );
        assert!(k.contains("<path") && k.contains("<polygon"));
        let g = grouped_bars(
            "g",
            "T",
            "D",
            &["1", "5"],
            &[("kommun".into(), vec![-5.0, 10.0])],
            "kr",
        );
        assert_eq!(
            g.matches("<rect x=").count(),
            2 + 2,
            "two legend keys, two bars"
        );
        assert_eq!(group(-1234567), "−1\u{a0}234\u{a0}567");
        assert_eq!(compact(2_500_000.0), "2,5 M");
    }
}
