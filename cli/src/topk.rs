//! Counting by a key from the records (an IP, a user name, a caller) in bounded memory.
//!
//! A hostile log can hold a million distinct IPs; the map keeps at most [`CAP`] keys with the
//! space-saving scheme (Metwally et al.), pruned in batches so each record costs O(1): when the
//! map is full, the half with the lowest counts is dropped and the highest dropped count
//! becomes the floor. A key seen later starts at floor + 1 with an error bound of the floor, so
//! a reported count is never below the truth and overstates it by at most `error`. Keys that
//! keep recurring climb above the floor and stay; one-off keys come and go. While the map
//! never fills, every count is exact (`error` 0).

use std::collections::HashMap;
use std::hash::{BuildHasher, BuildHasherDefault, Hasher};

use foldhash::fast::RandomState;

/// The most keys one map holds.
pub const CAP: usize = 10_000;

/// A count and the units summed with it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// How many times the key was seen (an upper bound once the map has been pruned).
    pub count: u64,
    /// By how much `count` may overstate the truth.
    pub error: u64,
    /// A second sum carried with the count (usage units).
    pub units: u64,
}

/// Counts per key, at most `cap` keys.
///
/// Keys are found by their 64-bit hash under a per-process random seed (the string is stored
/// once, for the output): a lookup hashes the key and compares one integer. Two distinct keys
/// would share a count only on a hash collision, about 1 in 10^11 for a full map.
#[derive(Debug)]
pub struct TopK {
    map: HashMap<u64, (Box<str>, Counts), BuildHasherDefault<Prehashed>>,
    hasher: RandomState,
    cap: usize,
    floor: u64,
}

/// The hasher of a map whose keys are already hashes.
#[derive(Debug, Default)]
pub struct Prehashed(u64);

impl Hasher for Prehashed {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        // Only `u64` keys are hashed with it; this keeps it a valid hasher all the same.
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

impl Default for TopK {
    fn default() -> Self {
        Self::with_cap(CAP)
    }
}

impl TopK {
    /// A map that keeps at most `cap` keys (at least 2).
    pub fn with_cap(cap: usize) -> Self {
        TopK {
            map: HashMap::default(),
            hasher: RandomState::default(),
            cap: cap.max(2),
            floor: 0,
        }
    }

    /// Counts `key` once, with `units`. Allocates only for a key not yet in the map.
    #[inline]
    pub fn add(&mut self, key: &str, count: u64, units: u64) {
        let h = self.hasher.hash_one(key);
        if let Some((_, c)) = self.map.get_mut(&h) {
            c.count = c.count.saturating_add(count);
            c.units = c.units.saturating_add(units);
            return;
        }
        if self.map.len() >= self.cap {
            self.prune();
        }
        self.map.insert(
            h,
            (
                key.into(),
                Counts {
                    count: self.floor.saturating_add(count),
                    error: self.floor,
                    units,
                },
            ),
        );
    }

    /// Drops the half of the keys with the lowest counts.
    fn prune(&mut self) {
        let mut counts: Vec<u64> = self.map.values().map(|(_, c)| c.count).collect();
        let keep = self.cap / 2;
        let (_, &mut threshold, _) = counts.select_nth_unstable_by(keep, |a, b| b.cmp(a));
        // Ties at the threshold go too: the map may keep fewer than half, never more.
        self.map.retain(|_, (_, c)| c.count > threshold);
        self.floor = self.floor.max(threshold);
    }

    /// Whether counts may be overstated (the map was pruned at least once).
    pub fn approximate(&self) -> bool {
        self.floor > 0
    }

    /// How many keys the map holds now.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// Whether nothing was counted.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// The `n` keys with the highest counts, highest first (ties by key).
    pub fn top(&self, n: usize) -> Vec<(&str, Counts)> {
        let mut all: Vec<(&str, Counts)> = self.map.values().map(|(k, c)| (&**k, *c)).collect();
        let by =
            |a: &(&str, Counts), b: &(&str, Counts)| b.1.count.cmp(&a.1.count).then(a.0.cmp(b.0));
        if all.len() > n && n > 0 {
            all.select_nth_unstable_by(n - 1, by);
            all.truncate(n);
        }
        all.sort_unstable_by(by);
        all.truncate(n);
        all
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_while_it_fits() {
        let mut t = TopK::with_cap(8);
        for (k, n) in [("a", 5), ("b", 3), ("c", 9)] {
            for _ in 0..n {
                t.add(k, 1, 2);
            }
        }
        let top = t.top(2);
        assert_eq!(
            top[0],
            (
                "c",
                Counts {
                    count: 9,
                    error: 0,
                    units: 18
                }
            )
        );
        assert_eq!(top[1].0, "a");
        assert!(!t.approximate());
    }

    #[test]
    fn a_heavy_key_survives_a_flood_of_distinct_ones_in_bounded_memory() {
        let mut t = TopK::with_cap(1000);
        for i in 0..1_000_000u32 {
            t.add(
                &format!("10.{}.{}.{}", i >> 16, (i >> 8) & 255, i & 255),
                1,
                0,
            );
            if i % 100 == 0 {
                t.add("203.0.113.7", 1, 0);
            }
            assert!(t.len() <= 1000);
        }
        let top = t.top(1);
        assert_eq!(top[0].0, "203.0.113.7");
        let c = top[0].1;
        assert!(c.count >= 10_000 && c.count - c.error <= 10_000, "{c:?}");
        assert!(t.approximate());
    }
}
