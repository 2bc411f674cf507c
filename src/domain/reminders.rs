//! Reminder offsets: "1d,1h,10m" means a day, an hour and ten minutes before.

use std::fmt;

use chrono::Duration;

pub const MAX_REMINDERS: usize = 5;
pub const MAX_OFFSET: Duration = Duration::days(14);
pub const DEFAULT: &str = "1h,10m";
/// The default of a meeting that has a location: a post at the start too.
pub const DEFAULT_WITH_LOCATION: &str = "1h,10m,0m";
/// A reminder missed by less than this (downtime) is still sent.
pub const DEFAULT_GRACE: Duration = Duration::minutes(15);

/// A meeting's reminder offsets, largest first, no duplicates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Offsets(Vec<Duration>);

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OffsetsError {
    /// A part that is not a span such as 1d, 2h or 30m.
    Unreadable(String),
    TooMany,
    /// Zero, negative or beyond two weeks.
    OutOfRange(String),
}

impl fmt::Display for OffsetsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Unreadable(p) => write!(f, "cannot read {p:?}"),
            Self::TooMany => write!(f, "more than {MAX_REMINDERS} reminders"),
            Self::OutOfRange(p) => write!(f, "{p:?} is out of range"),
        }
    }
}

impl std::error::Error for OffsetsError {}

impl Offsets {
    /// Reads a comma-separated list; an empty text or `none` means no
    /// reminders. Each part is a span like `1d`, `2h`, `30m` or a
    /// combination (`1h30m`); `0m` is a "starting now" post at the start.
    pub fn parse(text: &str) -> Result<Self, OffsetsError> {
        if matches!(
            text.trim().to_ascii_lowercase().as_str(),
            "none" | "off" | "no"
        ) {
            return Ok(Self(Vec::new()));
        }
        let mut offsets = Vec::new();
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let compact: String = part.split_whitespace().collect();
            let span = humantime::parse_duration(&compact)
                .ok()
                .and_then(|d| Duration::from_std(d).ok())
                .ok_or_else(|| OffsetsError::Unreadable(crate::domain::text::truncate(part, 20)))?;
            let in_range = span.is_zero() || (Duration::minutes(1)..=MAX_OFFSET).contains(&span);
            if !in_range {
                return Err(OffsetsError::OutOfRange(crate::domain::text::truncate(
                    part, 20,
                )));
            }
            offsets.push(Duration::minutes(span.num_minutes()));
        }
        offsets.sort_by(|a, b| b.cmp(a));
        offsets.dedup();
        if offsets.len() > MAX_REMINDERS {
            return Err(OffsetsError::TooMany);
        }
        Ok(Self(offsets))
    }

    pub fn default_offsets() -> Self {
        Self::parse(DEFAULT).unwrap_or(Self(Vec::new()))
    }

    /// The default for a meeting with a place to join: the usual reminders
    /// and a "starting now" post with the link.
    pub fn default_with_location() -> Self {
        Self::parse(DEFAULT_WITH_LOCATION).unwrap_or_else(|_| Self::default_offsets())
    }

    /// Whether a "starting now" post (`0m`) is among them.
    pub fn starts_now(&self) -> bool {
        self.0.last().is_some_and(|d| d.is_zero())
    }

    pub fn as_slice(&self) -> &[Duration] {
        &self.0
    }

    pub fn from_minutes(minutes: impl IntoIterator<Item = i64>) -> Self {
        let mut v: Vec<Duration> = minutes
            .into_iter()
            .filter(|m| *m >= 0)
            .map(Duration::minutes)
            .collect();
        v.sort_by(|a, b| b.cmp(a));
        v.dedup();
        Self(v)
    }

    /// The canonical text form, such as "1d,1h,10m" ("" for none).
    pub fn to_text(&self) -> String {
        self.0
            .iter()
            .map(|d| span_text(*d))
            .collect::<Vec<_>>()
            .join(",")
    }
}

/// "1d2h", "45m".
pub fn span_text(d: Duration) -> String {
    let mut m = d.num_minutes();
    let mut out = String::new();
    for (unit, size) in [("d", 1440), ("h", 60), ("m", 1)] {
        if m >= size {
            out.push_str(&format!("{}{unit}", m / size));
            m %= size;
        }
    }
    if out.is_empty() { "0m".into() } else { out }
}

/// One reminder in words: "1 hour before", or for `0m` "a post at the start".
pub fn reminder_words(d: Duration) -> String {
    if d.is_zero() {
        "a post at the start".to_owned()
    } else {
        format!("{} before", span_words(d))
    }
}

impl Offsets {
    /// "1 hour before, 10 minutes before and a post at the start".
    pub fn describe(&self) -> String {
        let words: Vec<String> = self.0.iter().map(|d| reminder_words(*d)).collect();
        match words.split_last() {
            Some((last, [])) => last.clone(),
            Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
            None => "no reminders".to_owned(),
        }
    }
}

/// "1 day", "2 hours", "10 minutes", "1 hour 30 minutes".
pub fn span_words(d: Duration) -> String {
    let mut m = d.num_minutes();
    let mut parts = Vec::new();
    for (unit, size) in [("day", 1440), ("hour", 60), ("minute", 1)] {
        if m >= size {
            let n = m / size;
            parts.push(format!("{n} {unit}{}", if n == 1 { "" } else { "s" }));
            m %= size;
        }
    }
    parts.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_lists_and_combinations() {
        let o = Offsets::parse("10m, 1d,1h").unwrap();
        assert_eq!(
            o.as_slice(),
            [Duration::days(1), Duration::hours(1), Duration::minutes(10)]
        );
        assert_eq!(o.to_text(), "1d,1h,10m");
        assert_eq!(Offsets::parse("1h30m").unwrap().to_text(), "1h30m");
        assert_eq!(
            Offsets::parse("1h, 60m").unwrap().as_slice().len(),
            1,
            "duplicates collapse"
        );
        assert!(Offsets::parse("").unwrap().as_slice().is_empty());
        assert!(Offsets::parse("none").unwrap().as_slice().is_empty());
        assert!(Offsets::parse(" None ").unwrap().as_slice().is_empty());
        assert_eq!(Offsets::default_offsets().to_text(), "1h,10m");
        // 0m: a post at the start, last in the list.
        let o = Offsets::parse("0m,1h").unwrap();
        assert_eq!(o.to_text(), "1h,0m");
        assert!(o.starts_now() && !Offsets::default_offsets().starts_now());
        assert!(Offsets::default_with_location().starts_now());
        assert_eq!(Offsets::from_minutes([0, 10]).to_text(), "10m,0m");
        assert_eq!(
            Offsets::parse("1h,10m,0m").unwrap().describe(),
            "1 hour before, 10 minutes before and a post at the start"
        );
        assert_eq!(Offsets::parse("none").unwrap().describe(), "no reminders");
    }

    #[test]
    fn refuses_what_makes_no_sense() {
        assert!(matches!(
            Offsets::parse("soon"),
            Err(OffsetsError::Unreadable(_))
        ));
        assert!(matches!(
            Offsets::parse("1h,,x"),
            Err(OffsetsError::Unreadable(_))
        ));
        assert!(matches!(
            Offsets::parse("30s"),
            Err(OffsetsError::OutOfRange(_))
        ));
        assert!(matches!(
            Offsets::parse("30d"),
            Err(OffsetsError::OutOfRange(_))
        ));
        assert_eq!(
            Offsets::parse("1m,2m,3m,4m,5m,6m"),
            Err(OffsetsError::TooMany)
        );
    }

    #[test]
    fn words() {
        assert_eq!(span_words(Duration::minutes(90)), "1 hour 30 minutes");
        assert_eq!(span_words(Duration::days(1)), "1 day");
    }
}
