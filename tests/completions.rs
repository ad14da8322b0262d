//! The committed completion scripts under `completions/` are exactly what
//! `deskhook completions <shell>` prints. After a change to the command line, regenerate them:
//!
//! ```sh
//! UPDATE_COMPLETIONS=1 cargo test --test completions
//! ```

mod support;

use support::{deskhook, manifest_dir};

/// (shell name for `deskhook completions`, committed file under `completions/`).
const SCRIPTS: [(&str, &str); 5] = [
    ("bash", "deskhook.bash"),
    ("zsh", "_deskhook"),
    ("fish", "deskhook.fish"),
    ("powershell", "_deskhook.ps1"),
    ("elvish", "deskhook.elv"),
];

fn updating() -> bool {
    std::env::var_os("UPDATE_COMPLETIONS").is_some_and(|v| !v.is_empty() && v != "0")
}

#[test]
fn committed_completion_scripts_are_up_to_date() {
    let mut stale = Vec::new();
    for (shell, file) in SCRIPTS {
        let out = deskhook()
            .args(["completions", shell])
            .output()
            .expect("deskhook runs");
        assert!(
            out.status.success(),
            "deskhook completions {shell} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(!out.stdout.is_empty(), "empty {shell} script");
        let path = manifest_dir().join("completions").join(file);
        let committed = std::fs::read(&path).unwrap_or_default();
        if committed == out.stdout {
            continue;
        }
        if updating() {
            std::fs::create_dir_all(path.parent().unwrap()).expect("create completions/");
            std::fs::write(&path, &out.stdout)
                .unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
        } else {
            stale.push(format!("completions/{file} ({shell})"));
        }
    }
    assert!(
        stale.is_empty(),
        "out of date: {}.\nThe command line changed; regenerate the committed scripts with\n    \
         UPDATE_COMPLETIONS=1 cargo test --test completions",
        stale.join(", ")
    );
}

#[test]
fn scripts_mention_the_commands_and_flags() {
    for (shell, file) in SCRIPTS {
        let text = std::fs::read_to_string(manifest_dir().join("completions").join(file))
            .unwrap_or_else(|e| panic!("completions/{file} ({shell}): {e}"));
        for word in ["deskhook", "send", "listen", "verify", "token", "dry-run"] {
            assert!(text.contains(word), "completions/{file} lacks {word:?}");
        }
    }
}
