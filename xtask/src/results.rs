//! What a run measured: numeric samples by key, in the order taken, and text facts.

use std::collections::BTreeMap;

/// Samples by key (`"send.dh.rps"`: one value per run) and facts by key (`"ver.nginx"`).
#[derive(Debug, Default)]
pub struct Results {
    samples: BTreeMap<String, Vec<f64>>,
    facts: BTreeMap<String, String>,
}

impl Results {
    pub fn put(&mut self, key: &str, value: f64) {
        self.samples.entry(key.to_string()).or_default().push(value);
    }

    pub fn fact(&mut self, key: &str, value: impl Into<String>) {
        self.facts.insert(key.to_string(), value.into());
    }

    /// A fact, or "?" when it was never recorded.
    pub fn get_fact(&self, key: &str) -> &str {
        self.facts.get(key).map_or("?", String::as_str)
    }

    pub fn runs(&self, key: &str) -> &[f64] {
        self.samples.get(key).map_or(&[], Vec::as_slice)
    }

    pub fn has(&self, key: &str) -> bool {
        !self.runs(key).is_empty()
    }

    pub fn median(&self, key: &str) -> Option<f64> {
        median(self.runs(key))
    }

    /// Moves every sample of `other` in after ours.
    pub fn append(&mut self, other: Results) {
        for (k, v) in other.samples {
            self.samples.entry(k).or_default().extend(v);
        }
        self.facts.extend(other.facts);
    }
}

/// The median (the mean of the two middle values for an even count); None for no values.
pub fn median(xs: &[f64]) -> Option<f64> {
    let mut v: Vec<f64> = xs.iter().copied().filter(|x| !x.is_nan()).collect();
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let m = v.len() / 2;
    Some(if v.len() % 2 == 1 {
        v[m]
    } else {
        (v[m - 1] + v[m]) / 2.0
    })
}

/// One run of a side-by-side comparison: its samples are kept or discarded as a whole.
#[derive(Debug, Default)]
pub struct Run {
    pub samples: Results,
    /// The largest share of the CPUs (%) other processes used during one of its sides.
    pub worst_other: f64,
}

impl Run {
    pub fn put(&mut self, key: &str, value: f64) {
        self.samples.put(key, value);
    }

    /// Records the other-process share of one side under `key` and remembers the worst.
    pub fn other(&mut self, key: &str, pct: f64) {
        self.samples.put(key, pct);
        self.worst_other = self.worst_other.max(pct);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn medians() {
        assert_eq!(median(&[]), None);
        assert_eq!(median(&[3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), Some(2.5));
    }
}
