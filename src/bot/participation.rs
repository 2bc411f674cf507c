//! Distinct participants per calendar period, counted without keeping who:
//! each open period has a random hashing key that lives only in memory; a
//! member is hashed with it, and only the count of distinct hashes reaches the
//! database. When a period closes its key and hashes are dropped. After a
//! restart the keys are new, so a returning member may be counted twice in a
//! period: a small overcount, accepted so that nothing on disk can ever link
//! a count to a person.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasher, RandomState};
use std::sync::Mutex;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use crate::domain::periods::{PeriodKind, local_day, period_of};
use crate::domain::{GuildId, UserId};
use crate::store::{Db, StoreResult};

struct OpenPeriod {
    key: String,
    hasher: RandomState,
    seen: HashSet<u64>,
}

#[derive(Default)]
pub struct Participation {
    open: Mutex<HashMap<(GuildId, &'static str), OpenPeriod>>,
}

impl Participation {
    /// Counts `user` in every period containing `now` (in `tz`) unless they
    /// were already counted there.
    pub async fn record(
        &self,
        db: &Db,
        guild: GuildId,
        tz: Tz,
        user: UserId,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        let day = local_day(now, tz);
        let mut new_in = Vec::new();
        {
            let mut open = self
                .open
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            for kind in PeriodKind::ALL {
                let period = period_of(kind, day);
                let slot = open
                    .entry((guild, kind.as_str()))
                    .or_insert_with(|| OpenPeriod {
                        key: period.key.clone(),
                        hasher: RandomState::new(),
                        seen: HashSet::new(),
                    });
                if slot.key != period.key {
                    // The period closed: forget its key and hashes.
                    *slot = OpenPeriod {
                        key: period.key.clone(),
                        hasher: RandomState::new(),
                        seen: HashSet::new(),
                    };
                }
                if slot.seen.insert(slot.hasher.hash_one(user.0)) {
                    new_in.push(period.key);
                }
            }
        }
        for key in new_in {
            db.add_participant(guild, &key).await?;
        }
        Ok(())
    }
}
