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
click Next
click Stop
as admin
/settings log-channel channel:#facilitators
/guidelines set
form text=\"Be kind; what is shared here stays here.\"
as bob
post I cannot do this any more
as alice
menu Report to facilitators
form what=support share=no
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
        "Box breathing",
        "Round 1 · Breathe in",
        "Stopped",
        // Forms and message menus.
        "Haven opened a form: The group's guidelines",
        "Answer with: form text=",
        "Saved.",
        "bob posted: I cannot do this any more",
        "Haven opened a form: Report to facilitators",
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
