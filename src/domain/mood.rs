//! The mood scale, shown the same way everywhere.

use std::fmt;

/// A mood from 1 (struggling) to 5 (great).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Mood(u8);

impl Mood {
    pub const ALL: [Mood; 5] = [Mood(1), Mood(2), Mood(3), Mood(4), Mood(5)];

    /// Accepts 1..=5.
    pub fn new(value: i64) -> Option<Self> {
        (1..=5).contains(&value).then_some(Self(value as u8))
    }

    /// Reads a mood as a member might type it: `3`, `okay`, `Low`.
    pub fn parse(text: &str) -> Option<Self> {
        let t = text.trim().to_lowercase();
        if let Ok(n) = t.parse::<i64>() {
            return Self::new(n);
        }
        Self::ALL.into_iter().find(|m| m.word() == t)
    }

    pub fn value(self) -> u8 {
        self.0
    }

    /// Index 0..=4, for histograms.
    pub fn index(self) -> usize {
        usize::from(self.0 - 1)
    }

    pub fn word(self) -> &'static str {
        ["struggling", "low", "okay", "good", "great"][self.index()]
    }

    pub fn emoji(self) -> &'static str {
        ["😣", "😔", "😐", "🙂", "😄"][self.index()]
    }

    /// Struggling or low: the member gets a gentle word and a way to ask for help.
    pub fn is_low(self) -> bool {
        self.0 <= 2
    }
}

impl fmt::Display for Mood {
    /// "😐 3 · okay"
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} · {}", self.emoji(), self.0, self.word())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn words_and_numbers() {
        assert_eq!(Mood::parse("1").unwrap().word(), "struggling");
        assert_eq!(Mood::parse(" Great ").unwrap().value(), 5);
        assert_eq!(Mood::parse("okay").unwrap().to_string(), "😐 3 · okay");
        assert!(Mood::parse("2").unwrap().is_low());
        assert!(!Mood::parse("3").unwrap().is_low());
    }

    proptest! {
        #[test]
        fn only_one_to_five_parse(n in any::<i64>()) {
            prop_assert_eq!(Mood::new(n).is_some(), (1..=5).contains(&n));
            prop_assert_eq!(Mood::parse(&n.to_string()).map(Mood::value).map(i64::from), (1..=5).contains(&n).then_some(n));
        }

        #[test]
        fn any_text_is_safe(s in ".{0,40}") {
            if let Some(m) = Mood::parse(&s) {
                prop_assert!((1..=5).contains(&m.value()));
            }
        }
    }
}
