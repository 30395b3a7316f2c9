//! Parses the durations written in attributes: `"90s"`, `"30m"`, `"2h"`, `"1h30m"`, `"7d"`.

/// Seconds in `text`, or `None` if it is not a duration.
pub(crate) fn parse_seconds(text: &str) -> Option<u64> {
    let mut total: u64 = 0;
    let mut rest = text.trim();
    if rest.is_empty() {
        return None;
    }
    while !rest.is_empty() {
        let digits = rest.find(|c: char| !c.is_ascii_digit()).unwrap_or(rest.len());
        if digits == 0 {
            return None;
        }
        let number: u64 = rest[..digits].parse().ok()?;
        rest = &rest[digits..];
        let unit_len = rest.find(|c: char| c.is_ascii_digit()).unwrap_or(rest.len());
        let unit = match &rest[..unit_len] {
            "s" => 1,
            "m" => 60,
            "h" => 3600,
            "d" => 86_400,
            _ => return None,
        };
        rest = &rest[unit_len..];
        total = total.checked_add(number.checked_mul(unit)?)?;
    }
    (total > 0).then_some(total)
}

/// The message for a duration that does not parse.
pub(crate) fn malformed(text: &str) -> String {
    format!(
        "malformed duration `{text}`; write whole numbers with the units `s`, `m`, `h` or `d`, \
         e.g. \"90s\", \"30m\", \"2h\", \"1h30m\", \"7d\""
    )
}

#[cfg(test)]
mod tests {
    use super::parse_seconds;

    #[test]
    fn parses_units_and_combinations() {
        assert_eq!(parse_seconds("90s"), Some(90));
        assert_eq!(parse_seconds("30m"), Some(1800));
        assert_eq!(parse_seconds("1h30m"), Some(5400));
        assert_eq!(parse_seconds("7d"), Some(604_800));
    }

    #[test]
    fn rejects_what_is_not_a_duration() {
        for bad in [
            "",
            "30",
            "m",
            "30 parsecs",
            "1.5h",
            "0s",
            "-3m",
            "99999999999999999999d",
        ] {
            assert_eq!(parse_seconds(bad), None, "{bad:?}");
        }
    }
}
