//! `--plot FILE.svg`: server CPU per request and requests/s of every server, per workload.

use std::collections::BTreeMap;
use std::io;
use std::path::Path;

use plotters::prelude::*;

use super::report::{Sample, Spread};
use super::{Case, Server};

/// Width and height of the picture, in SVG pixels.
const SIZE: (u32, u32) = (1100, 900);

/// One panel: a title, the unit of its y axis and the metric it draws.
struct Panel {
    title: &'static str,
    y_desc: &'static str,
    metric: fn(&Sample) -> f64,
}

/// Draws the medians of `samples` to `path` (an SVG file): one panel for server CPU ns per
/// request, one for requests/s; the x axis is the workload (size x connections), one line
/// per server.
pub(super) fn plot(
    path: &Path,
    title: &str,
    cases: &[Case],
    servers: &[Server],
    samples: &BTreeMap<(Case, usize), Vec<Sample>>,
) -> io::Result<()> {
    let root = SVGBackend::new(path, SIZE).into_drawing_area();
    root.fill(&WHITE).map_err(draw_err)?;
    let root = root.titled(title, ("sans-serif", 20)).map_err(draw_err)?;
    let panels = [
        Panel {
            title: "server CPU per request (lower is better)",
            y_desc: "ns/req",
            metric: Sample::cpu_ns_per_req,
        },
        Panel {
            title: "requests per second (higher is better)",
            y_desc: "req/s",
            metric: |s| s.rps,
        },
    ];
    let areas = root.split_evenly((panels.len(), 1));
    for (panel, area) in panels.iter().zip(&areas) {
        // Median of each (server, case) that ran.
        let lines: Vec<(usize, Vec<(f64, f64)>)> = servers
            .iter()
            .enumerate()
            .map(|(si, _)| {
                let points = cases
                    .iter()
                    .enumerate()
                    .filter_map(|(ci, case)| {
                        let runs = samples.get(&(*case, si))?;
                        let m = Spread::of(runs.iter().map(panel.metric).collect()).median;
                        Some((ci as f64, m))
                    })
                    .collect();
                (si, points)
            })
            .filter(|(_, points): &(usize, Vec<(f64, f64)>)| !points.is_empty())
            .collect();
        let y_max = lines
            .iter()
            .flat_map(|(_, p)| p.iter().map(|&(_, y)| y))
            .fold(0.0_f64, f64::max)
            * 1.1;
        let label = |x: &f64| {
            let i = x.round();
            if (x - i).abs() > 0.01 || i < 0.0 {
                return String::new();
            }
            cases
                .get(i as usize)
                .map(|c| format!("{} B x {}", c.size, c.conns))
                .unwrap_or_default()
        };
        let mut chart = ChartBuilder::on(area)
            .caption(panel.title, ("sans-serif", 16))
            .margin(12)
            .x_label_area_size(30)
            .y_label_area_size(70)
            .build_cartesian_2d(-0.3..(cases.len() as f64 - 0.7), 0.0..y_max.max(1.0))
            .map_err(draw_err)?;
        chart
            .configure_mesh()
            .x_labels(cases.len() * 4 + 1)
            .x_label_formatter(&label)
            .y_desc(panel.y_desc)
            .draw()
            .map_err(draw_err)?;
        for (si, points) in lines {
            let color = Palette99::pick(si).to_rgba();
            chart
                .draw_series(LineSeries::new(points.clone(), color.stroke_width(2)))
                .map_err(draw_err)?
                .label(servers[si].name)
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 18, y)], color.stroke_width(2))
                });
            chart
                .draw_series(
                    points
                        .into_iter()
                        .map(|p| Circle::new(p, 3, color.filled())),
                )
                .map_err(draw_err)?;
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperRight)
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .draw()
            .map_err(draw_err)?;
    }
    root.present().map_err(draw_err)?;
    Ok(())
}

fn draw_err(e: impl std::fmt::Display) -> io::Error {
    io::Error::other(format!("plot: {e}"))
}
