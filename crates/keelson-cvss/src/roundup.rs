//! The CVSS v3.x rounding functions ("Roundup"): v3.1 Appendix A and the v3.0 rule.

/// CVSS v3.1 Roundup: the smallest number, to one decimal place, equal to or
/// higher than `input`.
///
/// Appendix A of the v3.1 specification defines it on integers so that
/// floating-point noise (e.g. `4.000000000000001`) does not push a score up a
/// tenth: the input is scaled by 100 000 and rounded to the nearest integer
/// before deciding whether it already sits on a tenth.
pub fn roundup_v31(input: f64) -> f64 {
    if !input.is_finite() {
        return input;
    }

    // `as` saturates, so an absurd input cannot overflow; scores are 0..=10.
    let scaled = (input * 100_000.0).round() as i64;

    if scaled.rem_euclid(10_000) == 0 {
        return scaled as f64 / 100_000.0;
    }

    (scaled.div_euclid(10_000) + 1) as f64 / 10.0
}

/// CVSS v3.0 Roundup as the v3.0 specification and its reference calculator
/// apply it: a plain ceiling to one decimal. Kept distinct from
/// [`roundup_v31`] because v3.0 scores published by the official calculator
/// were produced this way.
pub fn roundup_v30(input: f64) -> f64 {
    (input * 10.0).ceil() / 10.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_tenths_are_unchanged() {
        for tenth in 0..=100 {
            let value = f64::from(tenth) / 10.0;
            assert_eq!(roundup_v31(value), value, "{value}");
        }
    }

    #[test]
    fn anything_above_a_tenth_goes_up() {
        assert_eq!(roundup_v31(4.02), 4.1);
        assert_eq!(roundup_v31(4.01), 4.1);
        assert_eq!(roundup_v31(4.09), 4.1);
        assert_eq!(roundup_v31(9.91), 10.0);
        assert_eq!(roundup_v31(0.01), 0.1);
    }

    #[test]
    fn appendix_a_floating_noise_does_not_round_up() {
        // 4.000000000000001 is what naive float arithmetic produces for some
        // products that are 4.0 on paper; Appendix A exists to keep it at 4.0.
        assert_eq!(roundup_v31(4.000_000_000_000_001), 4.0);
        assert_eq!(roundup_v31(3.999_999_999_999_999), 4.0);
        assert_eq!(roundup_v30(4.000_000_000_000_001), 4.1);
    }

    #[test]
    fn appendix_a_rounds_to_nearest_integer_before_the_test() {
        // 4.000004 * 100000 = 400000.4 -> 400000, on a tenth: stays 4.0.
        assert_eq!(roundup_v31(4.000_004), 4.0);
        // 4.000006 * 100000 = 400000.6 -> 400001, above a tenth: goes to 4.1.
        assert_eq!(roundup_v31(4.000_006), 4.1);
    }

    #[test]
    fn non_finite_input_is_returned_unchanged() {
        assert!(roundup_v31(f64::NAN).is_nan());
        assert_eq!(roundup_v31(f64::INFINITY), f64::INFINITY);
    }
}
