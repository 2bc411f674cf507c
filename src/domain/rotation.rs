//! A group's rotation through a pool of prompts: a shuffle bag. Each pick is
//! drawn at random from the eligible prompts not used since the bag was last
//! emptied, so no prompt repeats until every eligible one was used; then the
//! bag refills, and the prompt just used never comes first again. The state
//! is plain data the store keeps, so the rotation survives restarts, and
//! prompts hidden, removed or added in between are handled by eligibility.

use std::collections::BTreeSet;

use rand::Rng;

/// Where a group stands in one pool's rotation.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Rotation {
    /// Prompts used since the bag was last emptied.
    pub used: BTreeSet<String>,
    /// The prompt used last.
    pub last: Option<String>,
}

impl Rotation {
    /// Draws the next prompt from `eligible` (the pool as it is now), or
    /// `None` when the pool is empty.
    pub fn next(&mut self, eligible: &[String], rng: &mut impl Rng) -> Option<String> {
        if eligible.is_empty() {
            return None;
        }
        let mut candidates: Vec<&String> = eligible
            .iter()
            .filter(|p| !self.used.contains(*p))
            .collect();
        if candidates.is_empty() {
            // Every eligible prompt was used: refill, never the last one first.
            self.used.clear();
            candidates = eligible
                .iter()
                .filter(|p| eligible.len() == 1 || Some(*p) != self.last.as_ref())
                .collect();
        }
        let pick = candidates[rng.random_range(0..candidates.len())].clone();
        self.used.insert(pick.clone());
        self.last = Some(pick.clone());
        Some(pick)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rand::SeedableRng;

    fn pool(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("p{i}")).collect()
    }

    proptest! {
        #[test]
        fn nothing_repeats_before_the_pool_is_used_up(
            size in 1usize..40,
            draws in 1usize..200,
            restarts in prop::collection::vec(0usize..200, 0..5),
            seed in any::<u64>(),
        ) {
            let eligible = pool(size);
            let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
            let mut rotation = Rotation::default();
            let mut picks: Vec<String> = Vec::new();
            for i in 0..draws {
                if restarts.contains(&i) {
                    // A restart: the state goes through the database as text.
                    let used = serde_json::to_string(&rotation.used).unwrap();
                    rotation = Rotation { used: serde_json::from_str(&used).unwrap(), last: rotation.last.clone() };
                }
                picks.push(rotation.next(&eligible, &mut rng).unwrap());
            }
            for cycle in picks.chunks(size) {
                let distinct: BTreeSet<&String> = cycle.iter().collect();
                prop_assert_eq!(distinct.len(), cycle.len(), "a repeat within a cycle: {:?}", cycle);
            }
            if size > 1 {
                for pair in picks.windows(2) {
                    prop_assert_ne!(&pair[0], &pair[1], "the same prompt twice in a row");
                }
            }
        }

        #[test]
        fn a_pool_that_changes_still_never_repeats_early(
            seed in any::<u64>(),
            hide in 0usize..10,
        ) {
            let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
            let mut rotation = Rotation::default();
            let all = pool(10);
            let mut seen = BTreeSet::new();
            for _ in 0..4 {
                seen.insert(rotation.next(&all, &mut rng).unwrap());
            }
            // A facilitator hides one prompt; the rest of the bag goes on.
            let eligible: Vec<String> = all.iter().filter(|p| **p != all[hide]).cloned().collect();
            let remaining = eligible.iter().filter(|p| !seen.contains(*p)).count();
            for _ in 0..remaining {
                let p = rotation.next(&eligible, &mut rng).unwrap();
                prop_assert!(!seen.contains(&p), "{} came back early", p);
                prop_assert_ne!(&p, &all[hide]);
                seen.insert(p);
            }
        }
    }

    #[test]
    fn an_empty_pool_gives_nothing_and_one_prompt_repeats() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(1);
        let mut r = Rotation::default();
        assert_eq!(r.next(&[], &mut rng), None);
        let one = pool(1);
        assert_eq!(r.next(&one, &mut rng).as_deref(), Some("p0"));
        assert_eq!(r.next(&one, &mut rng).as_deref(), Some("p0"));
    }
}
