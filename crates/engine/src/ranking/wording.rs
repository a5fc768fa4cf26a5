//! How reason lines write figures, shared by the reason line and the kinds' fragments.

/// Years as shown in reason lines: whole when close to whole, else one decimal.
pub(crate) fn format_years(years: f32) -> String {
    if years.fract().abs() < 0.05 {
        format!("{}", years.round())
    } else {
        format!("{years:.1}")
    }
}
