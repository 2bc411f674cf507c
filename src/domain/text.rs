//! Small helpers for text shown to members.

/// `<t:UNIX:F>`: a full date and time each reader sees in their own zone.
pub fn full(at: chrono::DateTime<chrono::Utc>) -> String {
    format!("<t:{}:F>", at.timestamp())
}

/// `<t:UNIX:R>`: "in 2 hours", "3 days ago".
pub fn relative(at: chrono::DateTime<chrono::Utc>) -> String {
    format!("<t:{}:R>", at.timestamp())
}

/// Both: "Tuesday, 9 March 2027 19:00 (in 2 hours)", in each reader's zone.
pub fn when(at: chrono::DateTime<chrono::Utc>) -> String {
    format!("{} ({})", full(at), relative(at))
}

/// The words of `text`: runs of letters and digits (apostrophes and
/// hyphens split them, so "addict's" gives "addict"). Lowercase first to
/// compare without case.
pub fn words(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
}

/// Cuts `text` to at most `max` characters, ending with an ellipsis when cut.
pub fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut out: String = text.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncates_on_character_boundaries() {
        assert_eq!(truncate("héllo", 10), "héllo");
        assert_eq!(truncate("héllo wörld", 5), "héll…");
        assert_eq!(truncate("🙂🙂🙂", 2), "🙂…");
    }
}
