//! Times are stored in UTC and shown in the town hall's time (Europe/Berlin).

use chrono::{DateTime, Utc};
use chrono_tz::{Europe::Berlin, Tz};

pub fn local(at: DateTime<Utc>) -> DateTime<Tz> {
    at.with_timezone(&Berlin)
}

/// "02.12.2026, 14:05" in the town hall's time.
pub fn german(at: DateTime<Utc>) -> String {
    local(at).format("%d.%m.%Y, %H:%M").to_string()
}
