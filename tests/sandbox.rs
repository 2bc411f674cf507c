//! `haven sandbox` driven by a script on standard input.

use std::io::Write;
use std::process::{Command, Stdio};

#[test]
fn a_scripted_sandbox_session() {
    let dir = tempfile::tempdir().unwrap();
    let script = "\
/help
/timezone set zone:Europe/Berlin
/timezone set zone:Europe/Berln
complete /timezone set zone:new_y
/settings min-group-size size:7
as admin
/settings min-group-size size:7
as facilitator
/settings show
as alice
/privacy forget
click Delete my data
/privacy show
advance 2h
time
messages
as facilitator
/meeting create title:Circle when:\"2027-03-09 18:00\" timezone:UTC reminders:10m
advance 5h
/prompt schedule channel:#general time:09:00
advance 1d
/breathe
click Start
advance 4s
click Stop
as admin
/settings events enabled:true
events
voice join #Meeting room
voice leave
/settings log-channel channel:#facilitators
/guidelines set
form text=\"Be kind; what is shared here stays here.\"
as bob
post I cannot do this any more
as alice
menu Report to facilitators
choose someone may need support
form share=no
as facilitator
menu Needs a content warning
dms bob
nonsense
/nope
quit
";
    let mut child = Command::new(env!("CARGO_BIN_EXE_haven"))
        .args(["sandbox", "--start", "2027-03-09T12:00:00Z", "--db"])
        .arg(dir.path().join("sandbox.db"))
        .env_remove("RUST_LOG")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(script.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "stdout:\n{stdout}\nstderr:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let expect = [
        "Haven sandbox",
        "> /help",
        "Haven (only you can see this):",
        "/privacy forget",
        "Your time zone is now **Europe/Berlin**. It's 13:00 on Tuesday 9 March there now.",
        "Did you mean `Europe/Berlin`",
        "America/New_York (07:00 now)",
        "Only members with the Manage Server permission",
        "You are now admin.",
        "at least **7** people",
        "| Server settings",
        "[Delete my data] [Keep it]",
        "Everything Haven stored about you has been deleted",
        "Nothing at all.",
        "The clock now reads 2027-03-09 14:00:00 UTC.",
        "#general has no messages yet.",
        "Scheduled **Circle** as **meeting #1**.",
        "Haven in #general:",
        "[Going] [Maybe] [Can't make it]",
        "**Circle** starts in 10m (Tuesday 9 March 2027 18:00 UTC).",
        "Haven updated its message in #general:",
        "This meeting series has ended.",
        "The clock now reads 2027-03-09 19:00:00 UTC.",
        "I'll post a discussion prompt in #general every day at 09:00 UTC time.",
        "Haven in #general:",
        "Discussion prompt",
        "The clock now reads 2027-03-10 19:00:00 UTC.",
        "Gentle breathing",
        "Round 1 · Breathe in",
        "Haven updated its message (only you can see this)",
        "Round 1 · Breathe out",
        "Stopped",
        "Meetings are now listed in Discord's Events tab",
        "No scheduled events.",
        "admin joined voice in #Meeting room.",
        "admin left voice.",
        // Forms and message menus.
        "Haven opened a form: The group's guidelines",
        "Answer with: form text=",
        "Saved.",
        "bob posted: I cannot do this any more",
        "What would you like the facilitators to know",
        "Haven opened a form: Report: someone may need support",
        "Thank you for telling us",
        "Haven in #facilitators:",
        "someone may need support",
        "the message is removed",
        "DM to bob:",
        "Here is your text",
        "I don't know that. Type `help`",
        "Discord would not send that: there is no command /nope.",
    ];
    let mut from = 0;
    for line in expect {
        match stdout[from..].find(line) {
            Some(at) => from += at + line.len(),
            None => panic!("expected {line:?} after byte {from} of:\n{stdout}"),
        }
    }
    // The facilitator role and log channel come pre-set and are shown readably.
    assert!(
        stdout.contains("@Facilitator") && stdout.contains("#facilitators"),
        "{stdout}"
    );
}

/// The sandbox's output for a script, started at 2027-03-09 12:00 UTC.
fn sandbox_output(script: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_haven"))
        .args(["sandbox", "--start", "2027-03-09T12:00:00Z", "--db"])
        .arg(dir.path().join("sandbox.db"))
        .env_remove("RUST_LOG")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(script.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "stdout:\n{stdout}\nstderr:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

#[test]
fn an_admin_acts_by_hand_in_discord() {
    let stdout = sandbox_output(
        "\
discord slowmode 30
as admin
discord slowmode 30
discord ban @bob Spamming links
discord ban @bob
discord unban bob
discord timeout @casey 10m
discord timeout @casey 29d
discord deny-view #meetings
discord allow-send #announcements
discord allow-send #announcements
as dana
post hello there
as admin
discord delete last
discord delete 12
discord slowmode soon
discord nonsense
quit
",
    );
    let expect = [
        "Discord would refuse: alice is neither the server's owner",
        "You are now admin.",
        "admin in Discord: set slowmode in #general to 30 seconds.",
        "admin in Discord: banned bob (reason: Spamming links).",
        "bob is already banned.",
        "admin in Discord: lifted bob's ban.",
        "admin in Discord: timed casey out until 2027-03-09 12:10 UTC.",
        "Discord would refuse: a timeout lasts at most 28 days.",
        "admin in Discord: denied View Channel to @everyone in #meetings.",
        "admin in Discord: cleared @everyone's Send Messages deny in #announcements.",
        "@everyone's Send Messages is not denied in #announcements; nothing to change.",
        "dana posted: hello there",
        "admin in Discord: deleted message",
        "There is no message 12 in the server",
        "Say how many seconds",
        "What should happen in Discord?",
        "discord ban @bob [reason]",
    ];
    let mut from = 0;
    for line in expect {
        match stdout[from..].find(line) {
            Some(at) => from += at + line.len(),
            None => panic!("expected {line:?} after byte {from} of:\n{stdout}"),
        }
    }
}
