//! Identifiers of Discord objects, free of any Discord library type.
//!
//! Discord ids are snowflakes below 2^63, so they round-trip through SQLite's
//! signed 64-bit integers losslessly.

use std::fmt;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub u64);

        impl $name {
            /// The id as SQLite stores it.
            pub fn as_db(self) -> i64 {
                // Snowflakes are below 2^63; anything else is not a Discord id.
                i64::try_from(self.0).unwrap_or(i64::MAX)
            }

            /// The id from its SQLite form.
            pub fn from_db(value: i64) -> Self {
                Self(value as u64)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}", self.0)
            }
        }
    };
}

id_type!(
    /// A Discord server.
    GuildId
);
id_type!(
    /// A Discord user, member of one or more servers.
    UserId
);
id_type!(
    /// A channel in a server, or a direct-message channel.
    ChannelId
);
id_type!(
    /// A role in a server.
    RoleId
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snowflakes_round_trip_through_the_database_form() {
        for raw in [1u64, 1_500_000_000_000_000_001, (1 << 63) - 1] {
            assert_eq!(UserId::from_db(UserId(raw).as_db()), UserId(raw));
        }
    }
}
