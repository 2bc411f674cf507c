//! A server's settings.

use std::fmt;

use chrono_tz::Tz;

use super::{ChannelId, RoleId};

/// A server setting `/settings clear` can put back to its default.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Setting {
    FacilitatorRole,
    Timezone,
    LogChannel,
    MinGroupSize,
    AttendMinutes,
}

/// The anonymity threshold k: no statistic is shown when fewer than k distinct
/// people contribute to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct MinGroupSize(u8);

impl MinGroupSize {
    pub const MIN: i64 = 3;
    pub const MAX: i64 = 50;
    pub const DEFAULT: MinGroupSize = MinGroupSize(5);

    /// Accepts 3..=50.
    pub fn new(value: i64) -> Result<Self, OutOfRange> {
        if (Self::MIN..=Self::MAX).contains(&value) {
            Ok(Self(value as u8))
        } else {
            Err(OutOfRange {
                value,
                min: Self::MIN,
                max: Self::MAX,
            })
        }
    }

    pub fn get(self) -> u32 {
        u32::from(self.0)
    }
}

impl Default for MinGroupSize {
    fn default() -> Self {
        Self::DEFAULT
    }
}

impl fmt::Display for MinGroupSize {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// A number outside the range a setting allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutOfRange {
    pub value: i64,
    pub min: i64,
    pub max: i64,
}

impl fmt::Display for OutOfRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} is outside {}..={}", self.value, self.min, self.max)
    }
}

impl std::error::Error for OutOfRange {}

/// Everything a server has configured. A server that never changed anything
/// has the defaults.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GuildSettings {
    /// Members with this role are facilitators (as is anyone with Manage Server).
    pub facilitator_role: Option<RoleId>,
    /// The zone used when a member has set none.
    pub timezone: Option<Tz>,
    /// Where moderation and facilitator notices go.
    pub log_channel: Option<ChannelId>,
    /// The anonymity threshold k.
    pub min_group_size: MinGroupSize,
    /// Minutes in a voice meeting's channel that count as coming; `None`
    /// keeps the operator's default.
    pub attend_minutes: Option<i64>,
}

/// What a member may do, as far as Haven is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Access {
    /// Anyone may use it.
    Anyone,
    /// Members with the facilitator role, or Manage Server.
    Facilitator,
    /// Members with Manage Server.
    Admin,
}

/// How far a member's standing reaches, as Discord says at this moment:
/// ordered, so "at least a facilitator" is `tier >= Tier::Facilitator`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Tier {
    Member,
    /// Has the facilitator role (or is an admin).
    Facilitator,
    /// The owner, or Manage Server or Administrator.
    Admin,
}

impl Tier {
    /// As kept in the database (0, 1, 2).
    pub fn as_db(self) -> i64 {
        match self {
            Self::Member => 0,
            Self::Facilitator => 1,
            Self::Admin => 2,
        }
    }

    pub fn from_db(v: i64) -> Option<Self> {
        match v {
            0 => Some(Self::Member),
            1 => Some(Self::Facilitator),
            2 => Some(Self::Admin),
            _ => None,
        }
    }
}

/// The facts about a member that decide their access.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MemberStanding {
    pub manages_server: bool,
    pub has_facilitator_role: bool,
}

impl MemberStanding {
    /// Their rank: Manage Server (or Administrator, or being the owner,
    /// whose permissions Discord sends as all) makes an admin.
    pub fn tier(self) -> Tier {
        if self.manages_server {
            Tier::Admin
        } else if self.has_facilitator_role {
            Tier::Facilitator
        } else {
            Tier::Member
        }
    }

    /// Whether a member with this standing may use something needing `needed`.
    pub fn allows(self, needed: Access) -> bool {
        match needed {
            Access::Anyone => true,
            Access::Facilitator => self.manages_server || self.has_facilitator_role,
            Access::Admin => self.manages_server,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn min_group_size_accepts_only_its_range() {
        assert_eq!(MinGroupSize::new(3).map(MinGroupSize::get), Ok(3));
        assert_eq!(MinGroupSize::new(50).map(MinGroupSize::get), Ok(50));
        for bad in [i64::MIN, -1, 0, 2, 51, 255, 256, i64::MAX] {
            assert!(MinGroupSize::new(bad).is_err(), "{bad}");
        }
        assert_eq!(MinGroupSize::default().get(), 5);
    }

    #[test]
    fn access_rules() {
        let member = MemberStanding {
            manages_server: false,
            has_facilitator_role: false,
        };
        let facilitator = MemberStanding {
            manages_server: false,
            has_facilitator_role: true,
        };
        let admin = MemberStanding {
            manages_server: true,
            has_facilitator_role: false,
        };
        assert!(member.allows(Access::Anyone));
        assert!(!member.allows(Access::Facilitator));
        assert!(!member.allows(Access::Admin));
        assert!(facilitator.allows(Access::Facilitator));
        assert!(!facilitator.allows(Access::Admin));
        assert!(admin.allows(Access::Facilitator));
        assert!(admin.allows(Access::Admin));
    }
}
