//! Guided exercises, stepped one button press at a time: box breathing and
//! 5-4-3-2-1 grounding. Plain words, no instruction to push through
//! discomfort, a way out at every step, and a gentle close.

use super::custom_id::ExerciseKind;

/// One step as shown: a heading and what to do, and for a breath how many
/// seconds it lasts (the exercise moves on by itself, so a button press
/// never stretches a breath or a hold).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Step {
    pub heading: &'static str,
    pub text: &'static str,
    pub seconds: Option<u8>,
}

const BREATHE: &[Step] = &[
    Step {
        heading: "Box breathing",
        text: "We'll breathe in a square: in for four, hold for four, out for four, hold for four, twice round. \
               Sit or stand however is comfortable. The holds are optional: if holding your breath feels uncomfortable, \
               skip them and just breathe slowly in and out. If anything feels uncomfortable, breathe normally or press Stop. \
               Press Start when you're ready; each step moves on by itself.",
        seconds: None,
    },
    Step {
        heading: "Round 1 · Breathe in",
        text: "Breathe in gently through your nose, counting slowly: 1, 2, 3, 4.",
        seconds: Some(4),
    },
    Step {
        heading: "Round 1 · Hold",
        text: "Hold that breath softly, without strain: 1, 2, 3, 4.",
        seconds: Some(4),
    },
    Step {
        heading: "Round 1 · Breathe out",
        text: "Let the breath go slowly through your mouth: 1, 2, 3, 4.",
        seconds: Some(4),
    },
    Step {
        heading: "Round 1 · Hold",
        text: "Rest with your lungs empty for a moment: 1, 2, 3, 4.",
        seconds: Some(4),
    },
    Step {
        heading: "Round 2 · Breathe in",
        text: "Once more, in through your nose: 1, 2, 3, 4.",
        seconds: Some(4),
    },
    Step {
        heading: "Round 2 · Hold",
        text: "Hold, shoulders loose: 1, 2, 3, 4.",
        seconds: Some(4),
    },
    Step {
        heading: "Round 2 · Breathe out",
        text: "And out, slowly: 1, 2, 3, 4.",
        seconds: Some(4),
    },
    Step {
        heading: "Round 2 · Hold",
        text: "Rest for a moment: 1, 2, 3, 4.",
        seconds: Some(4),
    },
];

const GENTLE: &[Step] = &[
    Step {
        heading: "Gentle breathing",
        text: "Breathing out a little longer than you breathe in helps the body settle. There is no holding your breath: \
               in for four, out for six, three times round. Sit or stand however is comfortable, and if anything feels \
               uncomfortable, breathe normally or press Stop. Press Start when you're ready; each step moves on by itself.",
        seconds: None,
    },
    Step {
        heading: "Round 1 · Breathe in",
        text: "Breathe in gently, through your nose if that's comfortable: 1, 2, 3, 4.",
        seconds: Some(4),
    },
    Step {
        heading: "Round 1 · Breathe out",
        text: "Let it go slowly, as if through a straw: 1, 2, 3, 4, 5, 6.",
        seconds: Some(6),
    },
    Step {
        heading: "Round 2 · Breathe in",
        text: "In again, softly: 1, 2, 3, 4.",
        seconds: Some(4),
    },
    Step {
        heading: "Round 2 · Breathe out",
        text: "And out, a little longer: 1, 2, 3, 4, 5, 6.",
        seconds: Some(6),
    },
    Step {
        heading: "Round 3 · Breathe in",
        text: "Once more, in: 1, 2, 3, 4.",
        seconds: Some(4),
    },
    Step {
        heading: "Round 3 · Breathe out",
        text: "And out, shoulders loose: 1, 2, 3, 4, 5, 6.",
        seconds: Some(6),
    },
];

const GROUND: &[Step] = &[
    Step {
        heading: "5-4-3-2-1 grounding",
        text: "This brings your attention back to where you are, through your senses. \
               Take your time with each step; there's no right answer. If a sense isn't available to you, skip it. \
               Press Next when you're ready, or Stop at any point.",
        seconds: None,
    },
    Step {
        heading: "5 things you can see",
        text: "Look around and name five things you can see. Small things count: a colour, a shadow, a crack in the ceiling.",
        seconds: None,
    },
    Step {
        heading: "4 things you can touch",
        text: "Notice four things you can feel: your feet on the floor, the fabric of your clothes, the chair under you, the air on your skin.",
        seconds: None,
    },
    Step {
        heading: "3 things you can hear",
        text: "Listen for three sounds, near or far: traffic, a fridge humming, your own breathing.",
        seconds: None,
    },
    Step {
        heading: "2 things you can smell",
        text: "Find two smells. If nothing comes, think of two smells you like.",
        seconds: None,
    },
    Step {
        heading: "1 thing you can taste",
        text: "Notice one taste, or take a sip of water and notice that.",
        seconds: None,
    },
];

/// How every exercise ends: gently, pointing to more help.
pub const CLOSE: &str = "Well done for taking this time for yourself. Notice how you feel now, without judging it. \
    You can come back to this whenever you like. `/toolkit` keeps strategies you've saved, and if you're struggling \
    right now, `/crisis` lists people you can talk to.";

/// What is said when someone stops part way.
pub const STOPPED: &str = "Stopped. That's completely fine; you can try again any time with `/breathe` or `/ground`. \
    If you're struggling right now, `/crisis` lists people you can talk to.";

pub fn steps(kind: ExerciseKind) -> &'static [Step] {
    match kind {
        ExerciseKind::Breathe => BREATHE,
        ExerciseKind::Gentle => GENTLE,
        ExerciseKind::Ground => GROUND,
    }
}

/// Whether the exercise moves on by itself once started (breathing, each
/// step lasting its seconds), rather than at each press (grounding, which
/// takes as long as it takes).
pub fn paced(kind: ExerciseKind) -> bool {
    steps(kind).iter().skip(1).all(|s| s.seconds.is_some())
}

/// The step `n` of an exercise, or `None` past its end (time for the close).
pub fn step(kind: ExerciseKind, n: u8) -> Option<Step> {
    steps(kind).get(usize::from(n)).copied()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::library::wording;

    #[test]
    fn every_step_is_gentle_and_the_close_points_to_help() {
        for kind in [
            ExerciseKind::Breathe,
            ExerciseKind::Gentle,
            ExerciseKind::Ground,
        ] {
            assert!(steps(kind).len() >= 6);
            for s in steps(kind) {
                assert_eq!(wording(s.heading, s.text), Vec::<String>::new());
                assert_eq!(wording(s.heading, s.heading), Vec::<String>::new());
                assert!(s.text.len() < 400);
            }
            assert!(step(kind, 200).is_none());
        }
        assert!(CLOSE.contains("/crisis") && CLOSE.contains("/toolkit"));
        for text in [CLOSE, STOPPED] {
            assert_eq!(wording("exercise", text), Vec::<String>::new());
        }
        assert!(BREATHE[0].text.contains("holds are optional"));
        assert!(GENTLE.iter().all(|s| !s.heading.contains("Hold")));
        assert!(GROUND[0].text.contains("skip it"));
        // Breathing keeps its own time; grounding waits for the member.
        for kind in [ExerciseKind::Breathe, ExerciseKind::Gentle] {
            assert!(paced(kind));
            assert!(steps(kind)[0].seconds.is_none());
            for s in &steps(kind)[1..] {
                let counted = s.text.rsplit(": ").next().unwrap_or_default();
                let count = counted.split(", ").count();
                assert_eq!(
                    Some(count as u8),
                    s.seconds,
                    "{}: a count a second",
                    s.heading
                );
            }
        }
        assert!(!paced(ExerciseKind::Ground));
        assert!(
            GENTLE[1..]
                .chunks(2)
                .all(|r| r[0].seconds == Some(4) && r[1].seconds == Some(6))
        );
        assert!(STOPPED.contains("/crisis"));
    }
}
