//! Charts as SVG and PNG with plotters. Knows nothing of burn: it draws plain series.
//! The fonts are embedded (DejaVu Sans for English, a Hangul subset of Noto Sans CJK KR for
//! Korean: scripts/korean-font.py), so PNG text renders on a machine with no fonts.

use plotters::coord::Shift;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use std::path::Path;
use std::sync::Once;

static LATIN: &[u8] = include_bytes!("../../assets/DejaVuSans.ttf");
static HANGUL: &[u8] = include_bytes!("../../assets/NotoSansKR-gdlab.ttf");
static REGISTER: Once = Once::new();

fn register_font() {
    REGISTER.call_once(|| {
        for lang in [FigureLang::En, FigureLang::Ko] {
            for style in [FontStyle::Normal, FontStyle::Bold] {
                if plotters::style::register_font(lang.family(), style, lang.font()).is_err() {
                    panic!("the embedded font for {lang:?} is not a valid TrueType font");
                }
            }
        }
    });
}

/// The language of a figure's words: the embedded font that draws them, and the few words
/// this module adds itself. Tick labels are numbers and keep the Latin font in both.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum FigureLang {
    #[default]
    En,
    Ko,
}

impl FigureLang {
    /// The family name the font is registered under, which an SVG also names: a CSS list, so a
    /// browser without Noto Sans CJK KR falls back to its own sans-serif.
    pub fn family(self) -> &'static str {
        match self {
            FigureLang::En => "sans-serif",
            FigureLang::Ko => "Noto Sans CJK KR, sans-serif",
        }
    }

    pub fn font(self) -> &'static [u8] {
        match self {
            FigureLang::En => LATIN,
            FigureLang::Ko => HANGUL,
        }
    }

    fn log_scale(self) -> &'static str {
        match self {
            FigureLang::En => "log scale",
            FigureLang::Ko => "로그 눈금",
        }
    }

    fn three_d(self) -> &'static str {
        match self {
            FigureLang::En => "3-D",
            FigureLang::Ko => "입체",
        }
    }

    /// A heat map's path legend: the path, its start, its end.
    fn path_words(self) -> [&'static str; 3] {
        match self {
            FigureLang::En => ["descent path", "start", "end"],
            FigureLang::Ko => ["경사하강법의 경로", "시작점", "끝점"],
        }
    }

    fn diagonal(self) -> &'static str {
        match self {
            FigureLang::En => "actual = predicted",
            FigureLang::Ko => "실제 = 예측",
        }
    }
}

/// Axis names and legend entries: 14 px (plotters' default of 12 is small for Hangul), in the
/// figure's font.
fn words(lang: FigureLang) -> (&'static str, u32) {
    (lang.family(), 14)
}

/// One named line (or a set of points, or of separate segments), in one colour with one
/// legend entry. An empty name stays out of the legend.
pub struct Series {
    pub name: String,
    /// Segments: consecutive pairs.
    pub points: Vec<(f64, f64)>,
    pub dots: bool,
    pub segments: bool,
    /// A dashed line, for a series that may lie on another (drawn on top of it, it shows both).
    pub dashed: bool,
}

impl Series {
    pub fn line(name: impl Into<String>, points: Vec<(f64, f64)>) -> Self {
        Self { name: name.into(), points, dots: false, segments: false, dashed: false }
    }
    pub fn dashed(name: impl Into<String>, points: Vec<(f64, f64)>) -> Self {
        Self { dashed: true, ..Self::line(name, points) }
    }
    pub fn dots(name: impl Into<String>, points: Vec<(f64, f64)>) -> Self {
        Self { name: name.into(), points, dots: true, segments: false, dashed: false }
    }
    /// Separate straight segments (tangents, steps), drawn alike.
    pub fn segments(name: impl Into<String>, segments: Vec<[(f64, f64); 2]>) -> Self {
        Self { name: name.into(), points: segments.into_iter().flatten().collect(), dots: false, segments: true, dashed: false }
    }
}

pub struct LineChart<'a> {
    pub title: &'a str,
    pub x_label: &'a str,
    pub y_label: &'a str,
    pub series: &'a [Series],
    /// Log y axis: Some(choice), or None to decide from the data (`wants_log`).
    pub log_y: Option<bool>,
    pub lang: FigureLang,
}

const PALETTE: [RGBColor; 10] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
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
    let log = c.log_y.unwrap_or_else(|| wants_log(c.series));
    if log {
        (y0, y1) = positive_range(c.series);
    }
    // Room for the legend: when every corner holds data, the y range grows on the legend's
    // side until the legend's share of the height is free of it.
    let (crowded, corner, share) = quiet_corner(c.series, log);
    if crowded > 0 && y1 > y0 {
        let upper = matches!(corner, SeriesLabelPosition::UpperRight | SeriesLabelPosition::UpperLeft);
        let (a, b) = if log { (y0.log10(), y1.log10()) } else { (y0, y1) };
        let grown = (b - a) / (1.0 - share);
        let (a, b) = if upper { (a, a + grown) } else { (b - grown, b) };
        (y0, y1) = if log { (10f64.powf(a), 10f64.powf(b)) } else { (a, b) };
    }
    let mut builder = ChartBuilder::on(&root);
    builder.caption(c.title, (c.lang.family(), 22)).margin(12).x_label_area_size(42).y_label_area_size(72);
    if log {
        let mut chart = builder.build_cartesian_2d(x0..x1, (y0 * 0.8..y1 * 1.25).log_scale())?;
        chart
            .configure_mesh()
            .x_desc(c.x_label)
            .y_desc(format!("{} ({})", c.y_label, c.lang.log_scale()))
            .axis_desc_style(words(c.lang))
            .x_label_formatter(&|x| format_tick(*x))
            // Enough labels that a curve ending between two powers of ten still has one near it.
            .y_labels(16)
            .y_label_formatter(&|y| log_tick(*y))
            .draw()?;
        // plotters labels a log axis only within decades that hold a power of ten (and the top
        // one): a curve ending in a decade without one would have no number beside it.
        let (lo, hi) = (y0 * 0.8, y1 * 1.25);
        use plotters::style::text_anchor::{HPos, Pos, VPos};
        let style = ("sans-serif", 12).into_font().color(&BLACK).pos(Pos::new(HPos::Right, VPos::Center));
        let top = hi.log10().floor();
        let mut k = lo.log10().floor();
        // Where labels already stand (the powers of ten), so an added one never overlaps one.
        let mut taken: Vec<i32> = (k as i32..=top as i32)
            .map(|e| 10f64.powi(e))
            .filter(|v| *v >= lo && *v <= hi)
            .map(|v| chart.backend_coord(&(x0, v)).1)
            .collect();
        while k < top {
            let power = 10f64.powf(k);
            if power < lo && 10.0 * power > lo {
                for m in [2.0, 3.0, 5.0] {
                    let v = m * power;
                    let (px, py) = chart.backend_coord(&(x0, v));
                    if v > lo && v < hi && taken.iter().all(|t| (t - py).abs() >= 14) {
                        root.draw(&Text::new(log_tick(v), (px - 8, py), style.clone()))?;
                        taken.push(py);
                    }
                }
            }
            k += 1.0;
        }
        draw_series_and_legend(&mut chart, c.series, Some(y0 * 0.8), corner, c.lang)?;
    } else {
        let pad = if y1 > y0 { (y1 - y0) * 0.05 } else { 1.0 };
        let mut chart = builder.build_cartesian_2d(x0..x1, (y0 - pad)..(y1 + pad))?;
        chart
            .configure_mesh()
            .x_desc(c.x_label)
            .y_desc(c.y_label)
            .axis_desc_style(words(c.lang))
            .x_label_formatter(&|x| format_tick(*x))
            // A tick at zero can come out as -1.1e-16 from the axis arithmetic.
            .y_label_formatter(&|y| format_tick(if y.abs() < (y1 - y0).abs() * 1e-9 { 0.0 } else { *y }))
            .draw()?;
        draw_series_and_legend(&mut chart, c.series, None, corner, c.lang)?;
    }
    root.present()?;
    Ok(())
}

/// Every series (lines or dots) and the legend, on either a linear or a log y axis. With
/// `floor`, values below it (zeros on a log axis) are drawn at the floor.
fn draw_series_and_legend<'a, DB: DrawingBackend + 'a, Y: Ranged<ValueType = f64>>(
    chart: &mut ChartContext<'a, DB, Cartesian2d<RangedCoordf64, Y>>,
    series: &[Series],
    floor: Option<f64>,
    corner: SeriesLabelPosition,
    lang: FigureLang,
) -> DrawResult
where
    DB::ErrorType: 'static + Send + Sync,
{
    for (i, s) in series.iter().enumerate() {
        let color = PALETTE[i % PALETTE.len()];
        let style = color.stroke_width(2);
        let pts = s.points.iter().filter(|p| p.0.is_finite() && p.1.is_finite()).map(|p| (p.0, floor.map_or(p.1, |f| p.1.max(f))));
        if s.segments {
            let pts: Vec<(f64, f64)> = pts.collect();
            let a = chart.draw_series(pts.chunks_exact(2).map(|c| PathElement::new(vec![c[0], c[1]], style)))?;
            if !s.name.is_empty() {
                a.label(&s.name).legend(move |(x, y)| PathElement::new([(x, y), (x + 18, y)], style));
            }
        } else if s.dots {
            let a = chart.draw_series(pts.map(|p| Circle::new(p, 3, color.filled())))?;
            if !s.name.is_empty() {
                a.label(&s.name).legend(move |(x, y)| Circle::new((x + 9, y), 3, color.filled()));
            }
        } else if s.dashed {
            let a = chart.draw_series(DashedLineSeries::new(pts, 7, 5, color.stroke_width(3)))?;
            if !s.name.is_empty() {
                a.label(&s.name).legend(move |(x, y)| PathElement::new([(x, y), (x + 7, y)], color.stroke_width(3)));
            }
        } else {
            let a = chart.draw_series(LineSeries::new(pts, style))?;
            if !s.name.is_empty() {
                a.label(&s.name).legend(move |(x, y)| PathElement::new([(x, y), (x + 18, y)], style));
            }
        }
    }
    draw_legend(chart, corner, lang)
}

/// The corner of the plot with the fewest data points, so the legend covers as little as
/// possible (upper right when several tie): how many points it still holds, the corner, and
/// the share of the plot's height the legend takes.
fn quiet_corner(series: &[Series], log_y: bool) -> (usize, SeriesLabelPosition, f64) {
    let pts: Vec<(f64, f64)> = series
        .iter()
        .flat_map(|s| s.points.iter())
        .filter(|p| p.0.is_finite() && p.1.is_finite() && (!log_y || p.1 > 0.0))
        .map(|p| (p.0, if log_y { p.1.log10() } else { p.1 }))
        .collect();
    let range = |f: fn(&(f64, f64)) -> f64| pts.iter().map(f).fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| (a.min(v), b.max(v)));
    let ((x0, x1), (y0, y1)) = (range(|p| p.0), range(|p| p.1));
    let (w, h) = ((x1 - x0).max(1e-300), (y1 - y0).max(1e-300));
    // The legend box: about 45% of the width, and 20 px a line on a plot about 460 px high
    // (the report's 900 x 560), at most half of it.
    let entries = series.iter().filter(|s| !s.name.is_empty()).count();
    let share = ((entries as f64 * 20.0 + 14.0) / 460.0).min(0.5);
    let count = |right: bool, upper: bool| {
        pts.iter()
            .filter(|p| {
                let (u, v) = ((p.0 - x0) / w, (p.1 - y0) / h);
                (if right { u > 0.55 } else { u < 0.45 }) && (if upper { v > 1.0 - share } else { v < share })
            })
            .count()
    };
    [
        (count(true, true), SeriesLabelPosition::UpperRight),
        (count(false, true), SeriesLabelPosition::UpperLeft),
        (count(true, false), SeriesLabelPosition::LowerRight),
        (count(false, false), SeriesLabelPosition::LowerLeft),
    ]
    .into_iter()
    .min_by_key(|(n, _)| *n)
    .map_or((0, SeriesLabelPosition::UpperRight, share), |(n, p)| (n, p, share))
}

/// The legend box every chart uses: translucent white behind, black border, at `position`.
fn draw_legend<'a, DB: DrawingBackend + 'a, CT: CoordTranslate>(
    chart: &mut ChartContext<'a, DB, CT>,
    position: SeriesLabelPosition,
    lang: FigureLang,
) -> DrawResult
where
    DB::ErrorType: 'static + Send + Sync,
{
    chart
        .configure_series_labels()
        .label_font(words(lang))
        .position(position)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .draw()?;
    Ok(())
}

/// Short tick labels: integers without ".0", small or large numbers in scientific form.
pub fn format_tick(v: f64) -> String {
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

/// `v` rounded to two significant digits (a log axis' label between powers of ten).
fn two_digits(v: f64) -> f64 {
    if v == 0.0 || !v.is_finite() {
        return v;
    }
    let scale = 10f64.powi(v.abs().log10().floor() as i32 - 1);
    (v / scale).round() * scale
}

/// A log axis label: plain decimals where they are short (0.05, 300), powers of ten beyond.
fn log_tick(v: f64) -> String {
    if (1e-3..1e5).contains(&v.abs()) { format_tick(v) } else { format!("{v:.0e}") }
}

/// A scatter chart on log-log axes (only positive points are drawn), with the y = x line.
pub struct LogLogScatter<'a> {
    pub title: &'a str,
    pub x_label: &'a str,
    pub y_label: &'a str,
    pub series: &'a [Series],
    pub lang: FigureLang,
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
        .caption(c.title, (c.lang.family(), 22))
        .margin(12)
        .x_label_area_size(42)
        .y_label_area_size(72)
        .build_cartesian_2d(range.clone().log_scale(), range.clone().log_scale())?;
    chart
        .configure_mesh()
        .x_desc(c.x_label)
        .y_desc(c.y_label)
        .axis_desc_style(words(c.lang))
        .x_label_formatter(&|v| format!("{v:.0e}"))
        .y_label_formatter(&|v| format!("{v:.0e}"))
        .draw()?;
    chart
        .draw_series(LineSeries::new([(range.start, range.start), (range.end, range.end)], BLACK.mix(0.5)))?
        .label(c.lang.diagonal())
        .legend(|(x, y)| PathElement::new([(x, y), (x + 18, y)], BLACK.mix(0.5)));
    for (i, s) in c.series.iter().enumerate() {
        let color = PALETTE[i % PALETTE.len()];
        chart
            .draw_series(s.points.iter().filter(ok).map(|p| Circle::new(*p, 4, color.filled())))?
            .label(&s.name)
            .legend(move |(x, y)| Circle::new((x + 9, y), 4, color.filled()));
    }
    draw_legend(&mut chart, SeriesLabelPosition::UpperLeft, c.lang)?;
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
    crate::atomic::write_atomic(&dir.join(format!("{stem}.svg")), svg.as_bytes())?;

    // plotters picks the encoder from the extension, so the temp name ends in .png too.
    let tmp = dir.join(format!(".{stem}.tmp-{}.png", std::process::id()));
    let drawn = chart.draw_on(BitMapBackend::new(&tmp, size).into_drawing_area()).map_err(std::io::Error::other);
    let done = drawn.and_then(|_| std::fs::rename(&tmp, dir.join(format!("{stem}.png"))));
    if done.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    done
}

/// One neuron's line `y = w x + b` over data, with each error drawn twice: as a bar from the
/// point to the line (its length |e| is what MAE averages) and as the square on that bar (its
/// area e² is what MSE averages). One panel per stage of training, same axes, so the total area
/// can be seen to shrink.
pub struct ErrorAreas<'a> {
    pub title: &'a str,
    pub points: &'a [(f64, f64)],
    /// (panel title, w, b).
    pub panels: &'a [(String, f64, f64)],
    pub lang: FigureLang,
}

impl Chart for ErrorAreas<'_> {
    fn draw_on<DB: DrawingBackend>(&self, root: DrawingArea<DB, Shift>) -> DrawResult
    where
        DB::ErrorType: 'static + Send + Sync,
    {
        root.fill(&WHITE)?;
        let root = root.titled(self.title, (self.lang.family(), 22))?;
        // One set of axes for every panel, with squares of equal data sides looking square:
        // x and y get the same units per pixel.
        let (mut x0, mut x1, mut y0, mut y1) = (f64::INFINITY, f64::NEG_INFINITY, f64::INFINITY, f64::NEG_INFINITY);
        for (_, w, b) in self.panels {
            for &(x, y) in self.points {
                let e = (w * x + b - y).abs();
                (x0, x1) = (x0.min(x), x1.max(x + e));
                (y0, y1) = (y0.min(y.min(w * x + b)), y1.max(y.max(w * x + b)));
            }
        }
        let panels = root.split_evenly((1, self.panels.len().max(1)));
        let (pw, ph) = panels.first().map_or((1, 1), |p| p.dim_in_pixel());
        let (plot_w, plot_h) = ((pw as f64 - 60.0).max(1.0), (ph as f64 - 90.0).max(1.0));
        let per_px = ((x1 - x0) / plot_w).max((y1 - y0) / plot_h) * 1.08;
        let (xc, yc) = ((x0 + x1) / 2.0, (y0 + y1) / 2.0);
        let (xr, yr) = (per_px * plot_w / 2.0, per_px * plot_h / 2.0);
        let blue = RGBColor(31, 119, 180);
        let orange = RGBColor(255, 127, 14);
        for (area, (title, w, b)) in panels.iter().zip(self.panels) {
            let mut chart = ChartBuilder::on(area)
                .caption(title, (self.lang.family(), 17))
                .margin(8)
                .x_label_area_size(30)
                .y_label_area_size(40)
                .build_cartesian_2d((xc - xr)..(xc + xr), (yc - yr)..(yc + yr))?;
            chart
                .configure_mesh()
                .light_line_style(BLACK.mix(0.05))
                .x_desc("x")
                .y_desc("y")
                .x_label_formatter(&|v| format_tick(*v))
                .y_label_formatter(&|v| format_tick(*v))
                .draw()?;
            // Squares first, so bars, points and the line stay on top.
            chart.draw_series(self.points.iter().map(|&(x, y)| {
                let fit = w * x + b;
                let e = (fit - y).abs();
                Rectangle::new([(x, y.min(fit)), (x + e, y.max(fit))], orange.mix(0.25).filled())
            }))?;
            chart.draw_series(self.points.iter().map(|&(x, y)| PathElement::new(vec![(x, y), (x, w * x + b)], orange.stroke_width(3))))?;
            // The line clipped to the panel by hand: plotters clamps an outside end point to the
            // edge, which would bend the line.
            let (mut xa, mut xb) = (xc - xr, xc + xr);
            if w.abs() > 1e-12 {
                let (ta, tb) = (((yc - yr) - b) / w, ((yc + yr) - b) / w);
                (xa, xb) = (xa.max(ta.min(tb)), xb.min(ta.max(tb)));
            }
            if xa < xb {
                chart.draw_series(LineSeries::new([(xa, w * xa + b), (xb, w * xb + b)], blue.stroke_width(2)))?;
            }
            chart.draw_series(self.points.iter().map(|&p| Circle::new(p, 4, BLACK.filled())))?;
        }
        root.present()?;
        Ok(())
    }
}

/// A scalar field on a grid, drawn as a heat map with contour lines and an optional path.
pub struct HeatMap<'a> {
    pub title: &'a str,
    pub x_label: &'a str,
    pub y_label: &'a str,
    pub xs: &'a [f64],
    pub ys: &'a [f64],
    /// z[j][i] at (xs[i], ys[j]).
    pub z: &'a [Vec<f64>],
    /// What z is (the colour bar's and the 3-D view's vertical axis name).
    pub z_label: &'a str,
    /// Colour and contour levels on log10(z) (for losses spanning decades).
    pub log: bool,
    pub path: &'a [(f64, f64)],
    pub lang: FigureLang,
}

fn level_value(z: f64, log: bool) -> f64 {
    if log { z.max(f64::MIN_POSITIVE).log10() } else { z }
}

/// Line segments of the contour at `level` by marching squares on the grid.
pub fn contour_segments(xs: &[f64], ys: &[f64], v: &[Vec<f64>], level: f64) -> Vec<[(f64, f64); 2]> {
    let mut segs = Vec::new();
    let lerp = |a: (f64, f64, f64), b: (f64, f64, f64)| {
        let t = (level - a.2) / (b.2 - a.2);
        (a.0 + t * (b.0 - a.0), a.1 + t * (b.1 - a.1))
    };
    for j in 0..ys.len().saturating_sub(1) {
        for i in 0..xs.len().saturating_sub(1) {
            // Corners counter-clockwise from bottom-left.
            let c = [
                (xs[i], ys[j], v[j][i]),
                (xs[i + 1], ys[j], v[j][i + 1]),
                (xs[i + 1], ys[j + 1], v[j + 1][i + 1]),
                (xs[i], ys[j + 1], v[j + 1][i]),
            ];
            if c.iter().any(|p| !p.2.is_finite()) {
                continue;
            }
            // Crossing points on the four edges, in order; pair them up.
            let crossings: Vec<(f64, f64)> = (0..4)
                .filter_map(|e| {
                    let (a, b) = (c[e], c[(e + 1) % 4]);
                    ((a.2 < level) != (b.2 < level)).then(|| lerp(a, b))
                })
                .collect();
            if crossings.len() == 2 {
                segs.push([crossings[0], crossings[1]]);
            } else if crossings.len() == 4 {
                segs.push([crossings[0], crossings[1]]);
                segs.push([crossings[2], crossings[3]]);
            }
        }
    }
    segs
}

/// The colour of a level `t` in [0, 1] (clamped; +inf is the top). A NaN cell, where the loss
/// is undefined, is grey rather than a colour of the scale.
fn shade(t: f64) -> RGBColor {
    use plotters::style::colors::colormaps::ViridisRGB;
    if t.is_nan() { RGBColor(190, 190, 190) } else { ViridisRGB::get_color(t.clamp(0.0, 1.0) as f32) }
}

fn draw_heatmap<DB: DrawingBackend>(root: DrawingArea<DB, Shift>, h: &HeatMap) -> DrawResult
where
    DB::ErrorType: 'static + Send + Sync,
{
    root.fill(&WHITE)?;
    let v: Vec<Vec<f64>> = h.z.iter().map(|row| row.iter().map(|z| level_value(*z, h.log)).collect()).collect();
    let finite = v.iter().flatten().filter(|z| z.is_finite());
    let (lo, hi) = finite.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), z| (a.min(*z), b.max(*z)));
    let lo = if lo.is_finite() { lo } else { 0.0 };
    let (x0, x1) = (h.xs[0], *h.xs.last().unwrap());
    let (y0, y1) = (h.ys[0], *h.ys.last().unwrap());
    let (width, _) = root.dim_in_pixel();
    let (root, bar) = root.split_horizontally(width.saturating_sub(110));
    draw_colour_bar(&bar, h, lo, if hi > lo { hi } else { lo + 1.0 })?;
    let mut chart = ChartBuilder::on(&root)
        .caption(h.title, (h.lang.family(), 20))
        .margin(12)
        .x_label_area_size(42)
        .y_label_area_size(64)
        .build_cartesian_2d(x0..x1, y0..y1)?;
    chart
        .configure_mesh()
        .disable_mesh()
        .x_desc(h.x_label)
        .y_desc(h.y_label)
        .axis_desc_style(words(h.lang))
        .x_label_formatter(&|x| format_tick(*x))
        .y_label_formatter(&|y| format_tick(*y))
        .draw()?;
    let (dx, dy) = ((x1 - x0) / (h.xs.len() - 1) as f64, (y1 - y0) / (h.ys.len() - 1) as f64);
    let span = if hi > lo { hi - lo } else { 1.0 };
    chart.draw_series(h.ys.iter().enumerate().flat_map(|(j, y)| {
        let v = &v;
        h.xs.iter().enumerate().map(move |(i, x)| {
            let color = shade((v[j][i] - lo) / span);
            Rectangle::new([(x - dx / 2.0, y - dy / 2.0), (x + dx / 2.0, y + dy / 2.0)], color.filled())
        })
    }))?;
    let levels = 12;
    for k in 1..levels {
        let level = lo + span * k as f64 / levels as f64;
        chart.draw_series(
            contour_segments(h.xs, h.ys, &v, level).into_iter().map(|s| PathElement::new(s.to_vec(), WHITE.mix(0.6).stroke_width(1))),
        )?;
    }
    if !h.path.is_empty() {
        let red = RGBColor(214, 39, 40);
        chart
            .draw_series(LineSeries::new(h.path.iter().copied(), red.stroke_width(2)))?
            .label(h.lang.path_words()[0])
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 18, y)], red.stroke_width(2)));
        chart
            .draw_series(h.path.first().map(|p| Circle::new(*p, 5, RGBColor(255, 255, 255).filled())))?
            .label(h.lang.path_words()[1])
            .legend(|(x, y)| Circle::new((x + 9, y), 5, RGBColor(255, 255, 255).filled().stroke_width(1)));
        chart
            .draw_series(h.path.last().map(|p| Cross::new(*p, 6, red.stroke_width(3))))?
            .label(h.lang.path_words()[2])
            .legend(move |(x, y)| Cross::new((x + 9, y), 6, red.stroke_width(3)));
        draw_legend(&mut chart, SeriesLabelPosition::UpperRight, h.lang)?;
    }
    root.present()?;
    Ok(())
}

/// The colour scale beside a heat map: the shades from `lo` to `hi` (log10 of z when the map
/// is on a log scale) with ticks in z's own units.
fn draw_colour_bar<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, h: &HeatMap, lo: f64, hi: f64) -> DrawResult
where
    DB::ErrorType: 'static + Send + Sync,
{
    let mut bar = ChartBuilder::on(area)
        .margin_top(44)
        .margin_bottom(54)
        .margin_right(8)
        .y_label_area_size(0)
        .right_y_label_area_size(56)
        .build_cartesian_2d(0.0..1.0, lo..hi)?;
    let log = h.log;
    // No tick marks: beside a label a tick reads as a minus sign ("-31.6" for a loss of 31.6).
    // On a log scale the labels are the loss itself at two significant digits (0.32, 3.2, 32).
    bar.configure_mesh()
        .disable_mesh()
        .disable_x_axis()
        .set_all_tick_mark_size(0)
        .y_desc(if log { format!("{} ({})", h.z_label, h.lang.log_scale()) } else { h.z_label.to_string() })
        .y_labels(8)
        .y_label_style(("sans-serif", 13))
        .axis_desc_style((h.lang.family(), 15))
        .y_label_formatter(&|t| if log { format_tick(two_digits(10f64.powf(*t))) } else { format_tick(*t) })
        .draw()?;
    let steps = 120;
    bar.draw_series((0..steps).map(|k| {
        let (a, b) = (lo + (hi - lo) * k as f64 / steps as f64, lo + (hi - lo) * (k + 1) as f64 / steps as f64);
        Rectangle::new([(0.0, a), (1.0, b)], shade((k as f64 + 0.5) / steps as f64).filled())
    }))?;
    Ok(())
}

impl Chart for HeatMap<'_> {
    fn draw_on<DB: DrawingBackend>(&self, root: DrawingArea<DB, Shift>) -> DrawResult
    where
        DB::ErrorType: 'static + Send + Sync,
    {
        draw_heatmap(root, self)
    }
}

/// The same field as a 3-D surface.
pub struct Surface3d<'a>(pub &'a HeatMap<'a>);

impl Chart for Surface3d<'_> {
    fn draw_on<DB: DrawingBackend>(&self, root: DrawingArea<DB, Shift>) -> DrawResult
    where
        DB::ErrorType: 'static + Send + Sync,
    {
        let h = self.0;
        root.fill(&WHITE)?;
        // The true height (not log): the shape of the surface is the point of this view.
        let v: Vec<Vec<f64>> = h.z.to_vec();
        let (lo, hi) =
            v.iter().flatten().filter(|z| z.is_finite()).fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), z| (a.min(*z), b.max(*z)));
        let lo = if lo.is_finite() { lo } else { 0.0 };
        let hi = if hi > lo { hi } else { lo + 1.0 };
        let (x0, x1) = (h.xs[0], *h.xs.last().unwrap());
        let (y0, y1) = (h.ys[0], *h.ys.last().unwrap());
        let mut chart = ChartBuilder::on(&root)
            .caption(format!("{} ({})", h.title, h.lang.three_d()), (h.lang.family(), 20))
            .margin(16)
            .build_cartesian_3d(x0..x1, lo..hi, y0..y1)?;
        chart.with_projection(|mut p| {
            p.yaw = 0.6;
            p.pitch = 0.45;
            p.scale = 0.85;
            p.into_matrix()
        });
        chart.configure_axes().light_grid_style(BLACK.mix(0.1)).max_light_lines(3).draw()?;
        let index = |x: f64, y: f64| {
            let i = (((x - x0) / (x1 - x0)) * (h.xs.len() - 1) as f64).round() as usize;
            let j = (((y - y0) / (y1 - y0)) * (h.ys.len() - 1) as f64).round() as usize;
            v[j.min(h.ys.len() - 1)][i.min(h.xs.len() - 1)]
        };
        chart.draw_series(
            SurfaceSeries::xoz(h.xs.iter().copied(), h.ys.iter().copied(), index)
                .style_func(&|z: &f64| shade((z - lo) / (hi - lo)).mix(0.85).filled()),
        )?;
        // Axis names where each axis runs: plotters' 3-D axes have ticks but no titles.
        let name = (h.lang.family(), 18).into_font().color(&BLACK);
        let (xm, ym) = ((x0 + x1) / 2.0, (y0 + y1) / 2.0);
        let (dx, dy) = ((x1 - x0) * 0.12, (y1 - y0) * 0.12);
        chart.draw_series([
            Text::new(h.x_label.to_string(), (xm, lo, y1 + dy), name.clone()),
            Text::new(h.y_label.to_string(), (x1 + dx, lo, ym), name.clone()),
            Text::new(h.z_label.to_string(), (x0, hi + (hi - lo) * 0.08, y1), name),
        ])?;
        root.present()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_korean_font_draws_this_modules_own_korean_words() {
        let face = ttf_parser::Face::parse(FigureLang::Ko.font(), 0).expect("the Korean font parses");
        let ko = FigureLang::Ko;
        let words = [ko.log_scale(), ko.three_d(), ko.diagonal()].into_iter().chain(ko.path_words());
        for w in words {
            assert!(w.chars().all(|c| face.glyph_index(c).is_some()), "{w}: a character the font cannot draw");
        }
    }

    #[test]
    fn a_korean_chart_names_its_font_and_draws_hangul() {
        let dir = tempfile::tempdir().unwrap();
        let series = [Series::line("손실값", vec![(0.0, 1.0), (1.0, 0.5)])];
        let chart =
            LineChart {
                title: "경사하강법", x_label: "업데이트", y_label: "C", series: &series, log_y: None, lang: FigureLang::Ko
            };
        write(dir.path(), "k", (300, 200), &chart).unwrap();
        let svg = std::fs::read_to_string(dir.path().join("k.svg")).unwrap();
        assert!(svg.contains("font-family=\"Noto Sans CJK KR, sans-serif\"") && svg.contains("경사하강법"));
        // In the PNG, two characters the font lacks draw as two equal boxes: two Hangul
        // syllables must not look like that.
        let png = |title: &str, stem: &str| {
            write(dir.path(), stem, (300, 200), &LineChart { title, ..chart }).unwrap();
            std::fs::read(dir.path().join(format!("{stem}.png"))).unwrap()
        };
        assert_eq!(png("漢字", "boxes"), png("日本", "boxes_too"), "two missing characters draw alike");
        assert_ne!(png("경사", "hangul"), png("漢字", "boxes"));
    }
}
