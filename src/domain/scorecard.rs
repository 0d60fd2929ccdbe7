//! The Decision 766/QĐ-TTg scorecard: the five indicators a province and each of its agencies
//! are ranked on in real time, computed from the counts of a period's dossiers (DOMAIN.md "The
//! Decision 766 scorecard"). What a dossier must be to fall in each count is decided by the store
//! (`store::scorecard`, one SQL condition per count); the formulas are here, once.
//!
//! - Progress = `progress_points` × on-time ratio; the ratio is (resolved in the period early or on
//!   time, with at most one supplement request) ÷ (resolved in the period + open at its end and
//!   overdue then; paused dossiers are in neither).
//! - Online = `online_points` × min(1, online share ÷ `online_target`).
//! - Digitisation = `digitisation_points` × min(1, digitised share ÷ `digitisation_target`).
//! - Satisfaction = `satisfaction_points` × min(1, score ÷ `satisfaction_target`), score = 1 −
//!   (1 − on-time ratio) − dissatisfied share, never below 0.
//! - Synchronised = `sync_points` × synchronised share; 0 points when synchronisation with the
//!   national portal is not configured.
//!
//! A share whose denominator is empty is 1 and says `empty`; inside the satisfaction score an
//! empty dissatisfied share counts as 0. `points` are rounded to two decimals from the unrounded
//! `value`; a card's `total_points` is the sum of its indicators' rounded points, so that it adds
//! up as printed.

use serde::{Deserialize, Serialize};

/// The weights (points) and thresholds of the decision, configurable because it is revised
/// from time to time (`[scorecard]`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Weights {
    pub progress_points: f64,
    pub online_points: f64,
    /// The online share that earns every online point.
    pub online_target: f64,
    pub digitisation_points: f64,
    /// The digitised share that earns every digitisation point.
    pub digitisation_target: f64,
    pub satisfaction_points: f64,
    /// The satisfaction score that earns every satisfaction point.
    pub satisfaction_target: f64,
    pub sync_points: f64,
}

impl Default for Weights {
    fn default() -> Self {
        Weights {
            progress_points: 20.0,
            online_points: 12.0,
            online_target: 0.5,
            digitisation_points: 22.0,
            digitisation_target: 0.8,
            satisfaction_points: 18.0,
            satisfaction_target: 0.9,
            sync_points: 6.0,
        }
    }
}

impl Weights {
    /// Points are finite and not negative; targets lie in (0, 1]. Names the first wrong key.
    pub fn check(&self) -> Result<(), String> {
        for (key, points) in [
            ("progress_points", self.progress_points),
            ("online_points", self.online_points),
            ("digitisation_points", self.digitisation_points),
            ("satisfaction_points", self.satisfaction_points),
            ("sync_points", self.sync_points),
        ] {
            if !points.is_finite() || !(0.0..=1000.0).contains(&points) {
                return Err(format!(
                    "scorecard.{key} must be between 0 and 1000, not {points}"
                ));
            }
        }
        for (key, target) in [
            ("online_target", self.online_target),
            ("digitisation_target", self.digitisation_target),
            ("satisfaction_target", self.satisfaction_target),
        ] {
            if !target.is_finite() || target <= 0.0 || target > 1.0 {
                return Err(format!(
                    "scorecard.{key} must be a share above 0 and at most 1, not {target}"
                ));
            }
        }
        Ok(())
    }

    pub fn max_points(&self) -> f64 {
        round2(
            self.progress_points
                + self.online_points
                + self.digitisation_points
                + self.satisfaction_points
                + self.sync_points,
        )
    }
}

/// The counts of one row (an office, or the total pooling the rows).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    /// Received in the period.
    pub received: i64,
    /// Of those, received online.
    pub received_online: i64,
    /// Of those, synchronised with the national portal by the period's end.
    pub received_synced: i64,
    /// Resolved in the period (a result, whatever its outcome).
    pub resolved: i64,
    /// Of those, early or on time and with at most one supplement request.
    pub resolved_on_time: i64,
    /// Of those, with a file for every required component and a result file by the period's end.
    pub resolved_digitised: i64,
    /// Of those, rated `dissatisfied` or complained about by the period's end.
    pub resolved_dissatisfied: i64,
    /// Open at the period's end, not paused then, and past their deadline then.
    pub open_overdue: i64,
}

impl std::ops::AddAssign for Counts {
    fn add_assign(&mut self, o: Counts) {
        self.received += o.received;
        self.received_online += o.received_online;
        self.received_synced += o.received_synced;
        self.resolved += o.resolved;
        self.resolved_on_time += o.resolved_on_time;
        self.resolved_digitised += o.resolved_digitised;
        self.resolved_dissatisfied += o.resolved_dissatisfied;
        self.open_overdue += o.open_overdue;
    }
}

/// One indicator: the share (or score) and the counts behind it, so a supervisor can check it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Indicator {
    /// The unrounded share in [0, 1] (for satisfaction: the score).
    pub value: f64,
    /// The points earned, rounded to two decimals.
    pub points: f64,
    pub max_points: f64,
    pub numerator: i64,
    pub denominator: i64,
    /// The denominator is empty: the share counts as 1.
    pub empty: bool,
    /// Why the points are not what the value gives (synchronisation not configured).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// The five indicators of one row.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Card {
    pub progress: Indicator,
    pub online: Indicator,
    pub digitisation: Indicator,
    pub satisfaction: Indicator,
    pub sync: Indicator,
    pub total_points: f64,
    pub max_points: f64,
}

/// What the card says when the national portal is not configured.
pub const SYNC_OFF: &str = "synchronisation with the national portal is not configured";

fn round2(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

/// numerator ÷ denominator, 1 when the denominator is empty.
fn share(numerator: i64, denominator: i64) -> (f64, bool) {
    if denominator <= 0 {
        (1.0, true)
    } else {
        (
            (numerator as f64 / denominator as f64).clamp(0.0, 1.0),
            false,
        )
    }
}

fn indicator(value: f64, earned: f64, max: f64, n: i64, d: i64, empty: bool) -> Indicator {
    Indicator {
        value,
        points: round2(earned.clamp(0.0, max)),
        max_points: max,
        numerator: n,
        denominator: d,
        empty,
        note: None,
    }
}

/// The card of one row. `sync_configured`: whether the deployment synchronises with the
/// national portal (otherwise the indicator earns nothing and says so).
pub fn card(c: &Counts, w: &Weights, sync_configured: bool) -> Card {
    let progress_d = c.resolved + c.open_overdue;
    let (on_time, progress_empty) = share(c.resolved_on_time, progress_d);
    let progress = indicator(
        on_time,
        w.progress_points * on_time,
        w.progress_points,
        c.resolved_on_time,
        progress_d,
        progress_empty,
    );

    let (online_share, online_empty) = share(c.received_online, c.received);
    let online = indicator(
        online_share,
        w.online_points * (online_share / w.online_target).min(1.0),
        w.online_points,
        c.received_online,
        c.received,
        online_empty,
    );

    let (digitised, digitised_empty) = share(c.resolved_digitised, c.resolved);
    let digitisation = indicator(
        digitised,
        w.digitisation_points * (digitised / w.digitisation_target).min(1.0),
        w.digitisation_points,
        c.resolved_digitised,
        c.resolved,
        digitised_empty,
    );

    // The satisfaction indicator's counts are its dissatisfied share's; the on-time ratio in
    // its score is the progress indicator's.
    let (dissatisfied, dissatisfied_empty) = if c.resolved <= 0 {
        (0.0, true)
    } else {
        share(c.resolved_dissatisfied, c.resolved)
    };
    let score = (1.0 - (1.0 - on_time) - dissatisfied).max(0.0);
    let satisfaction = indicator(
        score,
        w.satisfaction_points * (score / w.satisfaction_target).min(1.0),
        w.satisfaction_points,
        c.resolved_dissatisfied,
        c.resolved,
        dissatisfied_empty,
    );

    let (synced, sync_empty) = share(c.received_synced, c.received);
    let mut sync = indicator(
        synced,
        if sync_configured {
            w.sync_points * synced
        } else {
            0.0
        },
        w.sync_points,
        c.received_synced,
        c.received,
        sync_empty,
    );
    if !sync_configured {
        sync.note = Some(SYNC_OFF.into());
    }

    let total_points = round2(
        progress.points + online.points + digitisation.points + satisfaction.points + sync.points,
    );
    Card {
        progress,
        online,
        digitisation,
        satisfaction,
        sync,
        total_points,
        max_points: w.max_points(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counts() -> Counts {
        Counts {
            received: 10,
            received_online: 3,
            received_synced: 9,
            resolved: 8,
            resolved_on_time: 6,
            resolved_digitised: 4,
            resolved_dissatisfied: 1,
            open_overdue: 2,
        }
    }

    #[test]
    fn each_indicator_follows_its_formula() {
        let c = card(&counts(), &Weights::default(), true);
        // 6 of (8 + 2) on time.
        assert_eq!((c.progress.numerator, c.progress.denominator), (6, 10));
        assert!((c.progress.value - 0.6).abs() < 1e-12);
        assert_eq!(c.progress.points, 12.0);
        // 3 of 10 online, against a target of half: 12 × 0.6.
        assert!((c.online.value - 0.3).abs() < 1e-12);
        assert_eq!(c.online.points, 7.2);
        // 4 of 8 digitised, against 0.8: 22 × 0.625.
        assert_eq!(c.digitisation.points, 13.75);
        // 1 − 0.4 − 1/8 = 0.475; 18 × 0.475 / 0.9 = 9.5.
        assert!((c.satisfaction.value - 0.475).abs() < 1e-12);
        assert_eq!(c.satisfaction.points, 9.5);
        assert_eq!(
            (c.satisfaction.numerator, c.satisfaction.denominator),
            (1, 8)
        );
        // 9 of 10 synchronised: 6 × 0.9.
        assert_eq!(c.sync.points, 5.4);
        assert_eq!(c.total_points, 12.0 + 7.2 + 13.75 + 9.5 + 5.4);
        assert_eq!(c.max_points, 78.0);
    }

    #[test]
    fn a_share_above_its_target_earns_every_point_and_no_more() {
        let c = card(
            &Counts {
                received: 4,
                received_online: 4,
                resolved: 4,
                resolved_on_time: 4,
                resolved_digitised: 4,
                received_synced: 4,
                ..Counts::default()
            },
            &Weights::default(),
            true,
        );
        assert_eq!(c.online.points, 12.0);
        assert_eq!(c.online.value, 1.0);
        assert_eq!(c.digitisation.points, 22.0);
        assert_eq!(c.satisfaction.points, 18.0);
        assert_eq!(c.total_points, 78.0);
    }

    #[test]
    fn nothing_received_or_resolved_is_full_points_and_says_empty() {
        let c = card(&Counts::default(), &Weights::default(), true);
        for i in [
            &c.progress,
            &c.online,
            &c.digitisation,
            &c.satisfaction,
            &c.sync,
        ] {
            assert!(i.empty, "{i:?}");
            assert_eq!(i.value, 1.0);
            assert_eq!(i.points, i.max_points);
        }
        assert_eq!(c.total_points, 78.0);
    }

    #[test]
    fn only_overdue_open_dossiers_give_no_progress_and_no_satisfaction() {
        let c = card(
            &Counts {
                open_overdue: 3,
                ..Counts::default()
            },
            &Weights::default(),
            true,
        );
        assert!(!c.progress.empty);
        assert_eq!(c.progress.points, 0.0);
        // The dissatisfied share is empty (nothing resolved), counted as 0; the score is 0.
        assert!(c.satisfaction.empty);
        assert_eq!(c.satisfaction.value, 0.0);
        assert_eq!(c.satisfaction.points, 0.0);
    }

    #[test]
    fn the_satisfaction_score_never_falls_below_zero() {
        let c = card(
            &Counts {
                resolved: 4,
                resolved_on_time: 1,
                resolved_dissatisfied: 4,
                ..Counts::default()
            },
            &Weights::default(),
            true,
        );
        assert_eq!(c.satisfaction.value, 0.0);
        assert_eq!(c.satisfaction.points, 0.0);
    }

    #[test]
    fn without_synchronisation_the_card_earns_nothing_for_it_and_says_why() {
        let c = card(&counts(), &Weights::default(), false);
        assert_eq!(c.sync.points, 0.0);
        assert_eq!(c.sync.note.as_deref(), Some(SYNC_OFF));
        assert!((c.sync.value - 0.9).abs() < 1e-12);
    }

    #[test]
    fn weights_are_configuration_and_checked() {
        let w = Weights {
            progress_points: 30.0,
            ..Weights::default()
        };
        assert_eq!(card(&counts(), &w, true).progress.points, 18.0);
        assert_eq!(w.max_points(), 88.0);
        assert!(Weights::default().check().is_ok());
        let bad = Weights {
            online_target: 0.0,
            ..Weights::default()
        };
        assert!(bad.check().unwrap_err().contains("scorecard.online_target"));
        let bad = Weights {
            sync_points: -1.0,
            ..Weights::default()
        };
        assert!(bad.check().unwrap_err().contains("scorecard.sync_points"));
    }

    #[test]
    fn pooled_counts_are_the_sums_of_the_rows() {
        let mut total = Counts::default();
        total += counts();
        total += counts();
        assert_eq!(total.resolved, 16);
        assert_eq!(total.open_overdue, 4);
        let c = card(&total, &Weights::default(), true);
        assert_eq!(c.progress.denominator, 20);
    }
}
