//! A fingerprint of the tables' contents, so that an index built with other
//! tables (other skill keys, other occupations) is known and rebuilt.

/// 64-bit FNV-1a, extended over several texts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Fingerprint(u64);

impl Default for Fingerprint {
    fn default() -> Self {
        Self(0xcbf2_9ce4_8422_2325)
    }
}

impl Fingerprint {
    /// Folds `text` in.
    pub(crate) fn add(&mut self, text: &str) {
        for byte in text.bytes() {
            self.0 ^= u64::from(byte);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
        // A separator, so ("ab", "c") and ("a", "bc") differ.
        self.0 ^= 0xff;
        self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
    }

    /// The value.
    pub(crate) fn value(self) -> u64 {
        self.0
    }
}
