//! Hand-built timelines whose right answers are known.

use super::*;

const D: i64 = DAY;

fn ev(kind: EventKind, at: i64, detail: serde_json::Value) -> Event {
    Event::test(kind, at, detail)
}

fn check(at: i64, result: &str) -> Event {
    ev(
        EventKind::Checked,
        at,
        serde_json::json!({ "result": result }),
    )
}

fn notified(at: i64) -> Event {
    ev(EventKind::Notified, at, serde_json::json!({}))
}

fn resolved(at: i64, how: &str) -> Event {
    ev(
        EventKind::Resolved,
        at,
        serde_json::json!({ "resolution": how }),
    )
}

fn timeline(owner: &str, events: Vec<Event>) -> Timeline {
    let status = crate::ledger::model::SecretState::derive(&events).status;
    Timeline {
        rule_id: "github.pat.classic".into(),
        status,
        in_code: true,
        first_seen: 0,
        committed_at: None,
        owners: if owner.is_empty() {
            vec![]
        } else {
            vec![owner.into()]
        },
        services: vec![],
        repositories: vec!["r".into()],
        events: [
            vec![ev(EventKind::Detected, 0, serde_json::json!({}))],
            events,
        ]
        .concat(),
    }
}

#[test]
fn time_to_revoke_is_bounded_by_the_last_live_and_first_dead_check() {
    let t = timeline(
        "@a",
        vec![
            notified(D),
            check(2 * D, "active"),
            check(4 * D, "inactive"),
        ],
    );
    assert_eq!(
        t.revoke_bound(),
        Some(RevokeBound {
            lower: D,
            upper: 3 * D
        })
    );
    // No live check after notification: the lower bound is the notification itself.
    let t = timeline("@a", vec![notified(D), check(3 * D, "inactive")]);
    assert_eq!(
        t.revoke_bound(),
        Some(RevokeBound {
            lower: 0,
            upper: 2 * D
        })
    );
}

#[test]
fn unknown_and_error_checks_are_not_death() {
    let t = timeline(
        "@a",
        vec![notified(D), check(2 * D, "unknown"), check(3 * D, "error")],
    );
    assert_eq!(t.revoke_bound(), None);
    assert_eq!(t.survival(1, 10 * D), Some(Survival::Unknown));
}

#[test]
fn never_active_secrets_still_get_an_upper_bound() {
    // Dead at the first check after notification: the true moment may precede notification.
    let t = timeline("@a", vec![notified(D), check(D + 3600, "inactive")]);
    assert_eq!(
        t.revoke_bound(),
        Some(RevokeBound {
            lower: 0,
            upper: 3600
        })
    );
    assert!(!t.is_active());
}

#[test]
fn a_person_closing_as_revoked_bounds_it_when_no_check_did() {
    let t = timeline(
        "@a",
        vec![
            notified(D),
            check(2 * D, "active"),
            resolved(5 * D, "revoked"),
        ],
    );
    assert_eq!(
        t.revoke_bound(),
        Some(RevokeBound {
            lower: D,
            upper: 4 * D
        })
    );
    let fp = timeline("@a", vec![notified(D), resolved(2 * D, "false_positive")]);
    assert_eq!(
        fp.revoke_bound(),
        None,
        "a false positive was never revoked"
    );
}

#[test]
fn reopened_after_revocation_counts_its_first_episode_only() {
    let t = timeline(
        "@a",
        vec![
            notified(D),
            check(2 * D, "inactive"),
            resolved(2 * D, "revoked"),
            ev(EventKind::Reopened, 9 * D, serde_json::json!({})),
            notified(10 * D),
            check(30 * D, "inactive"),
        ],
    );
    assert_eq!(t.status, Status::Notified, "reopened, then told again");
    assert_eq!(t.revoke_bound(), Some(RevokeBound { lower: 0, upper: D }));
}

#[test]
fn survival_censors_recent_notifications() {
    let now = 20 * D;
    let recent = timeline("@a", vec![notified(18 * D), check(19 * D, "active")]);
    assert_eq!(recent.survival(5, now), Some(Survival::Censored));
    assert_eq!(recent.survival(1, now), Some(Survival::Alive));
    let dead = timeline("@b", vec![notified(D), check(3 * D, "inactive")]);
    assert_eq!(
        dead.survival(1, now),
        Some(Survival::Unknown),
        "no check said anything on day 1"
    );
    assert_eq!(dead.survival(5, now), Some(Survival::Dead));
    let silent = timeline("@c", vec![]);
    assert_eq!(silent.survival(5, now), None, "never notified");

    let all = [recent, dead, silent];
    let f = figures(&all, now, &[1, 5]);
    assert_eq!(
        f.survival[1],
        SurvivalCounts {
            days: 5,
            alive: 0,
            dead: 1,
            unknown: 0,
            censored: 1
        }
    );
    assert_eq!(f.survival[1].still_valid_share(), Some(0.0));
    assert_eq!(
        f.survival[0],
        SurvivalCounts {
            days: 1,
            alive: 1,
            dead: 0,
            unknown: 1,
            censored: 0
        }
    );
}

#[test]
fn figures_count_open_unowned_removed_and_quantiles() {
    let now = 100 * D;
    let mut gone = timeline("", vec![]);
    gone.in_code = false;
    gone.first_seen = 50 * D;
    let ttrs: Vec<Timeline> = (1..=10)
        .map(|i| {
            timeline(
                "@a",
                vec![
                    notified(0),
                    check(i * D, "inactive"),
                    resolved(i * D, "revoked"),
                ],
            )
        })
        .collect();
    let mut all = ttrs.clone();
    all.push(gone);
    let f = figures(&all, now, &[5]);
    assert_eq!(
        (f.secrets, f.open, f.unowned, f.removed_not_revoked),
        (11, 1, 1, 1)
    );
    assert_eq!(f.open_by_age, [0, 0, 0, 1, 0]);
    assert_eq!(f.ttr_upper_median, Some(5 * D));
    assert_eq!(f.ttr_upper_p90, Some(9 * D));
    assert_eq!(f.revoked_after_notice, 10);
}

#[test]
fn detect_and_notify_times_and_slices() {
    let mut t = timeline("@a", vec![notified(3 * D)]);
    t.first_seen = D;
    t.committed_at = Some(0);
    assert_eq!(
        (t.time_to_detect(), t.time_to_notify()),
        (Some(D), Some(2 * D))
    );
    let mut u = timeline("", vec![]);
    u.rule_id = "aws.access-key-id".into();
    let r = report(&[t, u], 10 * D, &[1], Slice::Provider);
    assert_eq!(r.slices.keys().collect::<Vec<_>>(), ["aws", "github"]);
    let by_owner = report(&r_timelines(), 10 * D, &[1], Slice::Owner);
    assert!(by_owner.slices.contains_key("(none)"));
}

fn r_timelines() -> Vec<Timeline> {
    vec![timeline("", vec![]), timeline("@a", vec![])]
}

#[test]
fn quantiles_use_nearest_rank() {
    assert_eq!(quantile(&[], 0.5), None);
    assert_eq!(quantile(&[7], 0.9), Some(7));
    assert_eq!(quantile(&[1, 2, 3, 4], 0.5), Some(2));
    assert_eq!(quantile(&[1, 2, 3, 4], 0.9), Some(4));
}
