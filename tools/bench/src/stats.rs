//! Percentiles of timing samples (nearest rank, no interpolation: every reported value
//! was actually observed).

use serde::Serialize;
use std::time::Duration;

/// Percentiles of one series, in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Summary {
    pub p50: f64,
    pub p90: f64,
    pub p99: f64,
    pub n: usize,
}

impl Summary {
    /// None for an empty series.
    pub fn of(samples: &[Duration]) -> Option<Summary> {
        if samples.is_empty() {
            return None;
        }
        let mut ms: Vec<f64> = samples.iter().map(|d| d.as_secs_f64() * 1000.0).collect();
        ms.sort_by(f64::total_cmp);
        let rank = |p: f64| {
            let i = ((p / 100.0) * ms.len() as f64).ceil() as usize;
            ms[i.clamp(1, ms.len()) - 1]
        };
        Some(Summary {
            p50: rank(50.0),
            p90: rank(90.0),
            p99: rank(99.0),
            n: ms.len(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let samples: Vec<Duration> = (1..=200).map(Duration::from_millis).collect();
        let s = Summary::of(&samples).unwrap();
        assert_eq!((s.p50, s.p90, s.p99, s.n), (100.0, 180.0, 198.0, 200));
        let one = Summary::of(&[Duration::from_micros(1500)]).unwrap();
        assert_eq!((one.p50, one.p99), (1.5, 1.5));
        assert_eq!(Summary::of(&[]), None);
    }
}
