//! Hash maps keyed by small integers the process chooses (descriptor numbers, slot keys): one
//! multiply per hash instead of SipHash, which cost the emulated ring a third of its
//! instructions per request. No input from outside picks these keys, so there is no
//! collision attack to defend against.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};

/// `2^64 / φ`, odd: multiplying by it spreads consecutive keys over the high bits (which pick
/// the probe tag) while staying a bijection on the low bits (which pick the bucket).
const K: u64 = 0x9E37_79B9_7F4A_7C15;

/// The hasher of [`IntMap`] and [`IntSet`].
#[derive(Debug, Default, Clone, Copy)]
pub(super) struct IntHasher(u64);

impl Hasher for IntHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(u64::from(b));
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(K);
    }

    fn write_u32(&mut self, n: u32) {
        self.write_u64(u64::from(n));
    }

    fn write_i32(&mut self, n: i32) {
        self.write_u64(u64::from(n as u32));
    }
}

/// A `HashMap` with [`IntHasher`].
pub(super) type IntMap<K, V> = HashMap<K, V, BuildHasherDefault<IntHasher>>;
/// A `HashSet` with [`IntHasher`].
pub(super) type IntSet<K> = HashSet<K, BuildHasherDefault<IntHasher>>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_keep_every_key_apart() {
        let mut m: IntMap<u64, u64> = IntMap::default();
        let keys: Vec<u64> = (0..5000).chain([u64::MAX, u64::MAX - 1, 1 << 40]).collect();
        for &k in &keys {
            assert!(m.insert(k, k.wrapping_mul(3)).is_none());
        }
        for &k in &keys {
            assert_eq!(m.remove(&k), Some(k.wrapping_mul(3)));
        }
        assert!(m.is_empty());
        let mut s: IntSet<i32> = IntSet::default();
        assert!(s.insert(-1) && s.insert(0) && s.insert(7) && !s.insert(7));
        assert_eq!(s.len(), 3);
    }
}
