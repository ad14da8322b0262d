//! Completions complete what the commands take: event ids (`send`, `validate`, `schema`,
//! `replay --only`) and built-in scenario names (`flow`), while the commands still take any
//! spelling (ids match case-insensitively; an unknown one gets suggestions; a flow can be a
//! file).

mod support;

use support::*;

#[test]
fn completion_scripts_offer_event_ids_and_scenario_names() {
    // bash and zsh complete positional arguments too: EVENT and SCENARIO.
    for shell in ["bash", "zsh"] {
        let script = stdout_of(&["completions", shell]);
        for value in [
            "SessionBegin",
            "ChatBot.OnAssignHuman",
            "cec.read",
            "bot-to-human",
            "cec-chat",
        ] {
            assert!(script.contains(value), "{shell}: {value} is not offered");
        }
    }
    // clap_complete's fish script completes flag values only: the event ids come with
    // replay --only (its elvish and PowerShell scripts complete no values at all).
    let fish = stdout_of(&["completions", "fish"]);
    assert!(fish.contains("cec.read"), "fish: no event id for --only");
    // zsh and fish show each event's description next to its id.
    let fish = stdout_of(&["completions", "fish"]);
    assert!(
        fish.contains("cec.read\\t'"),
        "fish: no description for cec.read"
    );
}

#[test]
fn the_values_stay_open_as_before() {
    let r = run(&["send", "sessionbegin", "--dry-run"]);
    assert_code(&r, 0);
    let r = run(&["send", "SessionBegn", "--dry-run"]);
    assert_code(&r, 2);
    assert!(r.stderr.contains("SessionBegin"), "{}", r.dump());
    assert!(!r.stderr.contains("possible values"), "{}", r.dump());
    let help = stdout_of(&["send", "--help"]);
    assert!(
        !help.contains("cec.disconnect.offline"),
        "send --help lists every id:\n{help}"
    );
}
