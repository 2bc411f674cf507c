//! PNG charts drawn with plotters, using the embedded DejaVu Sans so they
//! render the same on any machine, with or without system fonts.

use std::io::Cursor;
use std::sync::Once;

use plotters::prelude::*;

use crate::domain::stats::ChartData;

const FONT: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");
const TEAL: RGBColor = RGBColor(0x5B, 0xA8, 0xA0);
const GREY: RGBColor = RGBColor(0xC8, 0xC8, 0xC8);
const NAVY: RGBColor = RGBColor(0x2F, 0x4B, 0x7C);
const MOOD_COLOURS: [RGBColor; 5] = [
    RGBColor(0xC0, 0x6C, 0x84),
    RGBColor(0xE0, 0x9F, 0x7D),
    RGBColor(0xE9, 0xD9, 0x85),
    RGBColor(0x9B, 0xC5, 0x9D),
    RGBColor(0x5B, 0xA8, 0xA0),
];

pub const STATS_SIZE: (u32, u32) = (800, 560);
pub const JOURNAL_SIZE: (u32, u32) = (800, 320);

fn register_font() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        if plotters::style::register_font("sans-serif", FontStyle::Normal, FONT).is_err() {
            tracing::error!("the embedded chart font could not be loaded");
        }
    });
}

fn encode(buf: Vec<u8>, (w, h): (u32, u32)) -> anyhow::Result<Vec<u8>> {
    let image = image::RgbImage::from_raw(w, h, buf)
        .ok_or_else(|| anyhow::anyhow!("chart buffer has the wrong size"))?;
    let mut out = Vec::new();
    image.write_to(&mut Cursor::new(&mut out), image::ImageFormat::Png)?;
    Ok(out)
}

/// People per week (a week of fewer than k, hidden, is drawn as a grey
/// stub) with the people who came to voice meetings that week as dots (no
/// dot below k), and people per mood in the period (moods of fewer than k
/// left out).
/// Every height is a figure already rounded down to a step of k.
pub fn stats_chart(data: &ChartData) -> anyhow::Result<Vec<u8>> {
    register_font();
    let k = data.k;
    let (w, h) = STATS_SIZE;
    let mut buf = vec![0u8; (w * h * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut buf, (w, h)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| anyhow::anyhow!("{e}"))?;
        let (top, bottom) = root.split_vertically(h / 2);
        let stub = u64::from(k).div_ceil(5).max(1);
        let week_bars: Vec<(usize, u64, RGBColor)> = data
            .weeks
            .iter()
            .enumerate()
            .map(|(i, (_, v))| match v {
                Some(v) => (i, *v, TEAL),
                None => (i, stub, GREY),
            })
            .collect();
        let week_labels: Vec<String> = data.weeks.iter().map(|(l, _)| l.clone()).collect();
        let came: Vec<(usize, u64)> = data
            .came
            .iter()
            .enumerate()
            .filter_map(|(i, v)| v.map(|v| (i, v)))
            .collect();
        let caption = if came.is_empty() {
            format!("People who checked in, per week (grey: fewer than {k})")
        } else {
            format!(
                "People who checked in per week (grey: fewer than {k}); dots: came to a voice meeting, on average"
            )
        };
        bars(&top, &caption, &week_bars, &week_labels, &came)?;
        let names: Vec<String> = ["struggling", "low", "okay", "good", "great"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let mood_bars: Vec<(usize, u64, RGBColor)> = data
            .moods
            .iter()
            .enumerate()
            .filter_map(|(i, v)| v.map(|v| (i, v, MOOD_COLOURS[i])))
            .collect();
        bars(
            &bottom,
            &format!("People per mood (steps of {k}; fewer than {k} left out)"),
            &mood_bars,
            &names,
            &[],
        )?;
        root.present().map_err(|e| anyhow::anyhow!("{e}"))?;
    }
    encode(buf, STATS_SIZE)
}

/// A bar chart on `area`: one bar per (slot, value, colour), slots
/// labelled, and a dot per (slot, value) of `dots` over them.
fn bars<DB: DrawingBackend>(
    area: &DrawingArea<DB, plotters::coord::Shift>,
    caption: &str,
    bars: &[(usize, u64, RGBColor)],
    labels: &[String],
    dots: &[(usize, u64)],
) -> anyhow::Result<()> {
    let slots = labels.len().max(1) as f64;
    let max = bars
        .iter()
        .map(|b| b.1)
        .chain(dots.iter().map(|d| d.1))
        .max()
        .unwrap_or(0)
        .max(1) as f64
        * 1.15;
    let mut chart = ChartBuilder::on(area)
        .caption(caption, ("sans-serif", 18))
        .margin(12)
        .x_label_area_size(28)
        .y_label_area_size(44)
        .build_cartesian_2d(-0.5f64..slots - 0.5, 0f64..max)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(labels.len().clamp(1, 13))
        .x_label_formatter(&|x| {
            let i = x.round();
            if (x - i).abs() < 0.01 && i >= 0.0 {
                labels.get(i as usize).cloned().unwrap_or_default()
            } else {
                String::new()
            }
        })
        .y_label_formatter(&|y| format!("{y:.0}"))
        .label_style(("sans-serif", 12))
        .draw()
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    chart
        .draw_series(bars.iter().map(|(i, v, colour)| {
            let x = *i as f64;
            Rectangle::new([(x - 0.35, 0.0), (x + 0.35, *v as f64)], colour.filled())
        }))
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    chart
        .draw_series(
            dots.iter()
                .map(|(i, v)| Circle::new((*i as f64, *v as f64), 6, NAVY.filled())),
        )
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(())
}

/// A member's own mood over time: one point per check-in, oldest first.
pub fn journal_chart(points: &[(i64, u8)]) -> anyhow::Result<Vec<u8>> {
    register_font();
    let (w, h) = JOURNAL_SIZE;
    let mut buf = vec![0u8; (w * h * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut buf, (w, h)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| anyhow::anyhow!("{e}"))?;
        // Days since the first entry, so the axis stays small.
        let first = points.first().map(|p| p.0).unwrap_or(0);
        let day = |t: i64| (t - first) as f64 / 86_400.0;
        let span = points.last().map(|p| day(p.0)).unwrap_or(0.0).max(1.0);
        let mut chart = ChartBuilder::on(&root)
            .caption("Your mood over time", ("sans-serif", 20))
            .margin(12)
            .x_label_area_size(30)
            .y_label_area_size(90)
            .build_cartesian_2d(-0.05 * span..span * 1.05, 0.5f64..5.5f64)
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        chart
            .configure_mesh()
            .y_labels(5)
            .y_label_formatter(&|v| match v.round() as i64 {
                1 => "struggling".into(),
                2 => "low".into(),
                3 => "okay".into(),
                4 => "good".into(),
                5 => "great".into(),
                _ => String::new(),
            })
            .x_labels(6)
            .x_label_formatter(&|d| {
                chrono::DateTime::from_timestamp(first + (d * 86_400.0) as i64, 0)
                    .map(|t| t.format("%-d %b").to_string())
                    .unwrap_or_default()
            })
            .label_style(("sans-serif", 12))
            .draw()
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        chart
            .draw_series(LineSeries::new(
                points.iter().map(|(t, m)| (day(*t), f64::from(*m))),
                TEAL.stroke_width(2),
            ))
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        chart
            .draw_series(
                points
                    .iter()
                    .map(|(t, m)| Circle::new((day(*t), f64::from(*m)), 4, TEAL.filled())),
            )
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        root.present().map_err(|e| anyhow::anyhow!("{e}"))?;
    }
    encode(buf, JOURNAL_SIZE)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charts_are_pngs_of_the_stated_size() {
        let data = ChartData {
            k: 5,
            weeks: (1..=5)
                .map(|i| (format!("W{i}"), if i == 3 { None } else { Some(i * 5) }))
                .collect(),
            came: vec![Some(5), None, None, Some(10), Some(5)],
            moods: [None, None, Some(5), Some(10), Some(5)],
        };
        let png = stats_chart(&data).unwrap();
        let img = image::load_from_memory(&png).unwrap();
        assert_eq!((img.width(), img.height()), STATS_SIZE);

        let png =
            journal_chart(&[(1_800_000_000, 2), (1_800_086_400, 4), (1_800_172_800, 3)]).unwrap();
        let img = image::load_from_memory(&png).unwrap();
        assert_eq!((img.width(), img.height()), JOURNAL_SIZE);
        // Something was drawn: not every pixel is white.
        assert!(img.to_rgb8().pixels().any(|p| p.0 != [255, 255, 255]));

        assert!(journal_chart(&[]).is_ok(), "an empty journal still draws");
        assert!(
            stats_chart(&ChartData {
                k: 5,
                weeks: vec![],
                came: vec![],
                moods: [None; 5]
            })
            .is_ok()
        );
    }
}
