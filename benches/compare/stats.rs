//! Median and 99th percentile of ns/op samples, and quantiles in general.

/// The `q`-quantile (0..=1) of `sorted`, by nearest rank.
pub fn quantile(sorted: &[f64], q: f64) -> f64 {
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

/// ns/op at the median and at the 99th percentile (the slow tail).
#[derive(Clone, Copy, Debug)]
pub struct Summary {
    pub median: f64,
    pub p99: f64,
}

pub fn summarize(mut samples: Vec<f64>) -> Option<Summary> {
    if samples.is_empty() {
        return None;
    }
    samples.sort_by(f64::total_cmp);
    Some(Summary { median: quantile(&samples, 0.5), p99: quantile(&samples, 0.99) })
}
