use std::fmt;

use serde::{Deserialize, Serialize};

/// A calendar date as careers are remembered: a year and month, with the day
/// when it is known ("2019-04" or "2019-04-01").
///
/// Serialised as its text form ("2019-04", "2019-04-01").
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PartialDate {
    /// Four-digit year, 1900 to 2200.
    pub year: u16,
    /// Month, 1 to 12.
    pub month: u8,
    /// Day of month when known.
    pub day: Option<u8>,
}

/// Why a date string was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DateError {
    /// The text is not `YYYY-MM` or `YYYY-MM-DD`.
    #[error("expected YYYY-MM or YYYY-MM-DD")]
    Format,
    /// The parts parse but do not name a real date in the accepted range.
    #[error("not a valid calendar date between 1900 and 2200")]
    OutOfRange,
}

impl PartialDate {
    /// Parses `YYYY-MM` or `YYYY-MM-DD`, checking that the date exists.
    pub fn parse(text: &str) -> Result<Self, DateError> {
        let parts: Vec<&str> = text.split('-').collect();
        let digits = |s: &str, len: usize| s.len() == len && s.bytes().all(|b| b.is_ascii_digit());
        let (year, month, day) = match parts.as_slice() {
            [y, m] if digits(y, 4) && digits(m, 2) => (y, m, None),
            [y, m, d] if digits(y, 4) && digits(m, 2) && digits(d, 2) => (y, m, Some(d)),
            _ => return Err(DateError::Format),
        };
        let year: u16 = year.parse().map_err(|_| DateError::Format)?;
        let month: u8 = month.parse().map_err(|_| DateError::Format)?;
        let day: Option<u8> = match day {
            Some(d) => Some(d.parse().map_err(|_| DateError::Format)?),
            None => None,
        };
        if !(1900..=2200).contains(&year) || !(1..=12).contains(&month) {
            return Err(DateError::OutOfRange);
        }
        if let Some(day) = day {
            let month_enum = time::Month::try_from(month).map_err(|_| DateError::OutOfRange)?;
            if day == 0 || day > month_enum.length(i32::from(year)) {
                return Err(DateError::OutOfRange);
            }
        }
        Ok(Self { year, month, day })
    }

    /// Months since year 0, for differences between dates.
    pub fn month_index(&self) -> i64 {
        i64::from(self.year) * 12 + i64::from(self.month) - 1
    }

    /// Whole and fractional years from `self` to `later` (negative when `later` is earlier).
    pub fn years_until(&self, later: &PartialDate) -> f64 {
        (later.month_index() - self.month_index()) as f64 / 12.0
    }

    /// The date of a timestamp (UTC), as year and month only.
    pub fn from_timestamp(ts: Timestamp) -> Self {
        let datetime =
            time::OffsetDateTime::from_unix_timestamp(ts.seconds).unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
        Self {
            year: datetime.year().clamp(1900, 2200) as u16,
            month: u8::from(datetime.month()),
            day: Some(datetime.day()),
        }
    }
}

impl Serialize for PartialDate {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for PartialDate {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        PartialDate::parse(&text).map_err(|e| serde::de::Error::custom(format!("date {text:?}: {e}")))
    }
}

impl fmt::Display for PartialDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.day {
            Some(day) => write!(f, "{:04}-{:02}-{:02}", self.year, self.month, day),
            None => write!(f, "{:04}-{:02}", self.year, self.month),
        }
    }
}

/// An instant in UTC, as protobuf's `Timestamp` carries it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Timestamp {
    /// Seconds since the Unix epoch.
    pub seconds: i64,
    /// Nanoseconds within the second, 0 to 999,999,999.
    pub nanos: i32,
}

impl Timestamp {
    /// The current time.
    pub fn now() -> Self {
        let now = time::OffsetDateTime::now_utc();
        Self {
            seconds: now.unix_timestamp(),
            nanos: now.nanosecond() as i32,
        }
    }

    /// Seconds of 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z: protobuf's
    /// Timestamp range, which every stored timestamp must fall in.
    pub const VALID_SECONDS: std::ops::RangeInclusive<i64> = Self::MIN_SECONDS..=Self::MAX_SECONDS;
    /// Seconds of 0001-01-01T00:00:00Z.
    pub const MIN_SECONDS: i64 = -62_135_596_800;
    /// Seconds of 9999-12-31T23:59:59Z.
    pub const MAX_SECONDS: i64 = 253_402_300_799;

    /// What is wrong with the timestamp, if anything: out of protobuf's year 1 to
    /// 9999 range, or nanos outside a second.
    pub fn problem(&self) -> Option<&'static str> {
        if !(0..1_000_000_000).contains(&self.nanos) {
            Some("nanos must be between 0 and 999,999,999")
        } else if !Self::VALID_SECONDS.contains(&self.seconds) {
            Some("must be between years 1 and 9999")
        } else {
            None
        }
    }

    /// The UTC calendar date, `YYYY-MM-DD` (for messages).
    pub fn date_text(&self) -> String {
        match time::OffsetDateTime::from_unix_timestamp(self.seconds) {
            Ok(at) => format!("{:04}-{:02}-{:02}", at.year(), u8::from(at.month()), at.day()),
            Err(_) => format!("{}s", self.seconds),
        }
    }

    /// Whole days from `self` to `later` (0 when `later` is not after `self`).
    /// Saturating, so even an unvalidated extreme value cannot overflow.
    pub fn days_until(&self, later: &Timestamp) -> f64 {
        (later.seconds.saturating_sub(self.seconds) as f64 / 86_400.0).max(0.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extreme_timestamps_are_invalid_and_never_overflow() {
        let min = Timestamp {
            seconds: i64::MIN,
            nanos: 0,
        };
        let max = Timestamp {
            seconds: i64::MAX,
            nanos: 0,
        };
        assert!(min.problem().is_some() && max.problem().is_some());
        assert!(min.days_until(&max) > 0.0);
        assert_eq!(max.days_until(&min), 0.0);
        assert!(Timestamp::now().problem().is_none());
        assert!(Timestamp { seconds: 0, nanos: -1 }.problem().is_some());
    }

    #[test]
    fn parses_month_and_day_precision() {
        assert_eq!(
            PartialDate::parse("2019-04"),
            Ok(PartialDate {
                year: 2019,
                month: 4,
                day: None
            })
        );
        assert_eq!(
            PartialDate::parse("2020-02-29"),
            Ok(PartialDate {
                year: 2020,
                month: 2,
                day: Some(29)
            })
        );
    }

    #[test]
    fn rejects_malformed_and_impossible_dates() {
        for bad in [
            "",
            "2019",
            "2019-4",
            "19-04",
            "2019/04",
            "2019-04-1",
            "２０１９-04",
            "2019-04-01T00",
        ] {
            assert_eq!(PartialDate::parse(bad), Err(DateError::Format), "{bad}");
        }
        for bad in [
            "2019-13",
            "2019-00",
            "2019-02-30",
            "2021-02-29",
            "1800-01",
            "2019-04-00",
        ] {
            assert_eq!(PartialDate::parse(bad), Err(DateError::OutOfRange), "{bad}");
        }
    }

    #[test]
    fn display_round_trips() {
        for text in ["2019-04", "2020-02-29"] {
            assert_eq!(PartialDate::parse(text).map(|d| d.to_string()).as_deref(), Ok(text));
        }
    }

    #[test]
    fn serde_uses_the_text_form() {
        let date = PartialDate::parse("2019-04").unwrap();
        assert_eq!(serde_json::to_string(&date).unwrap(), "\"2019-04\"");
        assert_eq!(serde_json::from_str::<PartialDate>("\"2019-04\"").unwrap(), date);
        assert!(serde_json::from_str::<PartialDate>("\"2019-13\"").is_err());
    }

    #[test]
    fn years_between_dates() {
        let start = PartialDate::parse("2015-04").unwrap();
        let end = PartialDate::parse("2021-10").unwrap();
        assert!((start.years_until(&end) - 6.5).abs() < 1e-9);
    }
}
