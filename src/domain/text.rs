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

/// Whole lines, as many as fit in `max` characters with a last line saying
/// how many were left out: a line (and a mention in it) is never cut in two.
/// A single line longer than `max` on its own is shortened at its end.
pub fn fit_lines(lines: &[String], max: usize) -> String {
    let mut out = String::new();
    let mut used = 0;
    for (i, line) in lines.iter().enumerate() {
        let left = lines.len() - i - 1;
        let len = line.chars().count() + usize::from(i > 0);
        // Room for this line and, if any follow, the note of how many.
        let note = if left > 0 {
            format!("\n… and {left} more").chars().count()
        } else {
            0
        };
        if used + len + note > max {
            if i == 0 {
                return truncate(line, max);
            }
            let rest = lines.len() - i;
            out.push_str(&format!("\n… and {rest} more"));
            return out;
        }
        if i > 0 {
            out.push('\n');
        }
        out.push_str(line);
        used += len;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fits_whole_lines_and_says_how_many_were_left_out() {
        let lines: Vec<String> = (0..100)
            .map(|i| format!("**#{i}** by <@123456789012345678>"))
            .collect();
        let fitted = fit_lines(&lines, 1024);
        assert!(fitted.chars().count() <= 1024);
        let shown: Vec<&str> = fitted.lines().collect();
        let last = shown.last().unwrap();
        assert!(last.starts_with("… and "), "{last}");
        let kept = shown.len() - 1;
        assert_eq!(*last, format!("… and {} more", 100 - kept));
        for line in &shown[..kept] {
            assert!(
                line.ends_with("<@123456789012345678>"),
                "a whole line: {line}"
            );
        }
        assert_eq!(fit_lines(&lines[..2], 1024).lines().count(), 2);
        assert_eq!(fit_lines(&["é".repeat(2000)], 10).chars().count(), 10);
        assert_eq!(fit_lines(&[], 10), "");
    }

    #[test]
    fn truncates_on_character_boundaries() {
        assert_eq!(truncate("héllo", 10), "héllo");
        assert_eq!(truncate("héllo wörld", 5), "héll…");
        assert_eq!(truncate("🙂🙂🙂", 2), "🙂…");
    }
}
