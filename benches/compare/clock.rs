//! Per-op timing shared by every Rust implementation (benches/c/baseline.c has the same
//! rules): one sample of ns/op per `chunk` ops, after `n / 8` untimed warm-up ops (whole
//! chunks).

use std::time::Instant;

use crate::workload::Workload;

pub struct Clock {
    chunk: usize,
    /// Ops left in the current chunk: a tick counts down, so the op pays a decrement and a
    /// branch, never a division (C's `tick` does the same).
    left: usize,
    /// Whole chunks still to leave out (the warm-up).
    warm_chunks: usize,
    last: Instant,
    samples: Vec<f64>,
}

impl Clock {
    pub fn new(w: Workload, n: usize) -> Clock {
        let chunk = w.chunk();
        Clock {
            chunk,
            left: chunk,
            warm_chunks: n / 8 / chunk,
            last: Instant::now(),
            samples: Vec::with_capacity(n / chunk),
        }
    }

    /// One op done: inlined into every op's loop, so that the harness costs every
    /// implementation the same few instructions (the chunk's end is out of line).
    #[inline(always)]
    pub fn tick(&mut self) {
        self.left -= 1;
        if self.left == 0 {
            self.chunk_done();
        }
    }

    #[cold]
    #[inline(never)]
    fn chunk_done(&mut self) {
        self.left = self.chunk;
        let now = Instant::now();
        match self.warm_chunks {
            0 => self.samples.push((now - self.last).as_nanos() as f64 / self.chunk as f64),
            _ => self.warm_chunks -= 1,
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
