//! What a handler answers with: a press's [`Reply`], and a message's
//! [`View`] (content, embeds, buttons). Shared by every feature, so none
//! needs the router to say what it shows.

use poise::serenity_prelude as serenity;

/// What a handler wants shown in answer to a press.
#[derive(Debug, Clone)]
pub enum Reply {
    /// A new message only the presser sees.
    Ephemeral(String),
    /// Replace the message the button was on (its buttons go).
    Replace(String),
    /// A new message only the presser sees, with embeds and buttons.
    EphemeralView(View),
    /// Replace the message the button was on with this.
    Update(View),
    /// Open a form (only as the first answer to a press).
    Form(serenity::CreateModal),
}

/// A message's content, embeds and buttons.
#[derive(Debug, Clone, Default)]
pub struct View {
    pub content: Option<String>,
    pub embeds: Vec<serenity::CreateEmbed>,
    pub components: Vec<serenity::CreateActionRow>,
}

impl View {
    pub fn text(text: impl Into<String>) -> Self {
        Self {
            content: Some(text.into()),
            ..Self::default()
        }
    }

    pub fn embed(embed: serenity::CreateEmbed) -> Self {
        Self {
            embeds: vec![embed],
            ..Self::default()
        }
    }

    pub fn with_content(mut self, content: impl Into<String>) -> Self {
        self.content = Some(content.into());
        self
    }

    pub fn with_components(mut self, components: Vec<serenity::CreateActionRow>) -> Self {
        self.components = components;
        self
    }

    /// As a reply to a command, only for the member.
    pub fn ephemeral_reply(self) -> poise::CreateReply {
        let mut reply = poise::CreateReply::default()
            .ephemeral(true)
            .components(self.components);
        if let Some(c) = self.content {
            reply = reply.content(c);
        }
        for e in self.embeds {
            reply = reply.embed(e);
        }
        reply
    }

    /// As an edit of an interaction's answer.
    pub(super) fn edit(self) -> serenity::EditInteractionResponse {
        serenity::EditInteractionResponse::new()
            .content(self.content.unwrap_or_default())
            .embeds(self.embeds)
            .components(self.components)
    }

    pub(super) fn message(self) -> serenity::CreateInteractionResponseMessage {
        serenity::CreateInteractionResponseMessage::new()
            .content(self.content.unwrap_or_default())
            .embeds(self.embeds)
            .components(self.components)
    }
}
