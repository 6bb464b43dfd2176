//! Server-rendered SVG charts for the statistics page, without I/O: stacked
//! bars, one per category (a day, a centre), one colour per series. The SVG
//! is an image with a `<title>` and a `<desc>` (named by `aria-labelledby`);
//! the page puts the same numbers in a table beside it as the text
//! alternative, and a legend in HTML. Colours are presentation attributes
//! (the CSP allows no inline style) with at least 3:1 contrast on white,
//! and a white gap between stacked parts.

use platform::form::escape;

/// One stacked part of every bar: its name (for the legend) and values, one per category.
#[derive(Debug, Clone)]
pub struct Series {
    pub name: String,
    pub colour: &'static str,
    pub values: Vec<i64>,
}

/// A chart's texts and data.
#[derive(Debug, Clone)]
pub struct Bars<'a> {
    /// Unique in the page: the `id`s of the title and description derive from it.
    pub id: &'a str,
    pub title: &'a str,
    pub desc: &'a str,
    /// The label under each bar, in order.
    pub categories: &'a [String],
    pub series: &'a [Series],
}

const WIDTH: i64 = 640;
const HEIGHT: i64 = 260;
const LEFT: i64 = 48;
const RIGHT: i64 = 8;
const TOP: i64 = 12;
const BOTTOM: i64 = 40;

/// The smallest "nice" number (1, 2 or 5 times a power of ten) at or above `n`.
pub fn nice_ceiling(n: i64) -> i64 {
    if n <= 1 {
        return 1;
    }
    let mut step = 1;
    loop {
        for m in [1, 2, 5] {
            if step * m >= n {
                return step * m;
            }
        }
        step = step.saturating_mul(10);
    }
}

/// The chart as one `<svg>` element.
pub fn stacked_bars(chart: &Bars<'_>) -> String {
    let n = i64::try_from(chart.categories.len()).unwrap_or(i64::MAX).max(1);
    let totals: Vec<i64> = (0..chart.categories.len())
        .map(|i| chart.series.iter().map(|s| s.values.get(i).copied().unwrap_or(0).max(0)).sum())
        .collect();
    let max = nice_ceiling(totals.iter().copied().max().unwrap_or(0));
    let plot_w = WIDTH - LEFT - RIGHT;
    let plot_h = HEIGHT - TOP - BOTTOM;
    let band = plot_w / n;
    let bar = (band * 3 / 5).max(2);
    let y_of = |v: i64| TOP + plot_h - v * plot_h / max;
    let (title_id, desc_id) = (format!("{}-title", chart.id), format!("{}-desc", chart.id));
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {WIDTH} {HEIGHT}\" role=\"img\" \
         aria-labelledby=\"{title_id} {desc_id}\"><title id=\"{title_id}\">{}</title><desc id=\"{desc_id}\">{}</desc>",
        escape(chart.title),
        escape(chart.desc)
    );
    // Grid lines and their values: 0, half and the top.
    let marks = if max >= 2 { vec![0, max / 2, max] } else { vec![0, max] };
    for v in marks {
        let y = y_of(v);
        svg.push_str(&format!(
            "<line x1=\"{LEFT}\" y1=\"{y}\" x2=\"{}\" y2=\"{y}\" stroke=\"#767676\" stroke-width=\"1\"/>\
             <text x=\"{}\" y=\"{}\" text-anchor=\"end\" font-size=\"12\" fill=\"#1a1a1a\">{v}</text>",
            WIDTH - RIGHT,
            LEFT - 6,
            y + 4
        ));
    }
    // Label every bar when they fit, else about twelve of them.
    let label_every = usize::try_from((n + 11) / 12).unwrap_or(1).max(1);
    for (i, label) in chart.categories.iter().enumerate() {
        let x = LEFT + i64::try_from(i).unwrap_or(0) * band + (band - bar) / 2;
        let mut base = 0;
        for s in chart.series {
            let v = s.values.get(i).copied().unwrap_or(0).max(0);
            if v == 0 {
                continue;
            }
            let (top, bottom) = (y_of(base + v), y_of(base));
            svg.push_str(&format!(
                "<rect x=\"{x}\" y=\"{top}\" width=\"{bar}\" height=\"{}\" fill=\"{}\" stroke=\"#fff\" stroke-width=\"1\"/>",
                (bottom - top).max(1),
                s.colour
            ));
            base += v;
        }
        if i % label_every == 0 {
            svg.push_str(&format!(
                "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" font-size=\"12\" fill=\"#1a1a1a\">{}</text>",
                x + bar / 2,
                HEIGHT - BOTTOM + 18,
                escape(label)
            ));
        }
    }
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nice_ceilings() {
        assert_eq!(nice_ceiling(0), 1);
        assert_eq!(nice_ceiling(1), 1);
        assert_eq!(nice_ceiling(3), 5);
        assert_eq!(nice_ceiling(7), 10);
        assert_eq!(nice_ceiling(11), 20);
        assert_eq!(nice_ceiling(200), 200);
        assert_eq!(nice_ceiling(201), 500);
    }

    #[test]
    fn bars_stack_and_texts_are_escaped() {
        let categories = vec!["12-01".to_owned(), "<b>".to_owned()];
        let series = vec![
            Series { name: "a".into(), colour: "#0b4f6c", values: vec![3, 0] },
            Series { name: "b".into(), colour: "#1b6e3a", values: vec![2, 5] },
        ];
        let svg = stacked_bars(&Bars { id: "c", title: "T & T", desc: "D", categories: &categories, series: &series });
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert!(svg.contains("aria-labelledby=\"c-title c-desc\""));
        assert!(svg.contains("<title id=\"c-title\">T &amp; T</title>"));
        assert!(svg.contains("&lt;b&gt;") && !svg.contains("<b>"));
        // Three parts drawn (a zero is skipped); the first bar's 5 fills the
        // whole height up to 5, the scale's top.
        assert_eq!(svg.matches("<rect").count(), 3);
        assert!(svg.contains(">5</text>"));
    }

    #[test]
    fn an_empty_chart_is_still_an_image() {
        let svg = stacked_bars(&Bars { id: "e", title: "t", desc: "d", categories: &[], series: &[] });
        assert!(svg.contains("role=\"img\"") && !svg.contains("<rect"));
    }
}
