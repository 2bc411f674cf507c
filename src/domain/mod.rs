//! Pure logic with no I/O. Nothing here reads the clock: `now` is a parameter.

pub mod anonymity;
pub mod attendance;
pub mod crisis;
pub mod custom_id;
pub mod events;
pub mod exercises;
pub mod ics;
pub mod ids;
pub mod jobs;
pub mod library;
pub mod meeting;
pub mod moderation;
pub mod mood;
pub mod periods;
pub mod privacy;
pub mod prompt_schedule;
pub mod recurrence;
pub mod reminders;
pub mod rotation;
pub mod settings;
pub mod stats;
pub mod text;
pub mod when;
pub mod zones;

pub use ids::{ChannelId, GuildId, RoleId, UserId};
