//! Times are stored in UTC and shown in the town hall's time (Europe/Berlin).

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use chrono_tz::{Europe::Berlin, Tz};

pub fn local(at: DateTime<Utc>) -> DateTime<Tz> {
    at.with_timezone(&Berlin)
}

/// "02.12.2026, 14:05" in the town hall's time.
pub fn german(at: DateTime<Utc>) -> String {
    local(at).format("%d.%m.%Y, %H:%M").to_string()
}

/// The last second of `day` in the town hall's time: a deadline "until 24.12." ends then.
pub fn end_of_day(day: NaiveDate) -> DateTime<Utc> {
    let last_second = day.and_hms_opt(23, 59, 59).expect("a valid time");
    Berlin
        .from_local_datetime(&last_second)
        .latest()
        .expect("23:59:59 exists on every day in Berlin")
        .with_timezone(&Utc)
}

/// The first second of `day` in the town hall's time.
pub fn start_of_day(day: NaiveDate) -> DateTime<Utc> {
    end_of_day(day - chrono::Duration::days(1)) + chrono::Duration::seconds(1)
}

/// The day of `at` in the town hall's time.
pub fn local_day(at: DateTime<Utc>) -> NaiveDate {
    local(at).date_naive()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_day_ends_at_midnight_in_berlin_summer_or_winter() {
        let winter = NaiveDate::from_ymd_opt(2026, 12, 24).unwrap();
        assert_eq!(end_of_day(winter).to_rfc3339(), "2026-12-24T22:59:59+00:00");
        let summer = NaiveDate::from_ymd_opt(2026, 7, 1).unwrap();
        assert_eq!(end_of_day(summer).to_rfc3339(), "2026-07-01T21:59:59+00:00");
        assert_eq!(local_day(end_of_day(winter)), winter);
        assert_eq!(
            start_of_day(winter).to_rfc3339(),
            "2026-12-23T23:00:00+00:00"
        );
        assert_eq!(local_day(start_of_day(winter)), winter);
    }
}
