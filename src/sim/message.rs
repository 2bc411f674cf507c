//! Messages as the fake Discord keeps them, and how a bot's message payload
//! (JSON or multipart) changes them.

use serde_json::{Value, json};

/// A file attached to a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimAttachment {
    pub id: u64,
    pub filename: String,
    pub bytes: Vec<u8>,
}

/// A button on a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimButton {
    pub label: String,
    pub custom_id: String,
    pub style: u64,
    pub disabled: bool,
}

/// A message the bot sent: to a channel, as an interaction reply, or by DM.
#[derive(Debug, Clone, PartialEq)]
pub struct SimMessage {
    pub id: u64,
    pub channel_id: u64,
    pub author_id: u64,
    pub content: String,
    pub embeds: Vec<Value>,
    pub components: Vec<Value>,
    /// Only the member who asked can see it (flag 64).
    pub ephemeral: bool,
    pub attachments: Vec<SimAttachment>,
    pub allowed_mentions: Option<Value>,
    pub nonce: Option<String>,
    pub edited: bool,
    /// How many times it was edited.
    pub revision: u32,
    pub deleted: bool,
    /// The interaction this message answers, if any.
    pub interaction_token: Option<String>,
    /// When the fake Discord received it.
    pub received: std::time::Instant,
    /// When it was posted, by the clock the fake Discord was given (its
    /// timestamp, and what the 14-day bulk-delete rule looks at).
    pub created_at: Option<chrono::DateTime<chrono::Utc>>,
}

impl SimMessage {
    /// Everything a reader sees as text: the content, then each embed's
    /// title, description, fields and footer, one per line.
    pub fn text(&self) -> String {
        let mut lines = Vec::new();
        if !self.content.is_empty() {
            lines.push(self.content.clone());
        }
        for embed in &self.embeds {
            for key in ["title", "description"] {
                if let Some(s) = embed.get(key).and_then(Value::as_str) {
                    lines.push(s.to_owned());
                }
            }
            for field in embed
                .get("fields")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let name = field
                    .get("name")
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                let value = field
                    .get("value")
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                lines.push(format!("{name}: {value}"));
            }
            if let Some(s) = embed.pointer("/footer/text").and_then(Value::as_str) {
                lines.push(s.to_owned());
            }
        }
        lines.join("\n")
    }

    /// Every button, row by row.
    pub fn buttons(&self) -> Vec<SimButton> {
        self.components
            .iter()
            .flat_map(|row| {
                row.get("components")
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default()
            })
            .filter(|c| c.get("type").and_then(Value::as_u64) == Some(2))
            .map(|c| SimButton {
                label: c
                    .get("label")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned(),
                custom_id: c
                    .get("custom_id")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned(),
                style: c.get("style").and_then(Value::as_u64).unwrap_or(1),
                disabled: c.get("disabled").and_then(Value::as_bool).unwrap_or(false),
            })
            .collect()
    }

    /// The button with this label (case-insensitive), if there is one.
    pub fn button(&self, label: &str) -> Option<SimButton> {
        self.buttons()
            .into_iter()
            .find(|b| b.label.eq_ignore_ascii_case(label))
    }

    /// The message as Discord's API returns it.
    pub fn to_json(&self, author: &Value) -> Value {
        json!({
            "id": self.id.to_string(),
            "channel_id": self.channel_id.to_string(),
            "author": author,
            "content": self.content,
            "timestamp": "2024-01-01T00:00:00.000000+00:00",
            "edited_timestamp": if self.edited { json!("2024-01-01T00:00:01.000000+00:00") } else { Value::Null },
            "tts": false,
            "mention_everyone": false,
            "mentions": [],
            "mention_roles": [],
            "attachments": self.attachments.iter().map(|a| json!({
                "id": a.id.to_string(),
                "filename": a.filename,
                "size": a.bytes.len(),
                "url": format!("https://cdn.invalid/attachments/{}/{}", a.id, a.filename),
                "proxy_url": format!("https://cdn.invalid/attachments/{}/{}", a.id, a.filename),
            })).collect::<Vec<_>>(),
            "embeds": self.embeds,
            "components": self.components,
            "pinned": false,
            "type": 0,
            "flags": if self.ephemeral { 64 } else { 0 },
            "nonce": self.nonce,
        })
    }
}

/// A file uploaded with a request.
#[derive(Debug, Clone)]
pub struct Upload {
    pub filename: String,
    pub bytes: Vec<u8>,
}

/// What a bot asks for when it creates or edits a message.
#[derive(Debug, Clone, Default)]
pub struct MessagePayload {
    pub json: Value,
    pub uploads: Vec<Upload>,
}

impl MessagePayload {
    pub fn flags(&self) -> u64 {
        self.json.get("flags").and_then(Value::as_u64).unwrap_or(0)
    }

    pub fn nonce(&self) -> Option<String> {
        match self.json.get("nonce") {
            Some(Value::String(s)) => Some(s.clone()),
            Some(Value::Number(n)) => Some(n.to_string()),
            _ => None,
        }
    }

    pub fn enforce_nonce(&self) -> bool {
        self.json
            .get("enforce_nonce")
            .and_then(Value::as_bool)
            .unwrap_or(false)
    }

    /// Applies the payload to `message`: fields present replace, absent ones
    /// stay; attachments listed by id are kept and uploads are added.
    pub fn apply(&self, message: &mut SimMessage, mut next_id: impl FnMut() -> u64) {
        let j = &self.json;
        if let Some(content) = j.get("content") {
            message.content = content.as_str().unwrap_or_default().to_owned();
        }
        if let Some(embeds) = j.get("embeds") {
            message.embeds = embeds.as_array().cloned().unwrap_or_default();
        }
        if let Some(components) = j.get("components") {
            message.components = components.as_array().cloned().unwrap_or_default();
        }
        if let Some(mentions) = j.get("allowed_mentions") {
            message.allowed_mentions = Some(mentions.clone());
        }
        if let Some(listed) = j.get("attachments").and_then(Value::as_array) {
            let keep: Vec<u64> = listed
                .iter()
                .filter_map(|a| a.get("id"))
                .filter_map(|id| match id {
                    Value::String(s) => s.parse().ok(),
                    Value::Number(n) => n.as_u64(),
                    _ => None,
                })
                .collect();
            message.attachments.retain(|a| keep.contains(&a.id));
        }
        for upload in &self.uploads {
            message.attachments.push(SimAttachment {
                id: next_id(),
                filename: upload.filename.clone(),
                bytes: upload.bytes.clone(),
            });
        }
    }
}
