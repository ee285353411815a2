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

/// Log y when the positive values span more than a decade. (Exact zeros, e.g. a loss that
/// reaches 0, are then drawn at the bottom edge.)
pub fn wants_log(series: &[Series]) -> bool {
    let (lo, hi) = positive_range(series);
    lo.is_finite() && hi / lo > 10.0
}

fn positive_range(series: &[Series]) -> (f64, f64) {
    let ys = series.iter().flat_map(|s| s.points.iter().map(|p| p.1)).filter(|y| y.is_finite() && *y > 0.0);
    ys.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), y| (lo.min(y), hi.max(y)))
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
    if log {
        (y0, y1) = positive_range(c.series);
    }
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
            let floor = y0 * 0.8;
            let pts = s.points.iter().filter(finite).map(|p| (p.0, p.1.max(floor)));
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

/// A scatter chart on log-log axes (only positive points are drawn), with the y = x line.
pub struct LogLogScatter<'a> {
    pub title: &'a str,
    pub x_label: &'a str,
    pub y_label: &'a str,
    pub series: &'a [Series],
}

fn draw_scatter<DB: DrawingBackend>(root: DrawingArea<DB, Shift>, c: &LogLogScatter) -> DrawResult
where
    DB::ErrorType: 'static + Send + Sync,
{
    root.fill(&WHITE)?;
    let ok = |p: &&(f64, f64)| p.0 > 0.0 && p.1 > 0.0 && p.0.is_finite() && p.1.is_finite();
    let all: Vec<(f64, f64)> = c.series.iter().flat_map(|s| s.points.iter().filter(ok).copied()).collect();
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for (x, y) in &all {
        lo = lo.min(x.min(*y));
        hi = hi.max(x.max(*y));
    }
    if all.is_empty() {
        (lo, hi) = (1e-3, 1.0);
    }
    let range = (lo / 2.0)..(hi * 2.0);
    let mut chart = ChartBuilder::on(&root)
        .caption(c.title, ("sans-serif", 22))
        .margin(12)
        .x_label_area_size(42)
        .y_label_area_size(72)
        .build_cartesian_2d(range.clone().log_scale(), range.clone().log_scale())?;
    chart
        .configure_mesh()
        .x_desc(c.x_label)
        .y_desc(c.y_label)
        .x_label_formatter(&|v| format!("{v:.0e}"))
        .y_label_formatter(&|v| format!("{v:.0e}"))
        .draw()?;
    chart
        .draw_series(LineSeries::new([(range.start, range.start), (range.end, range.end)], BLACK.mix(0.5)))?
        .label("actual = predicted")
        .legend(|(x, y)| PathElement::new([(x, y), (x + 18, y)], BLACK.mix(0.5)));
    for (i, s) in c.series.iter().enumerate() {
        let color = PALETTE[i % PALETTE.len()];
        chart
            .draw_series(s.points.iter().filter(ok).map(|p| Circle::new(*p, 4, color.filled())))?
            .label(&s.name)
            .legend(move |(x, y)| Circle::new((x + 9, y), 4, color.filled()));
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .draw()?;
    root.present()?;
    Ok(())
}

/// Something that can draw itself on any plotters backend.
pub trait Chart {
    fn draw_on<DB: DrawingBackend>(&self, root: DrawingArea<DB, Shift>) -> DrawResult
    where
        DB::ErrorType: 'static + Send + Sync;
}

impl Chart for LineChart<'_> {
    fn draw_on<DB: DrawingBackend>(&self, root: DrawingArea<DB, Shift>) -> DrawResult
    where
        DB::ErrorType: 'static + Send + Sync,
    {
        draw(root, self)
    }
}

impl Chart for LogLogScatter<'_> {
    fn draw_on<DB: DrawingBackend>(&self, root: DrawingArea<DB, Shift>) -> DrawResult
    where
        DB::ErrorType: 'static + Send + Sync,
    {
        draw_scatter(root, self)
    }
}

/// Writes `<stem>.svg` and `<stem>.png` into `dir`, each atomically.
pub fn write(dir: &Path, stem: &str, size: (u32, u32), chart: &impl Chart) -> std::io::Result<()> {
    register_font();
    let mut svg = String::new();
    chart.draw_on(SVGBackend::with_string(&mut svg, size).into_drawing_area()).map_err(std::io::Error::other)?;
    crate::artifacts::write_atomic(&dir.join(format!("{stem}.svg")), svg.as_bytes())?;

    // plotters picks the encoder from the extension, so the temp name ends in .png too.
    let tmp = dir.join(format!(".{stem}.tmp-{}.png", std::process::id()));
    let drawn = chart.draw_on(BitMapBackend::new(&tmp, size).into_drawing_area()).map_err(std::io::Error::other);
    let done = drawn.and_then(|_| std::fs::rename(&tmp, dir.join(format!("{stem}.png"))));
    if done.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    done
}
