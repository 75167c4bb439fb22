//! The results table on stdout, the syscall breakdown under it, and the CSV the plot script
//! reads.

use std::fmt::Write as _;
use std::io;
use std::path::Path;

use crate::Imp;
use crate::stats::{Summary, quantile};
use crate::strace::Counts;
use crate::workload::Workload;

/// One implementation's result on one workload.
pub struct Row {
    pub workload: Workload,
    pub imp: Imp,
    pub summary: Option<Summary>,
    pub samples: usize,
    /// Each round's median ns/op (`None`: the batch failed).
    pub round_medians: Vec<Option<f64>>,
    pub syscalls: Option<Counts>,
}

impl Row {
    /// Units per second at `ns` per op.
    fn rate(&self, ns: f64) -> f64 {
        self.workload.units_per_op() * 1e9 / ns
    }

    /// How many times faster than `other`: the median, and the interquartile range, of the
    /// per-round ratios of medians (each round ran both back to back, so a slow spell of the
    /// machine cancels out). Above 1 is faster.
    fn ratio(&self, other: Option<&Row>) -> Option<Ratio> {
        let pairs = self.round_medians.iter().zip(&other?.round_medians);
        let mut ratios: Vec<f64> = pairs.filter_map(|(mine, theirs)| Some((*theirs)? / (*mine)?)).collect();
        ratios.sort_by(f64::total_cmp);
        (!ratios.is_empty()).then(|| Ratio {
            median: quantile(&ratios, 0.5),
            q1: quantile(&ratios, 0.25),
            q3: quantile(&ratios, 0.75),
        })
    }
}

struct Ratio {
    median: f64,
    q1: f64,
    q3: f64,
}

fn find(rows: &[Row], w: Workload, imp: Imp) -> Option<&Row> {
    rows.iter().find(|r| r.workload == w && r.imp == imp)
}

fn rate_text(rate: f64) -> String {
    match rate {
        r if r >= 1e6 => format!("{:.2} M", r / 1e6),
        r if r >= 1e4 => format!("{:.1} k", r / 1e3),
        r => format!("{r:.0}"),
    }
}

fn or_na(v: Option<String>) -> String {
    v.unwrap_or_else(|| "n/a".into())
}

/// The main table: median and p99-tail rate over all samples, ratios to std::net and to C
/// (each with the per-round interquartile range), syscalls per op.
pub fn table(rows: &[Row]) -> String {
    let mut out = String::new();
    let header =
        ["workload [unit]", "impl", "median", "p99 tail", "vs std", "round IQR", "vs C", "round IQR", "syscalls/op"];
    // The first column fits the longest title of any workload, so every run's table lines up.
    let wide = Workload::ALL.iter().map(|w| w.label().len() + w.unit().len() + 3).max().unwrap_or(0).max(52);
    // The implementation column fits the C variants' names (`C[kernel,timer]`) too.
    let named = rows.iter().map(|r| r.imp.name().len()).max().unwrap_or(0).max(14);
    let _ = writeln!(
        out,
        "{:<wide$} {:<named$} {:>10} {:>10} {:>7} {:>11} {:>7} {:>11} {:>11}",
        header[0], header[1], header[2], header[3], header[4], header[5], header[6], header[7], header[8]
    );
    for w in Workload::ALL {
        for row in rows.iter().filter(|r| r.workload == w) {
            let vs_std = row.ratio(find(rows, w, Imp::Std));
            let vs_c = row.ratio(find(rows, w, Imp::C));
            let title = if row.imp == Imp::ALL[0] { format!("{} [{}]", w.label(), w.unit()) } else { String::new() };
            let _ = writeln!(
                out,
                "{:<wide$} {:<named$} {:>10} {:>10} {:>7} {:>11} {:>7} {:>11} {:>11}",
                title,
                row.imp.name(),
                or_na(row.summary.map(|s| rate_text(row.rate(s.median)))),
                or_na(row.summary.map(|s| rate_text(row.rate(s.p99)))),
                or_na(vs_std.as_ref().map(|r| format!("{:.2}x", r.median))),
                or_na(vs_std.as_ref().map(|r| format!("{:.2}-{:.2}", r.q1, r.q3))),
                or_na(vs_c.as_ref().map(|r| format!("{:.2}x", r.median))),
                or_na(vs_c.as_ref().map(|r| format!("{:.2}-{:.2}", r.q1, r.q3))),
                or_na(row.syscalls.as_ref().map(|c| format!("{:.2}", c.total))),
            );
        }
    }
    out
}

/// Every row of each workload against each C variant (`--c-variant`): the median and round
/// IQR of the per-round ratios, as "vs C" has them against the floor.
pub fn against_variants(rows: &[Row]) -> String {
    let mut out = String::new();
    for w in Workload::ALL.into_iter().filter(|w| rows.iter().any(|r| r.workload == *w)) {
        let variants: Vec<&Row> = rows.iter().filter(|r| r.workload == w && r.imp.variant().is_some()).collect();
        let _ = writeln!(out, "{}:", w.label());
        for row in rows.iter().filter(|r| r.workload == w) {
            let cells: Vec<String> = variants
                .iter()
                .map(|v| {
                    let text = row.ratio(Some(v)).map(|r| format!("{:.3}x ({:.3}-{:.3})", r.median, r.q1, r.q3));
                    format!("vs {} {}", v.imp.name(), or_na(text))
                })
                .collect();
            let _ = writeln!(out, "  {:<22} {}", row.imp.name(), cells.join(", "));
        }
    }
    out
}

/// Which syscalls make up each row's count.
pub fn breakdown(rows: &[Row]) -> String {
    let mut out = String::new();
    for w in Workload::ALL.into_iter().filter(|w| rows.iter().any(|r| r.workload == *w)) {
        let _ = writeln!(out, "{}:", w.label());
        for row in rows.iter().filter(|r| r.workload == w) {
            let detail = match &row.syscalls {
                None => "n/a".to_string(),
                Some(c) => {
                    let parts: Vec<String> = c.by_name.iter().map(|(name, n)| format!("{name} {n:.2}")).collect();
                    format!("{:.2} = {}", c.total, parts.join(", "))
                }
            };
            let _ = writeln!(out, "  {:<22} {detail}", row.imp.name());
        }
    }
    out
}

/// A CSV field as RFC 4180 has it: quoted (quotes doubled) when it holds a comma, a quote or a
/// line break, as a label may ("adopted socket, fixed timeout").
fn csv_field(text: &str) -> String {
    match text.contains([',', '"', '\n', '\r']) {
        true => format!("\"{}\"", text.replace('"', "\"\"")),
        false => text.to_string(),
    }
}

/// One line per row, for scripts/plot_benchmarks.py.
pub fn write_csv(rows: &[Row], path: &Path) -> io::Result<()> {
    let mut out = String::from(
        "workload,label,unit,impl,median_rate,p99_rate,vs_std,vs_std_q1,vs_std_q3,vs_c,syscalls_per_op,samples,vs_c_q1,vs_c_q3\n",
    );
    let num = |v: Option<f64>| v.map_or(String::new(), |v| format!("{v:.4}"));
    for row in rows {
        let w = row.workload;
        let vs_std = row.ratio(find(rows, w, Imp::Std));
        let vs_c = row.ratio(find(rows, w, Imp::C));
        let _ = writeln!(
            out,
            "{},{},{},{},{},{},{},{},{},{},{},{},{},{}",
            w.name(),
            csv_field(w.label()),
            csv_field(w.unit()),
            row.imp.name(),
            num(row.summary.map(|s| row.rate(s.median))),
            num(row.summary.map(|s| row.rate(s.p99))),
            num(vs_std.as_ref().map(|r| r.median)),
            num(vs_std.as_ref().map(|r| r.q1)),
            num(vs_std.as_ref().map(|r| r.q3)),
            num(vs_c.as_ref().map(|r| r.median)),
            num(row.syscalls.as_ref().map(|c| c.total)),
            row.samples,
            num(vs_c.as_ref().map(|r| r.q1)),
            num(vs_c.as_ref().map(|r| r.q3)),
        );
    }
    std::fs::write(path, out)
}
