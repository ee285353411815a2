//! Charts as SVG and PNG with plotters. Knows nothing of burn: it draws plain series.
//! The font is embedded (DejaVu Sans), so PNG text renders on a machine with no fonts.

use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::Path;
use std::sync::Once;

static FONT: &[u8] = include_bytes!("../assets/DejaVuSans.ttf");
static REGISTER: Once = Once::new();

fn register_font() {
    REGISTER.call_once(|| {
        for style in [FontStyle::Normal, FontStyle::Bold] {
            if plotters::style::register_font("sans-serif", style, FONT).is_err() {
                panic!("the embedded font is not a valid TrueType font");
            }
        }
    });
}

/// One named line.
pub struct Series {
    pub name: String,
    pub points: Vec<(f64, f64)>,
}

pub struct LineChart<'a> {
    pub title: &'a str,
    pub x_label: &'a str,
    pub y_label: &'a str,
    pub series: &'a [Series],
}

const PALETTE: [RGBColor; 6] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
];

type DrawResult = Result<(), Box<dyn std::error::Error + Send + Sync>>;

/// Log y when every value is positive and they span more than two decades.
pub fn wants_log(series: &[Series]) -> bool {
    let ys = series.iter().flat_map(|s| s.points.iter().map(|p| p.1)).filter(|y| y.is_finite());
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for y in ys {
        lo = lo.min(y);
        hi = hi.max(y);
    }
    lo > 0.0 && hi / lo > 10.0
}

fn draw<DB: DrawingBackend>(root: DrawingArea<DB, Shift>, c: &LineChart) -> DrawResult
where
    DB::ErrorType: 'static + Send + Sync,
{
    root.fill(&WHITE)?;
    let finite = |p: &&(f64, f64)| p.0.is_finite() && p.1.is_finite();
    let pts: Vec<(f64, f64)> = c.series.iter().flat_map(|s| s.points.iter().filter(finite).copied()).collect();
    let (mut x0, mut x1, mut y0, mut y1) = (f64::INFINITY, f64::NEG_INFINITY, f64::INFINITY, f64::NEG_INFINITY);
    for (x, y) in &pts {
        x0 = x0.min(*x);
        x1 = x1.max(*x);
        y0 = y0.min(*y);
        y1 = y1.max(*y);
    }
    if pts.is_empty() {
        (x0, x1, y0, y1) = (0.0, 1.0, 0.0, 1.0);
    }
    if x1 <= x0 {
        x1 = x0 + 1.0;
    }
    let log = wants_log(c.series);
    let mut builder = ChartBuilder::on(&root);
    builder
        .caption(c.title, ("sans-serif", 22))
        .margin(12)
        .x_label_area_size(42)
        .y_label_area_size(72);
    let series_style = |i: usize| PALETTE[i % PALETTE.len()].stroke_width(2);
    if log {
        let mut chart = builder.build_cartesian_2d(x0..x1, (y0 * 0.8..y1 * 1.25).log_scale())?;
        chart
            .configure_mesh()
            .x_desc(c.x_label)
            .y_desc(format!("{} (log scale)", c.y_label))
            .x_label_formatter(&|x| format_tick(*x))
            .y_label_formatter(&|y| format!("{y:.0e}"))
            .draw()?;
        for (i, s) in c.series.iter().enumerate() {
            let pts = s.points.iter().filter(finite).copied().filter(|p| p.1 > 0.0);
            chart
                .draw_series(LineSeries::new(pts, series_style(i)))?
                .label(&s.name)
                .legend(move |(x, y)| PathElement::new([(x, y), (x + 18, y)], series_style(i)));
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperRight)
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .draw()?;
    } else {
        let pad = if y1 > y0 { (y1 - y0) * 0.05 } else { 1.0 };
        let mut chart = builder.build_cartesian_2d(x0..x1, (y0 - pad)..(y1 + pad))?;
        chart
            .configure_mesh()
            .x_desc(c.x_label)
            .y_desc(c.y_label)
            .x_label_formatter(&|x| format_tick(*x))
            .y_label_formatter(&|y| format_tick(*y))
            .draw()?;
        for (i, s) in c.series.iter().enumerate() {
            chart
                .draw_series(LineSeries::new(s.points.iter().filter(finite).copied(), series_style(i)))?
                .label(&s.name)
                .legend(move |(x, y)| PathElement::new([(x, y), (x + 18, y)], series_style(i)));
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperRight)
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .draw()?;
    }
    root.present()?;
    Ok(())
}

/// Short tick labels: integers without ".0", small or large numbers in scientific form.
fn format_tick(v: f64) -> String {
    if v == 0.0 {
        "0".into()
    } else if v.abs() >= 1e5 || v.abs() < 1e-3 {
        format!("{v:.1e}")
    } else if v.fract() == 0.0 {
        format!("{v:.0}")
    } else {
        let s = format!("{v:.4}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

/// Writes `<stem>.svg` and `<stem>.png` into `dir`, each atomically.
pub fn line_chart(dir: &Path, stem: &str, chart: &LineChart) -> std::io::Result<()> {
    register_font();
    let size = (900, 560);
    let mut svg = String::new();
    draw(SVGBackend::with_string(&mut svg, size).into_drawing_area(), chart).map_err(std::io::Error::other)?;
    crate::artifacts::write_atomic(&dir.join(format!("{stem}.svg")), svg.as_bytes())?;

    // plotters picks the encoder from the extension, so the temp name ends in .png too.
    let tmp = dir.join(format!(".{stem}.tmp-{}.png", std::process::id()));
    let drawn = draw(BitMapBackend::new(&tmp, size).into_drawing_area(), chart).map_err(std::io::Error::other);
    let done = drawn.and_then(|_| std::fs::rename(&tmp, dir.join(format!("{stem}.png"))));
    if done.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    done
}
