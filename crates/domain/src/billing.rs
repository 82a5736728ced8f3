//! The rental calendar: period k of a number starts k calendar months after its purchase,
//! clamped to the end of shorter months (Jan 31 → Feb 28/29 → Mar 31), always counted from the
//! purchase instant so that a short month never shifts later periods.

use jiff::{Span, Timestamp, tz::TimeZone};

/// Start of period `index` (0 = the purchase itself).
pub fn period_start(purchased_at: Timestamp, index: u32) -> Timestamp {
    let start = purchased_at.to_zoned(TimeZone::UTC);
    start
        .checked_add(Span::new().months(i64::from(index)))
        .map(|z| z.timestamp())
        // Only reachable beyond the year 9999; saturate rather than panic.
        .unwrap_or(Timestamp::MAX)
}

/// One rental period of one number: `[start, end)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BillingPeriod {
    pub index: u32,
    pub start: Timestamp,
    pub end: Timestamp,
}

impl BillingPeriod {
    pub fn nth(purchased_at: Timestamp, index: u32) -> Self {
        BillingPeriod {
            index,
            start: period_start(purchased_at, index),
            end: period_start(purchased_at, index + 1),
        }
    }

    /// Every period that has begun by `now` and began before the release, in order.
    /// Period 0 always counts: it is paid at purchase.
    pub fn due(
        purchased_at: Timestamp,
        now: Timestamp,
        released_at: Option<Timestamp>,
    ) -> impl Iterator<Item = BillingPeriod> {
        (0u32..)
            .map(move |k| BillingPeriod::nth(purchased_at, k))
            .take_while(move |p| {
                p.index == 0
                    || (p.start <= now && released_at.is_none_or(|released| p.start < released))
            })
    }

    /// When the next period after the one containing `now` begins; `None` once released.
    pub fn next_renewal(
        purchased_at: Timestamp,
        now: Timestamp,
        released_at: Option<Timestamp>,
    ) -> Option<Timestamp> {
        if released_at.is_some() {
            return None;
        }
        let last = BillingPeriod::due(purchased_at, now, None).last()?;
        Some(last.end)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn month_ends_clamp_without_drifting() {
        let jan31 = ts("2027-01-31T10:00:00Z");
        assert_eq!(period_start(jan31, 1), ts("2027-02-28T10:00:00Z"));
        assert_eq!(period_start(jan31, 2), ts("2027-03-31T10:00:00Z"));
        assert_eq!(period_start(jan31, 3), ts("2027-04-30T10:00:00Z"));
    }

    #[test]
    fn leap_years_keep_february_29() {
        let jan31 = ts("2028-01-31T00:00:00Z");
        assert_eq!(period_start(jan31, 1), ts("2028-02-29T00:00:00Z"));
        let feb29 = ts("2028-02-29T12:00:00Z");
        assert_eq!(period_start(feb29, 12), ts("2029-02-28T12:00:00Z"));
        assert_eq!(period_start(feb29, 48), ts("2032-02-29T12:00:00Z"));
    }

    #[test]
    fn month_end_chain_over_24_months() {
        let start = ts("2027-01-31T08:30:00Z");
        let expected_days = [
            31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31,
            30, 31,
        ];
        for (k, day) in expected_days.iter().enumerate() {
            let z = period_start(start, k as u32).to_zoned(TimeZone::UTC);
            assert_eq!(i32::from(z.day()), *day, "period {k}");
            assert_eq!((z.hour(), z.minute()), (8, 30));
        }
    }

    #[test]
    fn last_second_of_the_month() {
        let t = ts("2027-04-30T23:59:59Z");
        assert_eq!(period_start(t, 1), ts("2027-05-30T23:59:59Z"));
        let t = ts("2027-12-31T23:59:59Z");
        assert_eq!(period_start(t, 2), ts("2028-02-29T23:59:59Z"));
    }

    #[test]
    fn due_periods_stop_at_release() {
        let bought = ts("2027-01-15T00:00:00Z");
        let now = ts("2027-06-01T00:00:00Z");
        assert_eq!(BillingPeriod::due(bought, now, None).count(), 5);
        let released = ts("2027-03-10T00:00:00Z");
        assert_eq!(BillingPeriod::due(bought, now, Some(released)).count(), 2);
        // Released before the first renewal: only the period paid at purchase.
        let early = ts("2027-01-16T00:00:00Z");
        assert_eq!(BillingPeriod::due(bought, now, Some(early)).count(), 1);
    }

    #[test]
    fn next_renewal_is_the_end_of_the_current_period() {
        let bought = ts("2027-01-31T00:00:00Z");
        assert_eq!(
            BillingPeriod::next_renewal(bought, ts("2027-02-01T00:00:00Z"), None),
            Some(ts("2027-02-28T00:00:00Z"))
        );
        assert_eq!(
            BillingPeriod::next_renewal(bought, bought, Some(bought)),
            None
        );
    }
}
