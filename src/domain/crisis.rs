//! Crisis and support lines, from `data/crisis_lines.json` in the repository.

use std::sync::LazyLock;

use serde::Deserialize;

/// Always offered, whatever the country.
pub const DIRECTORY: &str = "https://findahelpline.com";

#[derive(Debug, Clone, Deserialize)]
pub struct Line {
    pub name: String,
    pub contact: String,
    pub source: String,
}

/// A country's emergency number (police, ambulance), with the page that
/// gives it.
#[derive(Debug, Clone, Deserialize)]
pub struct Emergency {
    pub number: String,
    pub source: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Country {
    pub code: String,
    pub name: String,
    #[serde(default)]
    pub aliases: Vec<String>,
    pub emergency: Emergency,
    pub lines: Vec<Line>,
}

#[derive(Deserialize)]
struct File {
    countries: Vec<Country>,
}

static COUNTRIES: LazyLock<Vec<Country>> = LazyLock::new(|| {
    serde_json::from_str::<File>(include_str!("../../data/crisis_lines.json"))
        .map(|f| f.countries)
        .unwrap_or_default()
});

pub fn countries() -> &'static [Country] {
    &COUNTRIES
}

/// A country by ISO code or name, any case.
pub fn find(input: &str) -> Option<&'static Country> {
    let t = input.trim();
    countries().iter().find(|c| {
        c.code.eq_ignore_ascii_case(t)
            || c.name.eq_ignore_ascii_case(t)
            || c.aliases.iter().any(|a| a.eq_ignore_ascii_case(t))
    })
}

/// Countries whose name or code contains `partial`, at most 25.
pub fn autocomplete(partial: &str) -> Vec<&'static Country> {
    let p = partial.trim().to_lowercase();
    let mut hits: Vec<&Country> = countries()
        .iter()
        .filter(|c| {
            p.is_empty()
                || c.name.to_lowercase().contains(&p)
                || c.code.to_lowercase() == p
                || c.aliases.iter().any(|a| a.to_lowercase().contains(&p))
        })
        .collect();
    hits.sort_by_key(|c| {
        let exact =
            c.code.eq_ignore_ascii_case(&p) || c.aliases.iter().any(|a| a.eq_ignore_ascii_case(&p));
        (
            !exact,
            !c.name.to_lowercase().starts_with(&p),
            c.name.clone(),
        )
    });
    hits.truncate(25);
    hits
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_data_file_loads_and_every_line_names_its_source() {
        assert!(countries().len() >= 10);
        for c in countries() {
            assert_eq!(c.code.len(), 2, "{}", c.name);
            assert!(!c.lines.is_empty(), "{}", c.name);
            let number = &c.emergency.number;
            assert!(
                !number.is_empty() && number.chars().any(|ch| ch.is_ascii_digit()),
                "{} has no emergency number",
                c.name
            );
            assert!(
                c.emergency.source.starts_with("https://"),
                "{}'s emergency number has no source",
                c.name
            );
            for l in &c.lines {
                assert!(l.source.starts_with("https://"), "{} has no source", l.name);
                assert!(
                    l.contact.chars().any(|ch| ch.is_ascii_digit()),
                    "{} gives no number",
                    l.name
                );
            }
        }
    }

    #[test]
    fn belgium_has_both_languages_and_ireland_has_pieta() {
        let be = find("BE").unwrap();
        assert!(be.lines.iter().any(|l| l.contact.contains("0800 32 123")));
        assert!(be.lines.iter().any(|l| l.contact.contains("1813")));
        assert!(find("IE").unwrap().lines.iter().any(|l| l.name == "Pieta"));
        assert_eq!(find("NZ").unwrap().emergency.number, "111");
        assert_eq!(find("GB").unwrap().emergency.number, "999");
        assert!(
            find("GB")
                .unwrap()
                .lines
                .iter()
                .any(|l| l.contact.contains("111"))
        );
    }

    #[test]
    fn finds_by_code_or_name() {
        assert_eq!(find("gb").unwrap().name, "United Kingdom");
        assert_eq!(find("germany").unwrap().code, "DE");
        assert!(find("Atlantis").is_none());
        assert_eq!(autocomplete("uk")[0].code, "GB", "uk is in United Kingdom");
        assert_eq!(autocomplete("NZ")[0].code, "NZ");
        assert!(autocomplete("").len() <= 25);
    }
}
