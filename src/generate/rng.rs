//! The generator's own random numbers: SplitMix64 (Steele, Lea and Flood, "Fast splittable
//! pseudorandom number generators", OOPSLA 2014), one independent stream per purpose and account.
//! No global state: every stream is derived from the run's seed and a name, so adding a stream
//! for one thing never shifts the numbers of another.

/// One SplitMix64 stream.
#[derive(Debug, Clone)]
pub struct Rng(u64);

/// FNV-1a of a stream name, so stream ids do not depend on the process.
fn fnv1a(s: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in s.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

impl Rng {
    /// The stream `name`/`index` of the run seeded with `seed`.
    pub fn new(seed: u64, name: &str, index: u64) -> Rng {
        Rng(mix(mix(seed ^ 0x5851_f42d_4c95_7f2d)
            ^ fnv1a(name)
            ^ mix(index.wrapping_add(1))))
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        mix(self.0)
    }

    /// Uniform in [0, 1).
    pub fn f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Uniform in [lo, hi); `lo` when the range is empty.
    pub fn range(&mut self, lo: i64, hi: i64) -> i64 {
        if hi <= lo {
            return lo;
        }
        lo + (self.next_u64() % (hi - lo) as u64) as i64
    }

    /// Uniform in [lo, hi], both included.
    pub fn int(&mut self, lo: i64, hi: i64) -> i64 {
        self.range(lo, hi + 1)
    }

    pub fn uniform(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.f64()
    }

    pub fn chance(&mut self, p: f64) -> bool {
        self.f64() < p
    }

    /// Log-uniform integer in [lo, hi].
    pub fn loguniform(&mut self, lo: f64, hi: f64) -> i64 {
        let x = self.uniform(lo.ln(), hi.ln()).exp();
        (x.round() as i64).clamp(lo as i64, hi as i64)
    }

    pub fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.range(0, xs.len() as i64) as usize]
    }

    /// Fisher-Yates shuffle.
    pub fn shuffle<T>(&mut self, xs: &mut [T]) {
        for i in (1..xs.len()).rev() {
            let j = self.range(0, i as i64 + 1) as usize;
            xs.swap(i, j);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_are_reproducible_and_distinct() {
        let a: Vec<u64> = (0..4).map(|_| Rng::new(1, "x", 0).next_u64()).collect();
        assert!(a.iter().all(|&v| v == a[0]));
        assert_ne!(
            Rng::new(1, "x", 0).next_u64(),
            Rng::new(1, "x", 1).next_u64()
        );
        assert_ne!(
            Rng::new(1, "x", 0).next_u64(),
            Rng::new(2, "x", 0).next_u64()
        );
        assert_ne!(
            Rng::new(1, "x", 0).next_u64(),
            Rng::new(1, "y", 0).next_u64()
        );
    }

    #[test]
    fn ranges_stay_inside() {
        let mut r = Rng::new(9, "t", 0);
        for _ in 0..10_000 {
            let v = r.range(-3, 5);
            assert!((-3..5).contains(&v));
            let l = r.loguniform(100_000.0, 1_000_000.0);
            assert!((100_000..=1_000_000).contains(&l));
            let f = r.f64();
            assert!((0.0..1.0).contains(&f));
        }
        assert_eq!(r.range(4, 4), 4);
    }
}
