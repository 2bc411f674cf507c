//! Reads a slash command typed as in Discord (`/timezone set zone:Europe/Berlin`)
//! against the commands the bot registered, the way Discord's client does.

use serde_json::{Map, Value, json};

use super::world::World;

/// Why a typed command could not be sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct SlashError(pub String);

fn err<T>(msg: impl Into<String>) -> Result<T, SlashError> {
    Err(SlashError(msg.into()))
}

/// A typed command resolved against the registered schema.
#[derive(Debug, Clone)]
pub struct Parsed {
    pub command_id: u64,
    pub name: String,
    pub options: Value,
    pub resolved: Value,
}

const SUB_COMMAND: u64 = 1;
const SUB_COMMAND_GROUP: u64 = 2;

/// Parses `line` against `commands` (the registered command objects). With
/// `focus`, the last option given is marked as being typed (autocomplete).
pub fn parse(
    line: &str,
    commands: &[Value],
    world: &World,
    focus: bool,
) -> Result<Parsed, SlashError> {
    let tokens = match shlex::split(line.trim()) {
        Some(t) if !t.is_empty() => t,
        _ => return err("cannot read that line; check the quotes"),
    };
    let Some(name) = tokens[0].strip_prefix('/') else {
        return err("a command starts with /, like /help");
    };
    let Some(command) = commands.iter().find(|c| c["name"].as_str() == Some(name)) else {
        return err(format!("there is no command /{name}"));
    };
    let command_id = command["id"]
        .as_str()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);

    let mut schema: Vec<Value> = command["options"].as_array().cloned().unwrap_or_default();
    let mut path: Vec<String> = Vec::new();
    let mut rest = tokens[1..].iter().peekable();
    while schema
        .iter()
        .any(|o| matches!(o["type"].as_u64(), Some(SUB_COMMAND | SUB_COMMAND_GROUP)))
    {
        let Some(sub) = rest.next() else {
            let names: Vec<&str> = schema.iter().filter_map(|o| o["name"].as_str()).collect();
            return err(format!("/{name} needs one of: {}", names.join(", ")));
        };
        let Some(found) = schema
            .iter()
            .find(|o| o["name"].as_str() == Some(sub.as_str()))
        else {
            return err(format!("/{name} has no subcommand {sub}"));
        };
        path.push(sub.clone());
        schema = found["options"].as_array().cloned().unwrap_or_default();
    }

    // key:value pairs; a token that does not start a known option continues
    // the previous value, so `title:Tuesday group` needs no quotes.
    let mut given: Vec<(String, String)> = Vec::new();
    for token in rest {
        let known = token
            .split_once(':')
            .filter(|(key, _)| schema.iter().any(|o| o["name"].as_str() == Some(*key)));
        match (known, given.last_mut()) {
            (Some((key, value)), _) => given.push((key.to_owned(), value.to_owned())),
            (None, Some((_, value))) => {
                value.push(' ');
                value.push_str(token);
            }
            (None, None) => return err(format!("expected option:value, found {token:?}")),
        }
    }

    let mut resolved = Map::new();
    let mut options = Vec::new();
    let last = given.len().saturating_sub(1);
    for (i, (key, raw)) in given.iter().enumerate() {
        let spec = schema
            .iter()
            .find(|o| o["name"].as_str() == Some(key))
            .expect("checked above");
        let kind = spec["type"].as_u64().unwrap_or(3);
        let focused = focus && i == last;
        let choices = spec["choices"].as_array().filter(|c| !c.is_empty());
        let value = if focused {
            json!(raw)
        } else if let Some(choices) = choices {
            // Discord's client offers only the listed choices, sent by value.
            match choices.iter().find(|c| {
                c["name"]
                    .as_str()
                    .is_some_and(|n| n.eq_ignore_ascii_case(raw))
            }) {
                Some(choice) => choice["value"].clone(),
                None => {
                    let names: Vec<&str> =
                        choices.iter().filter_map(|c| c["name"].as_str()).collect();
                    return err(format!("{key} is one of: {}", names.join(", ")));
                }
            }
        } else {
            typed_value(kind, raw, world, &mut resolved)?
        };
        let mut option = json!({"name": key, "type": kind, "value": value});
        if focused {
            option["focused"] = json!(true);
        }
        options.push(option);
    }
    if !focus {
        for spec in &schema {
            let required = spec["required"].as_bool().unwrap_or(false);
            let key = spec["name"].as_str().unwrap_or_default();
            if required && !given.iter().any(|(k, _)| k == key) {
                return err(format!("/{name} {} needs {key}:", path.join(" ")));
            }
        }
    }

    let mut options = Value::Array(options);
    for sub in path.iter().rev() {
        options = json!([{"name": sub, "type": SUB_COMMAND, "options": options}]);
    }
    // A group wraps a subcommand: fix the outer types.
    if path.len() == 2 {
        options[0]["type"] = json!(SUB_COMMAND_GROUP);
    }
    Ok(Parsed {
        command_id,
        name: name.to_owned(),
        options,
        resolved: Value::Object(resolved),
    })
}

fn typed_value(
    kind: u64,
    raw: &str,
    world: &World,
    resolved: &mut Map<String, Value>,
) -> Result<Value, SlashError> {
    let entry = |resolved: &mut Map<String, Value>, key: &str, id: u64, v: Value| {
        resolved
            .entry(key.to_owned())
            .or_insert_with(|| json!({}))
            .as_object_mut()
            .expect("object")
            .insert(id.to_string(), v);
    };
    Ok(match kind {
        3 => json!(raw),
        4 => match raw.parse::<i64>() {
            Ok(n) => json!(n),
            Err(_) => return err(format!("{raw:?} is not a whole number")),
        },
        5 => match raw.to_ascii_lowercase().as_str() {
            "true" | "yes" | "on" => json!(true),
            "false" | "no" | "off" => json!(false),
            _ => return err(format!("{raw:?} is not true or false")),
        },
        10 => match raw.parse::<f64>() {
            Ok(n) => json!(n),
            Err(_) => return err(format!("{raw:?} is not a number")),
        },
        6 if raw.trim_start_matches('@') == world.bot_name => {
            // Haven itself, as Discord resolves a bot in a member option.
            let id = world.bot_id;
            entry(
                resolved,
                "users",
                id,
                super::payloads::user(id, &world.bot_name, true),
            );
            entry(
                resolved,
                "members",
                id,
                json!({
                    "roles": world.bot_roles.iter().map(u64::to_string).collect::<Vec<_>>(),
                    "joined_at": super::payloads::TIMESTAMP, "deaf": false, "mute": false,
                    "flags": 0, "pending": false, "nick": null, "avatar": null,
                    "premium_since": null, "communication_disabled_until": null,
                }),
            );
            json!(id.to_string())
        }
        6 => {
            let Some(m) = world.member(raw.trim_start_matches('@')) else {
                return err(format!("no member called {raw}"));
            };
            entry(
                resolved,
                "users",
                m.id,
                super::payloads::user(m.id, &m.name, false),
            );
            let mut member = super::payloads::member(world, m);
            member.as_object_mut().expect("object").remove("user");
            entry(resolved, "members", m.id, member);
            json!(m.id.to_string())
        }
        7 => {
            let Some(c) = world.channel(raw) else {
                return err(format!("no channel called {raw}"));
            };
            entry(
                resolved,
                "channels",
                c.id,
                json!({"id": c.id.to_string(), "name": c.name, "type": c.kind, "permissions": "2251799813685247"}),
            );
            json!(c.id.to_string())
        }
        8 => {
            let Some(r) = world.role(raw) else {
                return err(format!("no role called {raw}"));
            };
            let position = world
                .guild
                .roles
                .iter()
                .position(|x| x.id == r.id)
                .unwrap_or(0) as u16;
            entry(
                resolved,
                "roles",
                r.id,
                super::payloads::role(
                    world.guild.id,
                    r.id,
                    &r.name,
                    r.permissions,
                    position,
                    r.mentionable,
                ),
            );
            json!(r.id.to_string())
        }
        _ => json!(raw),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn commands() -> Vec<Value> {
        vec![
            json!({"id": "11", "name": "help", "options": []}),
            json!({"id": "12", "name": "timezone", "options": [
                {"type": 1, "name": "set", "options": [{"type": 3, "name": "zone", "required": true, "autocomplete": true}]},
                {"type": 1, "name": "show", "options": []},
            ]}),
            json!({"id": "13", "name": "settings", "options": [
                {"type": 1, "name": "facilitator-role", "options": [{"type": 8, "name": "role", "required": true}]},
                {"type": 1, "name": "min-group-size", "options": [{"type": 4, "name": "size", "required": true}]},
            ]}),
        ]
    }

    #[test]
    fn parses_subcommands_options_and_quotes() {
        let w = World::sandbox();
        let p = parse(
            r#"/timezone set zone:"America/New York""#,
            &commands(),
            &w,
            false,
        )
        .unwrap();
        assert_eq!(p.command_id, 12);
        assert_eq!(p.options[0]["name"], "set");
        assert_eq!(p.options[0]["options"][0]["value"], "America/New York");

        let p = parse("/settings min-group-size size:7", &commands(), &w, false).unwrap();
        assert_eq!(p.options[0]["options"][0]["value"], 7);

        let p = parse(
            "/settings facilitator-role role:@Facilitator",
            &commands(),
            &w,
            false,
        )
        .unwrap();
        let id = p.options[0]["options"][0]["value"]
            .as_str()
            .unwrap()
            .to_owned();
        assert_eq!(p.resolved["roles"][&id]["name"], "Facilitator");
    }

    #[test]
    fn refuses_what_discord_would_not_send() {
        let w = World::sandbox();
        for line in [
            "help",
            "/nope",
            "/timezone",
            "/timezone set",
            "/settings min-group-size size:x",
            "/timezone set zone:\"x",
        ] {
            assert!(parse(line, &commands(), &w, false).is_err(), "{line}");
        }
    }

    #[test]
    fn marks_the_last_option_focused_for_autocomplete() {
        let w = World::sandbox();
        let p = parse("/timezone set zone:berl", &commands(), &w, true).unwrap();
        assert_eq!(p.options[0]["options"][0]["focused"], true);
    }
}
