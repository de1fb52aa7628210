//! Semantic Versioning 2.0 order (npm, crates.io) and Go module versions on top of it.

use std::cmp::Ordering;

use semver::Version;

use crate::error::VersionError;

/// Parse with the `semver` crate, tolerating the `v` prefix npm accepts.
fn parse(scheme: &'static str, text: &str) -> Result<Version, VersionError> {
    let trimmed = text.trim();
    let bare = trimmed.strip_prefix(['v', 'V']).unwrap_or(trimmed);
    Version::parse(bare).map_err(|e| VersionError::version(scheme, text, 0, &e.to_string()))
}

/// Semver precedence: build metadata never orders versions (the semver crate's `Ord`
/// does order it, which would make `1.0.0+a` and `1.0.0+b` different releases).
fn precedence(a: &Version, b: &Version) -> Ordering {
    (a.major, a.minor, a.patch)
        .cmp(&(b.major, b.minor, b.patch))
        .then_with(|| a.pre.cmp(&b.pre))
}

pub(super) fn compare_semver(a: &str, b: &str) -> Result<Ordering, VersionError> {
    Ok(precedence(&parse("semver", a)?, &parse("semver", b)?))
}

/// Go versions must start with `v`; pseudo-versions are semver prereleases, so the
/// semver order already places them correctly.
pub(super) fn compare_go(a: &str, b: &str) -> Result<Ordering, VersionError> {
    for text in [a, b] {
        if !text.starts_with('v') {
            return Err(VersionError::version(
                "go",
                text,
                0,
                "go versions start with v",
            ));
        }
    }
    Ok(precedence(&parse("go", a)?, &parse("go", b)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn build_metadata_does_not_order() {
        assert_eq!(compare_semver("1.0.0+a", "1.0.0+b"), Ok(Ordering::Equal));
    }

    #[test]
    fn prerelease_sorts_before_release() {
        assert_eq!(compare_semver("1.0.0-rc.1", "1.0.0"), Ok(Ordering::Less));
        assert_eq!(
            compare_semver("1.0.0-alpha.2", "1.0.0-alpha.10"),
            Ok(Ordering::Less)
        );
        assert_eq!(
            compare_semver("1.0.0-alpha.beta", "1.0.0-alpha.1"),
            Ok(Ordering::Greater)
        );
    }

    #[test]
    fn go_pseudo_versions_sort_between_releases() {
        let pseudo = "v1.2.4-0.20191109021931-daa7c04131f5";
        assert_eq!(compare_go("v1.2.3", pseudo), Ok(Ordering::Less));
        assert_eq!(compare_go(pseudo, "v1.2.4"), Ok(Ordering::Less));
        assert_eq!(
            compare_go("v2.0.0+incompatible", "v2.0.0"),
            Ok(Ordering::Equal)
        );
        assert!(compare_go("1.0.0", "v1.0.0").is_err());
    }
}
