//! Discord Scheduled Events, paced and retried like every call.

use poise::serenity_prelude as serenity;
use serde_json::{Value, json};

use super::{Rest, RestError};
use crate::domain::events::{EventSpec, Place};

/// Discord's code when a server has its 100 scheduled or active events.
pub const MAX_EVENTS_REACHED: isize = 30038;
/// Discord's limit of scheduled or active events in one server.
pub const MAX_OPEN_EVENTS: usize = 100;
/// An event's statuses, as Discord numbers them.
pub const SCHEDULED: u8 = 1;
pub const ACTIVE: u8 = 2;
pub const COMPLETED: u8 = 3;
pub const CANCELLED: u8 = 4;

/// The body that creates or replaces an event with `spec`.
fn body(spec: &EventSpec) -> Value {
    let mut v = json!({
        "name": spec.name,
        "description": spec.description,
        "privacy_level": 2,
        "scheduled_start_time": spec.start.to_rfc3339(),
        "scheduled_end_time": spec.end.to_rfc3339(),
    });
    match &spec.place {
        Place::Voice(c) | Place::Stage(c) => {
            v["entity_type"] = json!(if matches!(spec.place, Place::Stage(_)) {
                1
            } else {
                2
            });
            v["channel_id"] = json!(c.to_string());
            v["entity_metadata"] = Value::Null;
        }
        Place::External(location) => {
            v["entity_type"] = json!(3);
            v["channel_id"] = Value::Null;
            v["entity_metadata"] = json!({ "location": location });
        }
    }
    v
}

/// What an event shows, in the form Haven sends it (so that the two can be
/// compared by [`crate::domain::events::digest`]).
fn shown(e: &serenity::ScheduledEvent) -> EventSpec {
    let start =
        chrono::DateTime::from_timestamp(e.start_time.unix_timestamp(), 0).unwrap_or_default();
    let end = e
        .end_time
        .and_then(|t| chrono::DateTime::from_timestamp(t.unix_timestamp(), 0))
        .unwrap_or(start);
    let channel = e.channel_id.map_or(0, |c| c.get());
    let place = match e.kind {
        serenity::ScheduledEventType::StageInstance => Place::Stage(channel),
        serenity::ScheduledEventType::Voice => Place::Voice(channel),
        _ => Place::External(
            e.metadata
                .as_ref()
                .and_then(|m| m.location.clone())
                .unwrap_or_default(),
        ),
    };
    EventSpec {
        name: e.name.clone(),
        description: e.description.clone().unwrap_or_default(),
        start,
        end,
        place,
    }
}

impl Rest {
    /// Creates an event; returns its id. Tried once: Discord may have made
    /// it though its answer was lost, so the caller looks before trying
    /// again (an event carries no nonce).
    /// With what it shows as Discord stored it.
    pub async fn create_event(
        &self,
        guild: u64,
        spec: &EventSpec,
    ) -> Result<(u64, EventSpec), RestError> {
        let body = body(spec);
        let guild = serenity::GuildId::new(guild);
        self.run_tries(None, &|| true, 1, || {
            self.http.create_scheduled_event(guild, &body, None)
        })
        .await
        .map(|e| (e.id.get(), shown(&e)))
    }

    /// Makes event `id` say `spec` (its time, place, name and text);
    /// returns what it shows as Discord stored it.
    pub async fn edit_event(
        &self,
        guild: u64,
        id: u64,
        spec: &EventSpec,
    ) -> Result<EventSpec, RestError> {
        let body = body(spec);
        self.patch_event(guild, id, &body).await.map(|e| shown(&e))
    }

    /// Changes only the words of event `id` (a live event's time and
    /// place are Discord's to keep); returns what it shows.
    pub async fn edit_event_text(
        &self,
        guild: u64,
        id: u64,
        spec: &EventSpec,
    ) -> Result<EventSpec, RestError> {
        let body = json!({ "name": spec.name, "description": spec.description });
        self.patch_event(guild, id, &body).await.map(|e| shown(&e))
    }

    /// Event `id`'s status, or `None` when it no longer exists.
    pub async fn event_status(&self, guild: u64, id: u64) -> Result<Option<u8>, RestError> {
        Ok(self.event(guild, id).await?.map(|(status, _)| status))
    }

    /// Event `id` as it stands in Discord: its status and what it shows,
    /// or `None` when it no longer exists.
    pub async fn event(&self, guild: u64, id: u64) -> Result<Option<(u8, EventSpec)>, RestError> {
        let (guild, id) = (
            serenity::GuildId::new(guild),
            serenity::ScheduledEventId::new(id),
        );
        match self
            .run(None, &|| true, || {
                self.http.get_scheduled_event(guild, id, false)
            })
            .await
        {
            Ok(e) => Ok(Some((u8::from(e.status), shown(&e)))),
            Err(RestError::Gone { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// The open events of the server that Haven created with `mark` in
    /// their description (one it created but never recorded).
    pub async fn own_open_events(&self, guild: u64, mark: &str) -> Result<Vec<u64>, RestError> {
        let Some(me) = self.http.application_id() else {
            return Ok(Vec::new());
        };
        let guild = serenity::GuildId::new(guild);
        let all = self
            .run(None, &|| true, || {
                self.http.get_scheduled_events(guild, false)
            })
            .await?;
        Ok(all
            .into_iter()
            .filter(|e| e.creator_id.is_some_and(|c| c.get() == me.get()))
            .filter(|e| matches!(u8::from(e.status), SCHEDULED | ACTIVE))
            .filter(|e| e.description.as_deref().is_some_and(|d| d.ends_with(mark)))
            .map(|e| e.id.get())
            .collect())
    }

    /// How many of the server's events are scheduled or active (Discord
    /// allows [`MAX_OPEN_EVENTS`]).
    pub async fn open_event_count(&self, guild: u64) -> Result<usize, RestError> {
        let guild = serenity::GuildId::new(guild);
        let all = self
            .run(None, &|| true, || {
                self.http.get_scheduled_events(guild, false)
            })
            .await?;
        Ok(all
            .iter()
            .filter(|e| matches!(u8::from(e.status), SCHEDULED | ACTIVE))
            .count())
    }

    /// Whether @everyone may see channel `id` of `guild`, by its overwrite
    /// (an event shows to the whole server).
    pub async fn everyone_can_view(&self, id: u64, guild: u64) -> Result<bool, RestError> {
        let channel = serenity::ChannelId::new(id);
        let found = self
            .run(None, &|| true, || self.http.get_channel(channel))
            .await?;
        let serenity::Channel::Guild(c) = found else {
            return Ok(false);
        };
        let everyone = serenity::PermissionOverwriteType::Role(serenity::RoleId::new(guild));
        Ok(!c
            .permission_overwrites
            .iter()
            .any(|o| o.kind == everyone && o.deny.view_channel()))
    }

    /// Moves event `id` to `status` (2 active, 3 completed, 4 cancelled).
    pub async fn set_event_status(&self, guild: u64, id: u64, status: u8) -> Result<(), RestError> {
        self.patch_event(guild, id, &json!({ "status": status }))
            .await
            .map(drop)
    }

    async fn patch_event(
        &self,
        guild: u64,
        id: u64,
        body: &Value,
    ) -> Result<serenity::ScheduledEvent, RestError> {
        let (guild, id) = (
            serenity::GuildId::new(guild),
            serenity::ScheduledEventId::new(id),
        );
        self.run(None, &|| true, || {
            self.http.edit_scheduled_event(guild, id, body, None)
        })
        .await
    }

    pub async fn delete_event(&self, guild: u64, id: u64) -> Result<(), RestError> {
        let (guild, id) = (
            serenity::GuildId::new(guild),
            serenity::ScheduledEventId::new(id),
        );
        self.run(None, &|| true, || {
            self.http.delete_scheduled_event(guild, id)
        })
        .await
    }

    /// Whether channel `id` is a stage (else a voice channel or anything
    /// else): what kind of event a meeting there is.
    pub async fn channel_kind(&self, id: u64) -> Result<serenity::ChannelType, RestError> {
        let channel = serenity::ChannelId::new(id);
        self.run(None, &|| true, || self.http.get_channel(channel))
            .await
            .map(|c| match c {
                serenity::Channel::Guild(g) => g.kind,
                _ => serenity::ChannelType::Private,
            })
    }
}
