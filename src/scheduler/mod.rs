//! The one engine for everything time-driven (meeting reminders, closing
//! check-in rounds, daily prompts, salt rotation, retention purges).
//!
//! Nothing is time-driven yet: the engine arrives with meetings, the first
//! feature that needs it. Until then this module is intentionally empty so that
//! no layer grows its own timer loop in the meantime.
