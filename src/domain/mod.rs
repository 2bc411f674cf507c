//! Pure logic with no I/O. Nothing here reads the clock: `now` is a parameter.

pub mod ids;
pub mod privacy;
pub mod settings;
pub mod text;
pub mod zones;

pub use ids::{ChannelId, GuildId, RoleId, UserId};
