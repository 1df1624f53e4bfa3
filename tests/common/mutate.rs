//! Deterministic mutations of a text file (bytes flipped, ranges dropped, tokens inserted, the
//! file truncated, lines duplicated or swapped) for the "bad input never panics" tests: a
//! fixed-seed xorshift, so a failure reproduces.

/// A xorshift64 generator.
pub struct Rng(pub u64);

impl Rng {
    /// The next number.
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// A number below `n` (0 when `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next() % (n.max(1) as u64)).unwrap()
    }
}

/// `input` with one to five mutations; `interesting` are the format's tokens worth inserting.
pub fn mutate(rng: &mut Rng, input: &[u8], interesting: &[&[u8]]) -> Vec<u8> {
    let mut out = input.to_vec();
    for _ in 0..=rng.below(4) {
        let at = rng.below(out.len() + 1);
        match rng.below(6) {
            0 if !out.is_empty() => {
                let i = at.min(out.len() - 1);
                out[i] = u8::try_from(rng.below(256)).unwrap();
            }
            1 => {
                let end = (at + rng.below(64)).min(out.len());
                out.drain(at..end);
            }
            2 if !interesting.is_empty() => {
                let token = interesting[rng.below(interesting.len())];
                out.splice(at..at, token.iter().copied());
            }
            3 => out.truncate(at),
            4 => {
                // Duplicate a line.
                let text = String::from_utf8_lossy(&out).into_owned();
                let lines: Vec<&str> = text.lines().collect();
                if !lines.is_empty() {
                    let line = lines[rng.below(lines.len())];
                    let mut new = lines.clone();
                    new.insert(rng.below(lines.len()), line);
                    out = new.join("\n").into_bytes();
                }
            }
            _ => {
                // Swap two lines.
                let text = String::from_utf8_lossy(&out).into_owned();
                let mut lines: Vec<&str> = text.lines().collect();
                if lines.len() > 1 {
                    let a = rng.below(lines.len());
                    let b = rng.below(lines.len());
                    lines.swap(a, b);
                    out = lines.join("\n").into_bytes();
                }
            }
        }
    }
    out
}
