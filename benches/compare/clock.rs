//! Per-op timing shared by every Rust implementation (benches/c/baseline.c has the same
//! rules): one sample of ns/op per `chunk` ops, after `n / 8` untimed warm-up ops (whole
//! chunks).

use std::time::Instant;

use crate::workload::Workload;

pub struct Clock {
    chunk: usize,
    warm: usize,
    count: usize,
    last: Instant,
    samples: Vec<f64>,
}

impl Clock {
    pub fn new(w: Workload, n: usize) -> Clock {
        let chunk = w.chunk();
        Clock {
            chunk,
            warm: n / 8 / chunk * chunk,
            count: 0,
            last: Instant::now(),
            samples: Vec::with_capacity(n / chunk),
        }
    }

    /// One op done.
    pub fn tick(&mut self) {
        self.count += 1;
        if self.count % self.chunk != 0 {
            return;
        }
        let now = Instant::now();
        if self.count > self.warm {
            self.samples.push((now - self.last).as_nanos() as f64 / self.chunk as f64);
        }
        self.last = now;
    }

    /// Starts the current chunk's time now: what ran since the last tick is left out of it.
    pub fn restart(&mut self) {
        self.last = Instant::now();
    }

    pub fn samples(self) -> Vec<f64> {
        self.samples
    }
}
