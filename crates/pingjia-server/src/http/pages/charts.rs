//! Charts drawn on the server as inline SVG: no script, no style attribute (the pages' CSP
//! allows neither), presentation attributes only, every text escaped. Each chart carries a
//! `<title>` and `<desc>` for screen readers, and the page shows the same figures as a table.

use std::fmt::Write as _;

/// The width of every chart in SVG units; it scales to the page width (`viewBox`).
const WIDTH: f64 = 640.0;
const ROW: f64 = 26.0;
const LABEL: f64 = 190.0;
const VALUE: f64 = 70.0;

/// Escapes text for SVG (XML) content and attribute values.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

fn open(height: f64, title: &str, description: &str) -> String {
    format!(
        "<svg class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {WIDTH} {height}\" role=\"img\" \
         preserveAspectRatio=\"xMinYMin meet\"><title>{}</title><desc>{}</desc>",
        escape(title),
        escape(description)
    )
}

fn number(value: f64) -> String {
    let rounded = (value * 100.0).round() / 100.0;
    if rounded == rounded.trunc() {
        format!("{rounded:.0}")
    } else {
        format!("{rounded}")
    }
}

/// One bar: a label and a value that may be negative.
#[derive(Debug, Clone, PartialEq)]
pub struct Bar {
    pub label: String,
    pub value: f64,
    /// Drawn in the warning colour.
    pub flagged: bool,
}

/// Horizontal bars around zero: negative values extend left of the axis, positive right.
/// The scale is symmetric, from −m to m where m is the largest absolute value (at least
/// `min_extent`, so that small differences are not blown up).
pub fn bars(title: &str, description: &str, rows: &[Bar], min_extent: f64) -> String {
    let height = ROW * rows.len().max(1) as f64 + 24.0;
    let extent = rows
        .iter()
        .map(|r| r.value.abs())
        .fold(min_extent.max(f64::MIN_POSITIVE), f64::max);
    let plot = WIDTH - LABEL - VALUE;
    let zero = LABEL + plot / 2.0;
    let mut svg = open(height, title, description);
    let _ = write!(
        svg,
        "<line x1=\"{zero}\" y1=\"0\" x2=\"{zero}\" y2=\"{}\" stroke=\"#888\" stroke-width=\"1\"/>",
        height - 20.0
    );
    for (i, row) in rows.iter().enumerate() {
        let y = ROW * i as f64;
        let length = (row.value / extent) * (plot / 2.0);
        let (x, w) = if length < 0.0 {
            (zero + length, -length)
        } else {
            (zero, length)
        };
        let fill = if row.flagged { "#c0392b" } else { "#2e6da4" };
        let _ = write!(
            svg,
            "<text x=\"{}\" y=\"{}\" font-size=\"13\" text-anchor=\"end\">{}</text>\
             <rect x=\"{x:.1}\" y=\"{}\" width=\"{w:.1}\" height=\"{}\" fill=\"{fill}\"/>\
             <text x=\"{}\" y=\"{}\" font-size=\"13\">{}</text>",
            LABEL - 8.0,
            y + 17.0,
            escape(&row.label),
            y + 5.0,
            ROW - 10.0,
            WIDTH - VALUE + 6.0,
            y + 17.0,
            if row.value > 0.0 {
                format!("+{}", number(row.value))
            } else {
                number(row.value)
            }
        );
    }
    let _ = write!(
        svg,
        "<text x=\"{LABEL}\" y=\"{}\" font-size=\"11\" fill=\"#555\">−{}</text>\
         <text x=\"{zero}\" y=\"{}\" font-size=\"11\" fill=\"#555\" text-anchor=\"middle\">0</text>\
         <text x=\"{}\" y=\"{}\" font-size=\"11\" fill=\"#555\" text-anchor=\"end\">+{}</text></svg>",
        height - 6.0,
        number(extent),
        height - 6.0,
        WIDTH - VALUE,
        height - 6.0,
        number(extent)
    );
    svg
}

/// One item's spread: the scores given and the item's maximum.
#[derive(Debug, Clone, PartialEq)]
pub struct Spread {
    pub label: String,
    pub scores: Vec<f64>,
    pub maximum: f64,
    /// The scores diverge beyond the round's threshold.
    pub flagged: bool,
}

/// Each item on its own scale from 0 to its maximum: a line from the lowest to the highest
/// score and a dot per score; diverging items in the warning colour.
pub fn spreads(title: &str, description: &str, rows: &[Spread]) -> String {
    let height = ROW * rows.len().max(1) as f64 + 8.0;
    let plot = WIDTH - LABEL - VALUE;
    let mut svg = open(height, title, description);
    for (i, row) in rows.iter().enumerate() {
        let y = ROW * i as f64 + 13.0;
        let scale = |v: f64| {
            if row.maximum > 0.0 {
                LABEL + (v / row.maximum).clamp(0.0, 1.0) * plot
            } else {
                LABEL
            }
        };
        let colour = if row.flagged { "#c0392b" } else { "#2e6da4" };
        let _ = write!(
            svg,
            "<text x=\"{}\" y=\"{}\" font-size=\"13\" text-anchor=\"end\">{}</text>\
             <line x1=\"{LABEL}\" y1=\"{y}\" x2=\"{}\" y2=\"{y}\" stroke=\"#ddd\" stroke-width=\"6\"/>",
            LABEL - 8.0,
            y + 4.0,
            escape(&row.label),
            LABEL + plot
        );
        let low = row.scores.iter().copied().fold(f64::INFINITY, f64::min);
        let high = row.scores.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        if low.is_finite() && high.is_finite() {
            let _ = write!(
                svg,
                "<line x1=\"{:.1}\" y1=\"{y}\" x2=\"{:.1}\" y2=\"{y}\" stroke=\"{colour}\" stroke-width=\"3\"/>",
                scale(low),
                scale(high)
            );
        }
        for score in &row.scores {
            let _ = write!(
                svg,
                "<circle cx=\"{:.1}\" cy=\"{y}\" r=\"5\" fill=\"{colour}\"/>",
                scale(*score)
            );
        }
        let range = if low.is_finite() {
            format!("{}–{} / {}", number(low), number(high), number(row.maximum))
        } else {
            format!("— / {}", number(row.maximum))
        };
        let _ = write!(
            svg,
            "<text x=\"{}\" y=\"{}\" font-size=\"12\">{}</text>",
            WIDTH - VALUE + 6.0,
            y + 4.0,
            escape(&range)
        );
    }
    svg.push_str("</svg>");
    svg
}

/// One row of stacked bars: a label and one value per series (counts, not negative).
#[derive(Debug, Clone, PartialEq)]
pub struct Stack {
    pub label: String,
    pub values: Vec<f64>,
}

/// Horizontal stacked bars from zero: each row's segments in the series' colours, its total at
/// the right; a legend of the series (name and colour) below. The scale runs from 0 to the
/// largest row total (at least 1).
pub fn stacked(
    title: &str,
    description: &str,
    rows: &[Stack],
    series: &[(String, &str)],
) -> String {
    const LEGEND: f64 = 22.0;
    let height = ROW * rows.len().max(1) as f64 + LEGEND + 8.0;
    let plot = WIDTH - LABEL - VALUE;
    let extent = rows
        .iter()
        .map(|r| r.values.iter().sum::<f64>())
        .fold(1.0, f64::max);
    let mut svg = open(height, title, description);
    let _ = write!(
        svg,
        "<line x1=\"{LABEL}\" y1=\"0\" x2=\"{LABEL}\" y2=\"{}\" stroke=\"#888\" stroke-width=\"1\"/>",
        ROW * rows.len().max(1) as f64
    );
    for (i, row) in rows.iter().enumerate() {
        let y = ROW * i as f64;
        let _ = write!(
            svg,
            "<text x=\"{}\" y=\"{}\" font-size=\"13\" text-anchor=\"end\">{}</text>",
            LABEL - 8.0,
            y + 17.0,
            escape(&row.label)
        );
        let mut x = LABEL;
        for (index, value) in row.values.iter().enumerate() {
            let width = value.max(0.0) / extent * plot;
            if width > 0.0 {
                let fill = series.get(index).map_or("#888", |(_, colour)| *colour);
                let name = series.get(index).map_or("", |(name, _)| name.as_str());
                let _ = write!(
                    svg,
                    "<rect x=\"{x:.1}\" y=\"{}\" width=\"{width:.1}\" height=\"{}\" fill=\"{}\"><title>{}: {}</title></rect>",
                    y + 5.0,
                    ROW - 10.0,
                    escape(fill),
                    escape(name),
                    number(*value)
                );
            }
            x += width;
        }
        let _ = write!(
            svg,
            "<text x=\"{:.1}\" y=\"{}\" font-size=\"13\">{}</text>",
            x + 6.0,
            y + 17.0,
            number(row.values.iter().sum())
        );
    }
    let legend_y = ROW * rows.len().max(1) as f64 + 6.0;
    let mut x = LABEL;
    for (name, colour) in series {
        let _ = write!(
            svg,
            "<rect x=\"{x:.1}\" y=\"{legend_y}\" width=\"12\" height=\"12\" fill=\"{}\"/>\
             <text x=\"{:.1}\" y=\"{}\" font-size=\"12\">{}</text>",
            escape(colour),
            x + 16.0,
            legend_y + 11.0,
            escape(name)
        );
        x += 16.0 + 7.0 * crate::services::spreadsheets::display_width(name) as f64 + 14.0;
    }
    svg.push_str("</svg>");
    svg
}

/// One category counted twice: before and after a change.
#[derive(Debug, Clone, PartialEq)]
pub struct Pair {
    pub label: String,
    pub before: usize,
    pub after: usize,
}

/// Two horizontal bars per row from zero, the first (grey) before, the second (blue) after,
/// on one scale up to the largest count; the counts at the right as `before → after`.
pub fn pairs(title: &str, description: &str, rows: &[Pair]) -> String {
    let height = ROW * rows.len().max(1) as f64 + 24.0;
    let extent = rows
        .iter()
        .map(|r| r.before.max(r.after))
        .max()
        .unwrap_or(0)
        .max(1) as f64;
    let plot = WIDTH - LABEL - VALUE - 30.0;
    let half = (ROW - 8.0) / 2.0;
    let mut svg = open(height, title, description);
    let _ = write!(
        svg,
        "<line x1=\"{LABEL}\" y1=\"0\" x2=\"{LABEL}\" y2=\"{}\" stroke=\"#888\" stroke-width=\"1\"/>",
        height - 20.0
    );
    for (i, row) in rows.iter().enumerate() {
        let y = ROW * i as f64;
        let before = row.before as f64 / extent * plot;
        let after = row.after as f64 / extent * plot;
        let _ = write!(
            svg,
            "<text x=\"{}\" y=\"{}\" font-size=\"13\" text-anchor=\"end\">{}</text>\
             <rect x=\"{LABEL}\" y=\"{}\" width=\"{before:.1}\" height=\"{half}\" fill=\"#9aa5b1\"/>\
             <rect x=\"{LABEL}\" y=\"{}\" width=\"{after:.1}\" height=\"{half}\" fill=\"#2e6da4\"/>\
             <text x=\"{}\" y=\"{}\" font-size=\"13\">{} → {}</text>",
            LABEL - 8.0,
            y + 17.0,
            escape(&row.label),
            y + 4.0,
            y + 4.0 + half,
            WIDTH - VALUE - 24.0,
            y + 17.0,
            row.before,
            row.after
        );
    }
    let _ = write!(
        svg,
        "<text x=\"{LABEL}\" y=\"{}\" font-size=\"11\" fill=\"#555\">0</text>\
         <text x=\"{}\" y=\"{}\" font-size=\"11\" fill=\"#555\" text-anchor=\"end\">{}</text></svg>",
        height - 6.0,
        LABEL + plot,
        height - 6.0,
        number(extent)
    );
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped_and_no_style_or_script_is_emitted() {
        let svg = bars(
            "<script>",
            "a & b",
            &[Bar {
                label: "专家\"><script>alert(1)</script>".into(),
                value: -2.5,
                flagged: true,
            }],
            1.0,
        );
        assert!(!svg.contains("<script"), "{svg}");
        assert!(!svg.contains("style="), "{svg}");
        assert!(svg.contains("&lt;script&gt;"));
        assert!(svg.contains("a &amp; b"));
        assert!(svg.contains(">-2.5<"), "{svg}");
    }

    #[test]
    fn a_negative_bar_ends_at_zero_and_extends_left() {
        // Extent 2 over a plot of 640 − 190 − 70 = 380: zero at 190 + 190 = 380; −2 is a full half.
        let svg = bars(
            "t",
            "d",
            &[Bar {
                label: "A".into(),
                value: -2.0,
                flagged: false,
            }],
            1.0,
        );
        assert!(
            svg.contains("<rect x=\"190.0\" y=\"5\" width=\"190.0\""),
            "{svg}"
        );
    }

    #[test]
    fn spreads_place_scores_on_the_items_own_scale() {
        // Maximum 20 over 380 units from x = 190: 10 → 380, 15 → 475.
        let svg = spreads(
            "t",
            "d",
            &[Spread {
                label: "投入".into(),
                scores: vec![10.0, 15.0],
                maximum: 20.0,
                flagged: false,
            }],
        );
        assert!(svg.contains("cx=\"380.0\""), "{svg}");
        assert!(svg.contains("cx=\"475.0\""), "{svg}");
        assert!(svg.contains("10–15 / 20"), "{svg}");
    }
    #[test]
    fn stacked_bars_share_one_scale_and_escape_their_labels() {
        // Largest total 4 over a plot of 380 from x = 190: 3 → 285, then 1 → 95 more.
        let svg = stacked(
            "t",
            "d",
            &[
                Stack {
                    label: "苏州市<b>".into(),
                    values: vec![3.0, 1.0],
                },
                Stack {
                    label: "南京市".into(),
                    values: vec![0.0, 2.0],
                },
            ],
            &[("五星".into(), "#111111"), ("认定\"".into(), "#222222")],
        );
        assert!(
            svg.contains("<rect x=\"190.0\" y=\"5\" width=\"285.0\""),
            "{svg}"
        );
        assert!(
            svg.contains("<rect x=\"475.0\" y=\"5\" width=\"95.0\""),
            "{svg}"
        );
        // 南京市: no segment for 0, then 2 → 190 wide from the axis.
        assert!(
            svg.contains("<rect x=\"190.0\" y=\"31\" width=\"190.0\""),
            "{svg}"
        );
        assert!(
            svg.contains(">4</text>") && svg.contains(">2</text>"),
            "{svg}"
        );
        assert!(svg.contains("苏州市&lt;b&gt;"), "{svg}");
        assert!(svg.contains("认定&quot;"), "{svg}");
        assert!(!svg.contains("style="), "{svg}");
    }

    #[test]
    fn pairs_share_one_scale_from_zero() {
        // Largest count 4 over 640 − 190 − 70 − 30 = 350 units: 2 → 175, 4 → 350.
        let svg = pairs(
            "t",
            "d",
            &[Pair {
                label: "四星".into(),
                before: 4,
                after: 2,
            }],
        );
        assert!(svg.contains("x=\"190\" y=\"4\" width=\"350.0\""), "{svg}");
        assert!(svg.contains("x=\"190\" y=\"13\" width=\"175.0\""), "{svg}");
        assert!(svg.contains(">4 → 2<"), "{svg}");
    }
}
