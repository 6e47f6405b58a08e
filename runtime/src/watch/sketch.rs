//! Bounded heavy-hitter counting: Space-Saving (Metwally, Agrawal, El Abbadi, 2005) with a
//! fixed number of counters, and a small distinct-count bitmap.
//!
//! A key is identified by a keyed 64-bit hash of its bytes (the seed is random per process,
//! so an attacker cannot aim collisions): an alert names the key from the record that raised
//! it, so counters hold no text. When every counter is taken, a new key replaces the smallest one and inherits
//! its count as `error`: `count - error` is a guaranteed lower bound of the key's true count,
//! which is what the rules compare with their thresholds, so the flood of one-off keys that
//! evicts counters never raises a false alert. Any key whose true count exceeds
//! `total / capacity` is guaranteed to hold a counter.

use std::collections::HashMap;
use std::hash::{BuildHasher, BuildHasherDefault, Hasher};
use std::time::Instant;

/// Hashes an already-hashed `u64` key: the identity.
#[derive(Default)]
pub(crate) struct U64Identity(u64);

impl Hasher for U64Identity {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

/// One counter.
#[derive(Clone)]
pub(crate) struct Slot<V> {
    pub(crate) hash: u64,
    /// Counted occurrences (an over-estimate by at most `error`).
    pub(crate) count: u64,
    pub(crate) error: u64,
    /// When the key took this counter.
    pub(crate) first_seen: Instant,
    /// When an alert last fired for it.
    pub(crate) alerted: Option<Instant>,
    /// Per-key state of the rule (e.g. a distinct-user bitmap).
    pub(crate) extra: V,
    heap_pos: u32,
}

impl<V> Slot<V> {
    /// A lower bound of the key's true count since it took the counter.
    pub(crate) fn guaranteed(&self) -> u64 {
        self.count - self.error
    }
}

/// Space-Saving over at most `capacity` keys. Memory is fixed at construction.
pub(crate) struct SpaceSaving<V> {
    capacity: usize,
    slots: Vec<Slot<V>>,
    /// Indices into `slots`, ordered as a binary min-heap by count.
    heap: Vec<u32>,
    index: HashMap<u64, u32, BuildHasherDefault<U64Identity>>,
    /// The index's allocation, fixed at construction: it never holds more than half of what
    /// it was sized for, so it is rehashed in place, never grown (its `capacity()` then
    /// reports room left, not bytes held).
    index_bytes: usize,
}

impl<V: Default + Clone> SpaceSaving<V> {
    pub(crate) fn new(capacity: usize) -> Self {
        let capacity = capacity.clamp(1, u32::MAX as usize / 2);
        let mut index = HashMap::default();
        // Twice the keys: replacing keys leaves tombstones, and a table at most half full
        // is rehashed in place rather than grown.
        index.reserve(2 * capacity);
        let index_bytes = hash_map_bytes(index.capacity(), size_of::<(u64, u32)>());
        SpaceSaving {
            index_bytes,
            capacity,
            slots: Vec::with_capacity(capacity),
            heap: Vec::with_capacity(capacity),
            index,
        }
    }

    /// The keyed hash of a key.
    pub(crate) fn hash(seed: &foldhash::quality::RandomState, key: &[u8]) -> u64 {
        seed.hash_one(key)
    }

    /// Forgets every key, keeping the memory.
    pub(crate) fn clear(&mut self) {
        self.slots.clear();
        self.heap.clear();
        self.index.clear();
    }

    pub(crate) fn get(&self, hash: u64) -> Option<&Slot<V>> {
        self.index.get(&hash).map(|&i| &self.slots[i as usize])
    }

    pub(crate) fn get_mut(&mut self, hash: u64) -> Option<&mut Slot<V>> {
        self.index.get(&hash).map(|&i| &mut self.slots[i as usize])
    }

    /// Counts `weight` occurrences of `key` and returns its counter.
    pub(crate) fn add(&mut self, hash: u64, weight: u64, now: Instant) -> &mut Slot<V> {
        let i = match self.index.get(&hash) {
            Some(&i) => i as usize,
            None if self.slots.len() < self.capacity => {
                let i = self.slots.len();
                let pos = self.heap.len();
                self.slots
                    .push(new_slot(hash, 0, now, V::default(), pos as u32));
                self.heap.push(i as u32);
                self.index.insert(hash, i as u32);
                i
            }
            None => {
                // Replace the smallest counter; the newcomer inherits its count as error.
                let i = self.heap[0] as usize;
                let old = self.slots[i].hash;
                self.index.remove(&old);
                let min = self.slots[i].count;
                self.slots[i] = new_slot(hash, min, now, V::default(), 0);
                self.slots[i].count = min;
                self.index.insert(hash, i as u32);
                i
            }
        };
        self.slots[i].count = self.slots[i].count.saturating_add(weight);
        let pos = self.slots[i].heap_pos as usize;
        self.sift_down(pos);
        &mut self.slots[i]
    }

    fn sift_down(&mut self, mut pos: usize) {
        let n = self.heap.len();
        loop {
            let l = 2 * pos + 1;
            if l >= n {
                break;
            }
            let r = l + 1;
            let count = |h: &Vec<u32>, p: usize| self.slots[h[p] as usize].count;
            let c = if r < n && count(&self.heap, r) < count(&self.heap, l) {
                r
            } else {
                l
            };
            if count(&self.heap, c) >= count(&self.heap, pos) {
                break;
            }
            self.heap.swap(pos, c);
            let (a, b) = (self.heap[pos] as usize, self.heap[c] as usize);
            self.slots[a].heap_pos = pos as u32;
            self.slots[b].heap_pos = c as u32;
            pos = c;
        }
    }

    /// Bytes this structure holds, from its capacities (constant after construction).
    pub(crate) fn memory_bytes(&self) -> usize {
        self.slots.capacity() * size_of::<Slot<V>>()
            + self.heap.capacity() * size_of::<u32>()
            + self.index_bytes
    }
}

fn new_slot<V>(hash: u64, error: u64, now: Instant, extra: V, heap_pos: u32) -> Slot<V> {
    Slot {
        hash,
        count: error,
        error,
        first_seen: now,
        alerted: None,
        extra,
        heap_pos,
    }
}

/// The bytes of a `std` hash map (hashbrown) able to hold `capacity` entries of `entry` bytes:
/// a power-of-two number of buckets at 7/8 load, one control byte per bucket plus a group.
pub(crate) fn hash_map_bytes(capacity: usize, entry: usize) -> usize {
    if capacity == 0 {
        return 0;
    }
    let buckets = if capacity < 8 {
        if capacity < 4 { 4 } else { 8 }
    } else {
        (capacity * 8 / 7).next_power_of_two()
    };
    buckets * (entry + 1) + 16
}

/// A distinct count of up to a few thousand items in 64 bytes: linear counting over a
/// 512-bit bitmap (Whang, Vander-Zanden, Taylor, 1990); about 5 % error at 200 items.
#[derive(Clone, Copy, Default, Debug)]
pub(crate) struct Distinct([u64; 8]);

impl Distinct {
    const BITS: f64 = 512.0;

    pub(crate) fn insert(&mut self, hash: u64) {
        // The bits the Space-Saving index does not use for its own placement.
        let bit = (hash >> 32) as usize % 512;
        self.0[bit / 64] |= 1 << (bit % 64);
    }

    pub(crate) fn estimate(&self) -> u64 {
        let set: u32 = self.0.iter().map(|w| w.count_ones()).sum();
        let zeros = Self::BITS - f64::from(set);
        if zeros < 1.0 {
            // Saturated: report the most the bitmap can tell.
            return (Self::BITS * Self::BITS.ln()) as u64;
        }
        (-Self::BITS * (zeros / Self::BITS).ln()).round() as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_heavy_hitter_survives_a_flood_of_one_off_keys() {
        let seed = foldhash::quality::RandomState::default();
        let mut s: SpaceSaving<()> = SpaceSaving::new(256);
        let now = Instant::now();
        let before = s.memory_bytes();
        let victim = SpaceSaving::<()>::hash(&seed, b"victim");
        for i in 0..100_000u32 {
            let k = format!("user{i}");
            s.add(SpaceSaving::<()>::hash(&seed, k.as_bytes()), 1, now);
            if i % 100 == 0 {
                s.add(victim, 1, now);
            }
        }
        assert_eq!(s.memory_bytes(), before);
        let v = s.get(victim).unwrap();
        assert!(
            v.count >= 1000 && v.guaranteed() >= 900,
            "{} {}",
            v.count,
            v.error
        );
        // No one-off key is guaranteed more than once.
        let max_other = s
            .slots
            .iter()
            .filter(|s| s.hash != victim)
            .map(Slot::guaranteed)
            .max()
            .unwrap();
        assert!(max_other <= 1);
    }

    #[test]
    fn distinct_counts_within_ten_percent() {
        let seed = foldhash::quality::RandomState::default();
        for n in [1u64, 10, 50, 100, 200] {
            let mut d = Distinct::default();
            for i in 0..n {
                d.insert(seed.hash_one(i));
                d.insert(seed.hash_one(i)); // repeats do not count
            }
            let e = d.estimate();
            assert!(
                e.abs_diff(n) * 100 <= 15 * n.max(10),
                "{n} estimated as {e}"
            );
        }
    }
}
