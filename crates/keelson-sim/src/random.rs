//! The few draws the simulator needs, over ChaCha8 (whose output for a
//! seed is fixed by its specification, so a seed's traffic does not change
//! with a dependency upgrade). Ranges are mapped by multiplication, not by
//! a library's distribution code, for the same reason.

use rand_chacha::ChaCha8Rng;
use rand_chacha::rand_core::RngCore;

/// Draws on a seeded generator.
pub trait Draw {
    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64;

    /// Uniform in [0, n); 0 when n is 0.
    fn below(&mut self, n: usize) -> usize;

    /// Uniform in [low, high).
    fn between(&mut self, low: f64, high: f64) -> f64 {
        low + (high - low) * self.unit()
    }

    /// True with probability `p`.
    fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    /// One element of a non-empty slice.
    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())]
    }
}

impl Draw for ChaCha8Rng {
    fn unit(&mut self) -> f64 {
        // The top 53 bits: every value an f64 in [0, 1) can take evenly.
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            return 0;
        }
        ((self.unit() * n as f64) as usize).min(n - 1)
    }
}
