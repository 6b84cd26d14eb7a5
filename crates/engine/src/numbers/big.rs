//! A small unsigned big integer, just enough for exact conversions between
//! decimal text and binary floating point (see [`super::long_double`]).
//!
//! Correctly rounded parsing and printing need the exact value of numbers
//! with thousands of digits (`1e4000`, a 5000-digit argument); everything
//! here is schoolbook arithmetic on 32-bit limbs, which is plenty for inputs
//! Redis caps at 5 KiB.

use std::cmp::Ordering;

/// Little-endian 32-bit limbs with no trailing zero limb (zero is empty).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Big {
    limbs: Vec<u32>,
}

impl Big {
    pub fn zero() -> Big {
        Big::default()
    }

    pub fn from_u128(mut v: u128) -> Big {
        let mut limbs = Vec::new();
        while v != 0 {
            limbs.push(v as u32);
            v >>= 32;
        }
        Big { limbs }
    }

    /// 10^k.
    pub fn pow10(k: u64) -> Big {
        let mut b = Big::from_u128(1);
        let mut left = k;
        while left >= 9 {
            b.mul_small(1_000_000_000);
            left -= 9;
        }
        if left > 0 {
            b.mul_small(10u32.pow(left as u32));
        }
        b
    }

    pub fn is_zero(&self) -> bool {
        self.limbs.is_empty()
    }

    fn trim(&mut self) {
        while self.limbs.last() == Some(&0) {
            self.limbs.pop();
        }
    }

    pub fn mul_small(&mut self, m: u32) {
        let mut carry: u64 = 0;
        for limb in &mut self.limbs {
            let v = u64::from(*limb) * u64::from(m) + carry;
            *limb = v as u32;
            carry = v >> 32;
        }
        if carry != 0 {
            self.limbs.push(carry as u32);
        }
        self.trim();
    }

    pub fn add_small(&mut self, a: u32) {
        let mut carry = u64::from(a);
        for limb in &mut self.limbs {
            if carry == 0 {
                return;
            }
            let v = u64::from(*limb) + carry;
            *limb = v as u32;
            carry = v >> 32;
        }
        if carry != 0 {
            self.limbs.push(carry as u32);
        }
    }

    pub fn mul(&self, other: &Big) -> Big {
        if self.is_zero() || other.is_zero() {
            return Big::zero();
        }
        let mut out = vec![0u32; self.limbs.len() + other.limbs.len()];
        for (i, &a) in self.limbs.iter().enumerate() {
            let mut carry: u64 = 0;
            for (j, &b) in other.limbs.iter().enumerate() {
                let v = u64::from(a) * u64::from(b) + u64::from(out[i + j]) + carry;
                out[i + j] = v as u32;
                carry = v >> 32;
            }
            out[i + other.limbs.len()] = carry as u32;
        }
        let mut b = Big { limbs: out };
        b.trim();
        b
    }

    pub fn add(&self, other: &Big) -> Big {
        let n = self.limbs.len().max(other.limbs.len());
        let mut out = Vec::with_capacity(n + 1);
        let mut carry: u64 = 0;
        for i in 0..n {
            let a = u64::from(self.limbs.get(i).copied().unwrap_or(0));
            let b = u64::from(other.limbs.get(i).copied().unwrap_or(0));
            let v = a + b + carry;
            out.push(v as u32);
            carry = v >> 32;
        }
        if carry != 0 {
            out.push(carry as u32);
        }
        Big { limbs: out }
    }

    /// `self - other`; the caller guarantees `self >= other`.
    pub fn sub(&self, other: &Big) -> Big {
        let mut out = Vec::with_capacity(self.limbs.len());
        let mut borrow: i64 = 0;
        for i in 0..self.limbs.len() {
            let a = i64::from(self.limbs[i]);
            let b = i64::from(other.limbs.get(i).copied().unwrap_or(0));
            let mut v = a - b - borrow;
            borrow = 0;
            if v < 0 {
                v += 1 << 32;
                borrow = 1;
            }
            out.push(v as u32);
        }
        let mut b = Big { limbs: out };
        b.trim();
        b
    }

    pub fn bit_len(&self) -> u64 {
        match self.limbs.last() {
            None => 0,
            Some(&top) => (self.limbs.len() as u64 - 1) * 32 + u64::from(32 - top.leading_zeros()),
        }
    }

    pub fn bit(&self, i: u64) -> bool {
        let limb = (i / 32) as usize;
        self.limbs
            .get(limb)
            .is_some_and(|l| (l >> (i % 32)) & 1 == 1)
    }

    /// Whether any of the bits below position `n` is set.
    pub fn any_bits_below(&self, n: u64) -> bool {
        let full = (n / 32) as usize;
        if self.limbs.iter().take(full).any(|&l| l != 0) {
            return true;
        }
        let rem = n % 32;
        rem > 0
            && self
                .limbs
                .get(full)
                .is_some_and(|&l| l & ((1u32 << rem) - 1) != 0)
    }

    pub fn shl(&self, n: u64) -> Big {
        if self.is_zero() {
            return Big::zero();
        }
        let limbs = (n / 32) as usize;
        let bits = (n % 32) as u32;
        let mut out = vec![0u32; limbs];
        if bits == 0 {
            out.extend_from_slice(&self.limbs);
        } else {
            let mut carry = 0u32;
            for &l in &self.limbs {
                out.push((l << bits) | carry);
                carry = l >> (32 - bits);
            }
            out.push(carry);
        }
        let mut b = Big { limbs: out };
        b.trim();
        b
    }

    pub fn shr(&self, n: u64) -> Big {
        let limbs = (n / 32) as usize;
        if limbs >= self.limbs.len() {
            return Big::zero();
        }
        let bits = (n % 32) as u32;
        let src = &self.limbs[limbs..];
        let mut out = Vec::with_capacity(src.len());
        for i in 0..src.len() {
            let lo = src[i] >> bits;
            let hi = if bits == 0 {
                0
            } else {
                src.get(i + 1).map_or(0, |&h| h << (32 - bits))
            };
            out.push(lo | hi);
        }
        let mut b = Big { limbs: out };
        b.trim();
        b
    }

    /// The low 128 bits.
    pub fn low_u128(&self) -> u128 {
        self.limbs
            .iter()
            .take(4)
            .enumerate()
            .fold(0u128, |acc, (i, &l)| acc | (u128::from(l) << (32 * i)))
    }

    /// Divides in place by `d`, returning the remainder.
    pub fn divmod_small(&mut self, d: u32) -> u32 {
        let mut rem: u64 = 0;
        for limb in self.limbs.iter_mut().rev() {
            let cur = (rem << 32) | u64::from(*limb);
            *limb = (cur / u64::from(d)) as u32;
            rem = cur % u64::from(d);
        }
        self.trim();
        rem as u32
    }

    /// Decimal digits, most significant first ("0" for zero).
    pub fn to_decimal(&self) -> String {
        if self.is_zero() {
            return "0".into();
        }
        let mut n = self.clone();
        let mut chunks = Vec::new();
        while !n.is_zero() {
            chunks.push(n.divmod_small(1_000_000_000));
        }
        let mut s = String::with_capacity(chunks.len() * 9);
        if let Some(top) = chunks.pop() {
            s.push_str(&top.to_string());
        }
        for c in chunks.iter().rev() {
            s.push_str(&format!("{c:09}"));
        }
        s
    }
}

impl PartialOrd for Big {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Big {
    fn cmp(&self, other: &Self) -> Ordering {
        self.limbs
            .len()
            .cmp(&other.limbs.len())
            .then_with(|| self.limbs.iter().rev().cmp(other.limbs.iter().rev()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_round_trip() {
        let mut b = Big::pow10(40);
        b.add_small(7);
        assert_eq!(b.to_decimal(), format!("1{}7", "0".repeat(39)));
        assert_eq!(Big::pow10(0).to_decimal(), "1");
    }

    #[test]
    fn shifts_and_bits() {
        let b = Big::from_u128(0b1011).shl(70);
        assert_eq!(b.bit_len(), 74);
        assert!(b.bit(70) && b.bit(71) && !b.bit(72) && b.bit(73));
        assert!(!b.any_bits_below(70));
        assert!(b.any_bits_below(71));
        assert_eq!(b.shr(70).low_u128(), 0b1011);
        assert_eq!(b.shr(71).low_u128(), 0b101);
    }

    #[test]
    fn arithmetic() {
        let a = Big::from_u128(u128::MAX);
        let one = Big::from_u128(1);
        let sum = a.add(&one);
        assert_eq!(sum.bit_len(), 129);
        assert_eq!(sum.sub(&one), a);
        assert_eq!(
            Big::pow10(20).mul(&Big::pow10(25)).to_decimal(),
            Big::pow10(45).to_decimal()
        );
        assert!(Big::pow10(30) > Big::pow10(29));
    }
}
