//! k-anonymity for what facilitators see: no figure built from fewer than k
//! distinct people is shown, and no two shown figures can be subtracted to
//! reveal one that was hidden.

/// Who answered a round, as the round holds it: a keyed hash of the member
/// under the round's own salt. Without the salt (deleted when the round
/// closes) it cannot be traced back to anyone.
pub fn round_voter(salt: &[u8; 32], user: super::UserId) -> [u8; 32] {
    *blake3::keyed_hash(salt, &user.0.to_le_bytes()).as_bytes()
}

/// A figure as shown: its value, or "fewer than k".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shown {
    Value(u64),
    FewerThanK,
}

impl Shown {
    pub fn value(self) -> Option<u64> {
        match self {
            Self::Value(v) => Some(v),
            Self::FewerThanK => None,
        }
    }

    pub fn render(self, k: u32) -> String {
        match self {
            Self::Value(v) => v.to_string(),
            Self::FewerThanK => format!("fewer than {k}"),
        }
    }
}

/// A single figure: shown only when at least k distinct people contributed.
pub fn figure(value: u64, distinct_people: u64, k: u32) -> Shown {
    if distinct_people >= u64::from(k) {
        Shown::Value(value)
    } else {
        Shown::FewerThanK
    }
}

/// A histogram and its total, where each count is also a lower bound on the
/// people behind it (one person adds at most one to a bucket per event, so a
/// count below k means fewer than k people). Returns the shown total and
/// buckets: the whole thing is hidden when the group is smaller than k; each
/// bucket under k is hidden; and more buckets are hidden (smallest first)
/// until the hidden ones add up to zero or at least k, so that the total minus
/// the shown buckets never reveals a small group.
pub fn histogram(counts: &[u64], distinct_people: u64, k: u32) -> (Shown, Vec<Shown>) {
    let k = u64::from(k);
    let total: u64 = counts.iter().sum();
    if distinct_people < k {
        return (Shown::FewerThanK, vec![Shown::FewerThanK; counts.len()]);
    }
    let mut hidden: Vec<bool> = counts.iter().map(|c| *c > 0 && *c < k).collect();
    loop {
        let hidden_sum: u64 = counts
            .iter()
            .zip(&hidden)
            .filter(|(_, h)| **h)
            .map(|(c, _)| c)
            .sum();
        if hidden_sum == 0 || hidden_sum >= k {
            break;
        }
        // Hide the smallest shown non-zero bucket next; with none left, hide
        // the total (nothing can be subtracted from a hidden total).
        match counts
            .iter()
            .enumerate()
            .filter(|(i, c)| !hidden[*i] && **c > 0)
            .min_by_key(|(_, c)| **c)
        {
            Some((i, _)) => hidden[i] = true,
            None => {
                return (
                    Shown::FewerThanK,
                    counts
                        .iter()
                        .zip(&hidden)
                        .map(|(c, h)| {
                            if *h {
                                Shown::FewerThanK
                            } else {
                                Shown::Value(*c)
                            }
                        })
                        .collect(),
                );
            }
        }
    }
    let buckets = counts
        .iter()
        .zip(&hidden)
        .map(|(c, h)| {
            if *h {
                Shown::FewerThanK
            } else {
                Shown::Value(*c)
            }
        })
        .collect();
    (Shown::Value(total), buckets)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn small_groups_show_nothing() {
        let (total, buckets) = histogram(&[1, 1, 1, 0, 0], 3, 5);
        assert_eq!(total, Shown::FewerThanK);
        assert!(buckets.iter().all(|b| *b == Shown::FewerThanK));
        assert_eq!(figure(10, 4, 5), Shown::FewerThanK);
        assert_eq!(figure(10, 5, 5), Shown::Value(10));
    }

    #[test]
    fn a_lone_small_bucket_takes_another_with_it() {
        // 6 + 6 + 1: hiding only the 1 would let 13 - 12 reveal it.
        let (total, buckets) = histogram(&[6, 6, 1, 0, 0], 8, 5);
        assert_eq!(total, Shown::Value(13));
        let hidden: u64 = [6u64, 6, 1, 0, 0]
            .iter()
            .zip(&buckets)
            .filter(|(_, b)| **b == Shown::FewerThanK)
            .map(|(c, _)| c)
            .sum();
        assert!(hidden >= 5, "{buckets:?}");
        assert_eq!(buckets[3], Shown::Value(0));
    }

    proptest! {
        #[test]
        fn nothing_small_is_shown_or_derivable(
            counts in prop::collection::vec(0u64..20, 5),
            extra_people in 0u64..10,
            k in 3u32..10,
        ) {
            let total: u64 = counts.iter().sum();
            let people = total.min(extra_people + counts.iter().copied().max().unwrap_or(0));
            let (shown_total, buckets) = histogram(&counts, people, k);
            for (b, c) in buckets.iter().zip(&counts) {
                if let Shown::Value(v) = b {
                    prop_assert_eq!(v, c);
                    prop_assert!(*v == 0 || *v >= u64::from(k), "a small bucket was shown: {:?}", buckets);
                }
            }
            if let Shown::Value(t) = shown_total {
                prop_assert!(people >= u64::from(k));
                let shown_sum: u64 = buckets.iter().filter_map(|b| b.value()).sum();
                let derived = t - shown_sum;
                prop_assert!(derived == 0 || derived >= u64::from(k), "total minus shown reveals {}", derived);
            }
        }
    }
}
