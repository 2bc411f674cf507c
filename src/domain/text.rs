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

/// The zero-width space [`inert`] puts after `<` and after the `@` of
/// `@everyone`/`@here`: invisible, and no mention can form across it.
pub const ZERO_WIDTH_SPACE: char = '\u{200B}';

/// Text a member (or a facilitator or admin) wrote, made inert for any
/// Discord message content, embed description or field value: it renders as
/// exactly the characters typed as far as links and mentions go, and never
/// as a masked link, a mention or a ping. Bold, italics, lists, quotes,
/// spoilers and code keep working (guidelines use them).
///
/// Each character maps on its own:
///
/// - `\` becomes `\\`, so a backslash the member typed shows as one
///   backslash and can never combine with the escapes added here (the trick
///   `\[x\](url)`, which turned the old `\[` escape back into a link).
/// - `[` and `]` become `\[` and `\]`: no masked link `[text](url)` can
///   open or close, whatever follows.
/// - `<` is followed by a zero-width space: no `<@user>`, `<@!user>`,
///   `<@&role>`, `<#channel>`, `</command:id>`, `<t:…>` or `<https://…>`
///   forms. A zero-width space rather than `\<` because Discord's plain-URL
///   rule stops at `<` and would swallow a backslash before it into the
///   link, leaving the `<` unescaped after it.
/// - `@` directly before `everyone` or `here` (any case) is followed by a
///   zero-width space: no ping and no highlight.
/// - Everything else (letters, apostrophes, emoji, new lines, `(`, `)`, `>`,
///   `*`, `_`, `#`, `|`, `` ` ``) is unchanged. Parentheses and other `@`s
///   stay so that plain URLs (`…/Foo_(bar)`, `…/@name`) keep working as
///   links: Discord shows a plain URL as itself, which deceives nobody, and a
///   masked link needs the escaped brackets.
///
/// Inside inline code or a code block Discord shows escapes as typed, so a
/// bracket or backslash there shows with its escaping backslash (and a
/// member's own `` \` `` now shows the backslash and opens code): nothing
/// can form there either way.
///
/// Not idempotent, by design: `inert` renders what it is given literally,
/// so escaping text twice shows the first escapes (`\[` instead of `[`),
/// still inert. Store what members type as typed and call `inert` once, where
/// it is put into a message. The result is longer than the input; cut it
/// with [`inert_within`], not [`truncate`].
pub fn inert(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    for (i, c) in text.char_indices() {
        match c {
            '\\' | '[' | ']' => {
                out.push('\\');
                out.push(c);
            }
            '<' => {
                out.push('<');
                out.push(ZERO_WIDTH_SPACE);
            }
            '@' if pings(&text[i + 1..]) => {
                out.push('@');
                out.push(ZERO_WIDTH_SPACE);
            }
            _ => out.push(c),
        }
    }
    out
}

/// Whether an `@` before `after` would ping: `@everyone` or `@here`, in any
/// case (Discord's own rule is stricter; this is the safe side).
fn pings(after: &str) -> bool {
    ["everyone", "here"].iter().any(|word| {
        after
            .get(..word.len())
            .is_some_and(|start| start.eq_ignore_ascii_case(word))
    })
}

/// [`inert`] cut to at most `max` characters, ending with an ellipsis when
/// cut, and never between a backslash and the character it escapes (which
/// would show a stray backslash). A cut between `<` or `@` and its
/// zero-width space leaves the `<` or `@` before the ellipsis: still inert.
pub fn inert_within(text: &str, max: usize) -> String {
    let escaped = inert(text);
    if escaped.chars().count() <= max {
        return escaped;
    }
    let mut kept: String = escaped.chars().take(max.saturating_sub(1)).collect();
    // Escapes come in pairs, so an odd run of backslashes at the end has
    // lost the character its last backslash escaped.
    if kept.chars().rev().take_while(|&c| c == '\\').count() % 2 == 1 {
        kept.pop();
    }
    kept.push('…');
    kept
}

/// A model of how Discord renders text, and member-like text to feed it,
/// for property tests here and wherever member text is shown.
#[cfg(test)]
pub(crate) mod testing {
    use super::ZERO_WIDTH_SPACE;
    use proptest::prelude::*;

    /// How Discord reads `text`, as far as links and mentions go: a small
    /// model of its renderer, on the cautious side.
    pub struct Read {
        /// The characters a reader sees, zero-width spaces left out.
        pub visible: String,
        /// Every masked link, mention or ping the text forms.
        pub formed: Vec<String>,
    }

    pub fn read_as_discord(text: &str) -> Read {
        // A backslash escapes the next ASCII punctuation character; any other
        // backslash is shown as it is.
        let mut read: Vec<(char, bool)> = Vec::new();
        let mut chars = text.chars().peekable();
        while let Some(c) = chars.next() {
            match chars.peek() {
                Some(&next) if c == '\\' && next.is_ascii_punctuation() => {
                    chars.next();
                    read.push((next, true));
                }
                _ => read.push((c, false)),
            }
        }
        let mut formed = Vec::new();
        for (i, &(c, escaped)) in read.iter().enumerate() {
            let rest = &read[i + 1..];
            // A masked link opens at an unescaped `[`. Discord's link rule then
            // reads the raw text, so an escaped `](` or `)` still closes it.
            if c == '[' && !escaped {
                let closes = (0..rest.len().saturating_sub(1))
                    .find(|&j| rest[j].0 == ']' && rest[j + 1].0 == '(')
                    .is_some_and(|j| rest[j + 2..].iter().any(|t| t.0 == ')'));
                if closes {
                    formed.push(format!("a masked link from {i}"));
                }
            }
            // Escaped or not: a plain URL ending at `<` takes the backslash
            // before it. `<@…>`, `<@!…>`, `<@&…>`, `<#…>`, `</…>`, `<t:…>`,
            // `<:emoji:…>`, `<https://…>`.
            if c == '<'
                && rest
                    .first()
                    .is_some_and(|&(n, _)| n.is_ascii_alphanumeric() || "@#/:!&".contains(n))
            {
                formed.push(format!("a mention from {i}"));
            }
            if c == '@' {
                let word: String = rest
                    .iter()
                    .take(8)
                    .map(|t| t.0.to_ascii_lowercase())
                    .collect();
                if word.starts_with("everyone") || word.starts_with("here") {
                    formed.push(format!("a ping from {i}"));
                }
            }
        }
        Read {
            visible: read
                .iter()
                .map(|t| t.0)
                .filter(|&c| c != ZERO_WIDTH_SPACE)
                .collect(),
            formed,
        }
    }

    pub fn without_zero_width(text: &str) -> String {
        text.chars().filter(|&c| c != ZERO_WIDTH_SPACE).collect()
    }

    /// Strings made mostly of what links, mentions and escapes are made of.
    pub fn member_text() -> impl Strategy<Value = String> {
        let piece = prop_oneof![
            4 => prop::sample::select(vec![
                "[", "]", "(", ")", "<", ">", "@", "\\", "#", "&", "!", ":", "/", "`",
                "*", "|", "\n", " ", "\u{200B}",
            ])
            .prop_map(str::to_owned),
            2 => prop::sample::select(vec![
                "http://", "https://evil.example", "everyone", "here", "EVERYONE",
                "Here", "<@", "<@!", "<@&", "<#", "</", "<t:", "](", "\\[", "\\\\",
                "@everyone", "@here",
            ])
            .prop_map(str::to_owned),
            2 => "[0-9]{1,3}",
            1 => "[a-zé🙂' ]{1,4}",
            1 => any::<char>().prop_map(String::from),
        ];
        prop_oneof![
            4 => prop::collection::vec(piece, 0..24).prop_map(|pieces| pieces.concat()),
            1 => any::<String>(),
        ]
    }

    /// How many masked links, mentions and pings a text forms.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
    pub struct Forms {
        pub links: usize,
        pub mentions: usize,
        pub pings: usize,
    }

    pub fn forms_in(text: &str) -> Forms {
        let mut forms = Forms::default();
        for f in read_as_discord(text).formed {
            if f.starts_with("a masked link") {
                forms.links += 1;
            } else if f.starts_with("a mention") {
                forms.mentions += 1;
            } else {
                forms.pings += 1;
            }
        }
        forms
    }
}

#[cfg(test)]
mod tests {
    use super::testing::{member_text, read_as_discord, without_zero_width};
    use super::*;
    use proptest::prelude::*;

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

    proptest! {
        #[test]
        fn inert_text_forms_nothing_and_shows_what_was_typed(text in member_text()) {
            let read = read_as_discord(&inert(&text));
            prop_assert!(read.formed.is_empty(), "{:?} in {:?}", read.formed, inert(&text));
            prop_assert_eq!(read.visible, without_zero_width(&text));
        }

        #[test]
        fn inert_twice_shows_the_first_escapes(text in member_text()) {
            let once = inert(&text);
            let read = read_as_discord(&inert(&once));
            prop_assert!(read.formed.is_empty(), "{:?}", read.formed);
            prop_assert_eq!(read.visible, without_zero_width(&once));
        }

        #[test]
        fn inert_within_cuts_between_whole_escapes(text in member_text(), max in 1usize..40) {
            let cut = inert_within(&text, max);
            prop_assert!(cut.chars().count() <= max);
            let read = read_as_discord(&cut);
            prop_assert!(read.formed.is_empty(), "{:?} in {:?}", read.formed, cut);
            let typed = without_zero_width(&text);
            if cut == inert(&text) {
                prop_assert_eq!(read.visible, typed);
            } else {
                let shown = read.visible.strip_suffix('…').unwrap();
                prop_assert!(typed.starts_with(shown), "{shown:?} of {typed:?}");
            }
        }
    }

    #[test]
    fn known_attacks_are_shown_as_typed() {
        let z = ZERO_WIDTH_SPACE;
        for (typed, expected) in [
            ("[x](https://evil)", r"\[x\](https://evil)".to_owned()),
            (r"\[x\](url)", r"\\\[x\\\](url)".to_owned()),
            (r"\\[x](url)", r"\\\\\[x\](url)".to_owned()),
            ("<@1>", format!("<{z}@1>")),
            ("<@!1>", format!("<{z}@!1>")),
            ("<@&2>", format!("<{z}@&2>")),
            ("<#3>", format!("<{z}#3>")),
            ("</help:4>", format!("<{z}/help:4>")),
            ("@everyone", format!("@{z}everyone")),
            ("hi @Here!", format!("hi @{z}Here!")),
            ("[a](<https://x>)", format!(r"\[a\](<{z}https://x>)")),
        ] {
            let escaped = inert(typed);
            assert_eq!(escaped, expected, "{typed}");
            let read = read_as_discord(&escaped);
            assert!(read.formed.is_empty(), "{typed}: {:?}", read.formed);
            assert_eq!(read.visible, typed);
        }
        // The model sees what the old excerpt escape let through.
        let old = |s: &str| s.replace('[', "\\[").replace(']', "\\]");
        assert!(!read_as_discord(&old(r"\[x\](url)")).formed.is_empty());
        assert!(!read_as_discord("[x](https://evil)").formed.is_empty());
        assert!(!read_as_discord("<@1> and @everyone").formed.is_empty());
    }

    #[test]
    fn ordinary_text_and_formatting_are_unchanged() {
        for text in [
            "I'm okay today 🙂\nthanks, everyone: it's been a week (a long one).",
            "**Be kind.**\n- *Listen* first\n- No advice unless asked\n> What's said here stays here",
            "Notes at https://example.org/wiki/Foo_(bar) or mail me@example.org",
            "||spoiler|| `code` ~~gone~~ __under__ # heading",
        ] {
            assert_eq!(inert(text), text);
        }
    }

    #[test]
    fn inert_within_keeps_escapes_whole() {
        assert_eq!(inert_within("[[[[", 8), r"\[\[\[\[");
        assert_eq!(inert_within("[[[[", 7), r"\[\[\[…");
        assert_eq!(inert_within("[[[[", 6), r"\[\[…");
        assert_eq!(inert_within(r"a\\", 4), r"a\\…");
        assert_eq!(inert_within("short", 10), "short");
    }

    #[test]
    fn truncates_on_character_boundaries() {
        assert_eq!(truncate("héllo", 10), "héllo");
        assert_eq!(truncate("héllo wörld", 5), "héll…");
        assert_eq!(truncate("🙂🙂🙂", 2), "🙂…");
    }
}
