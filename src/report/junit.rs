//! The JUnit XML report: one test case per delivered callback.

use super::Interruption;
use crate::transport::{Delivery, Verdict};
use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};

/// The test case of one delivery.
pub fn case(index: u64, d: &Delivery) -> TestCase {
    let c = &d.callback;
    let status = match d.verdict() {
        Verdict::Ok => TestCaseStatus::success(),
        Verdict::Invalid => {
            let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
            let lines: Vec<String> = d.violations.iter().map(ToString::to_string).collect();
            s.set_message(lines.join("; "));
            s.set_type("invalid answer");
            s.set_description(lines.join("\n"));
            s
        }
        Verdict::Transport => {
            let mut s = TestCaseStatus::non_success(NonSuccessKind::Error);
            s.set_message(
                d.error
                    .as_ref()
                    .map(ToString::to_string)
                    .unwrap_or_default(),
            );
            s.set_type("transport error");
            s
        }
    };
    let name = match &d.context {
        Some(context) => format!("{index} {context} {}", c.event.id),
        None => format!("{index} {}", c.event.id),
    };
    let mut case = TestCase::new(name, status);
    if !d.warnings.is_empty() {
        let lines: Vec<String> = d.warnings.iter().map(|w| format!("warning: {w}")).collect();
        case.set_system_out(lines.join("\n"));
    }
    case.set_classname(format!(
        "deskhook.{}.{}",
        c.event.provider.as_str(),
        c.event.command
    ));
    case.set_time(d.latency);
    case
}

/// The error case that marks a run Ctrl-C ended early: a CI job that was cancelled must not
/// read as a pass.
pub fn interrupted_case(how: &Interruption) -> TestCase {
    let mut s = TestCaseStatus::non_success(NonSuccessKind::Error);
    s.set_message(format!("{how}: the run did not finish"));
    s.set_type("interrupted");
    let mut case = TestCase::new("interrupted", s);
    case.set_classname("deskhook.run");
    case
}

/// The whole report: one suite named `title`.
pub fn report(title: &str, cases: Vec<TestCase>) -> Result<String, quick_junit::SerializeError> {
    let mut report = Report::new("deskhook");
    let mut suite = TestSuite::new(title);
    suite.add_test_cases(cases);
    report.add_test_suite(suite);
    report.to_string()
}
