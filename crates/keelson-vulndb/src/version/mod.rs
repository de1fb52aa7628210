//! Version schemes per ecosystem, each with a total order over its valid versions.
//!
//! Ecosystems disagree on what a version means (`1.0~rc1` is older than `1.0` for Debian,
//! `1.0-rc1` is a prerelease for npm but a later build for RubyGems), so every comparison
//! names its scheme. An invalid version is an error, never a silent guess.

mod apk;
mod debian;
mod gem;
mod generic;
mod maven;
mod nuget;
mod pep440;
mod rpm;
mod semantic;

use std::cmp::Ordering;

use crate::error::VersionError;

/// A version scheme: the grammar and the order of one family of versions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Scheme {
    /// Semantic Versioning 2.0 (npm, crates.io, Hex, Pub); build metadata is ignored.
    Semver,
    /// Go modules: semver with a mandatory `v`, pseudo-versions, `+incompatible`.
    Go,
    /// Python PEP 440 (epochs, pre, post, dev and local versions).
    Pep440,
    /// Maven `ComparableVersion` rules.
    Maven,
    /// NuGet: up to four numeric parts plus a semver-style prerelease.
    NuGet,
    /// Debian `[epoch:]upstream[-revision]` with the `~` rule.
    Debian,
    /// RPM `[epoch:]version[-release]` compared with `rpmvercmp` (`~` and `^`).
    Rpm,
    /// Alpine apk-tools versions (`_rc1`, `_p2`, `-r3`).
    Alpine,
    /// RubyGems `Gem::Version`.
    RubyGems,
    /// Plain code-point order of the whole string (vers `lexicographic`).
    Lexicographic,
    /// A best-effort order for ecosystems without a defined scheme: numbers compare
    /// numerically, words alphabetically, a word suffix before its release.
    Generic,
}

impl Scheme {
    /// The scheme of an OSV ecosystem name (`PyPI`, `Debian:12`, `Alpine:v3.18`), a purl
    /// type (`pypi`, `deb`, `golang`) or a vers scheme (`pypi`, `debian`, `alpine`).
    ///
    /// `None` when the name is unknown; callers decide whether [`Scheme::Generic`] is an
    /// acceptable fallback for them.
    pub fn for_ecosystem(ecosystem: &str) -> Option<Scheme> {
        let base = ecosystem.split(':').next().unwrap_or(ecosystem).trim();
        let scheme = match base.to_ascii_lowercase().as_str() {
            "npm" | "crates.io" | "cargo" | "semver" | "hex" | "pub" | "swifturl" | "swift"
            | "bitnami" | "julia" => Scheme::Semver,
            "go" | "golang" => Scheme::Go,
            "pypi" | "pep440" => Scheme::Pep440,
            "maven" => Scheme::Maven,
            "nuget" => Scheme::NuGet,
            "debian" | "deb" | "ubuntu" => Scheme::Debian,
            "rpm" | "red hat" | "redhat" | "rocky linux" | "almalinux" | "suse" | "opensuse"
            | "mageia" | "openeuler" | "azure linux" | "mariner" | "photon os" => Scheme::Rpm,
            "alpine"
            | "apk"
            | "wolfi"
            | "chainguard"
            | "alpaquita"
            | "bellsoft hardened containers"
            | "minimos" => Scheme::Alpine,
            "rubygems" | "gem" => Scheme::RubyGems,
            "lexicographic" => Scheme::Lexicographic,
            "generic" => Scheme::Generic,
            _ => return None,
        };
        Some(scheme)
    }

    /// The short lowercase name used in error messages and evidence.
    pub fn name(self) -> &'static str {
        match self {
            Scheme::Semver => "semver",
            Scheme::Go => "go",
            Scheme::Pep440 => "pep440",
            Scheme::Maven => "maven",
            Scheme::NuGet => "nuget",
            Scheme::Debian => "debian",
            Scheme::Rpm => "rpm",
            Scheme::Alpine => "alpine",
            Scheme::RubyGems => "rubygems",
            Scheme::Lexicographic => "lexicographic",
            Scheme::Generic => "generic",
        }
    }

    /// Whether `version` is valid in this scheme.
    pub fn validate(self, version: &str) -> Result<(), VersionError> {
        self.compare(version, version).map(|_| ())
    }

    /// Compare two versions of this scheme.
    ///
    /// Equal means "the same release" by the scheme's rules (`1.0` and `1.0.0` for Maven,
    /// `1.0.0+a` and `1.0.0+b` for semver), not equal text.
    pub fn compare(self, a: &str, b: &str) -> Result<Ordering, VersionError> {
        match self {
            Scheme::Semver => semantic::compare_semver(a, b),
            Scheme::Go => semantic::compare_go(a, b),
            Scheme::Pep440 => pep440::compare(a, b),
            Scheme::Maven => Ok(maven::compare(a, b)),
            Scheme::NuGet => nuget::compare(a, b),
            Scheme::Debian => debian::compare(a, b),
            Scheme::Rpm => rpm::compare_evr(a, b),
            Scheme::Alpine => apk::compare(a, b),
            Scheme::RubyGems => gem::compare(a, b),
            Scheme::Lexicographic => Ok(a.cmp(b)),
            Scheme::Generic => generic::compare(a, b),
        }
    }
}

/// Reject the empty string, which no scheme accepts as a version.
fn non_empty(scheme: &'static str, version: &str) -> Result<(), VersionError> {
    if version.trim().is_empty() {
        return Err(VersionError::version(scheme, version, 0, "empty version"));
    }
    Ok(())
}

/// Stable insertion sort with a fallible comparison. The standard sorts may panic when a
/// comparison is not a total order, and a failed comparison has no honest answer, so
/// the first error stops the sort instead. Lists sorted here are short (events, bounds).
pub(crate) fn try_sort_by<T, E>(
    items: &mut [T],
    mut cmp: impl FnMut(&T, &T) -> Result<Ordering, E>,
) -> Result<(), E> {
    for i in 1..items.len() {
        let mut j = i;
        while j > 0 {
            let (left, right) = items.split_at_mut(j);
            let (Some(a), Some(b)) = (left.last_mut(), right.first_mut()) else {
                break;
            };
            if cmp(a, b)? != Ordering::Greater {
                break;
            }
            std::mem::swap(a, b);
            j -= 1;
        }
    }
    Ok(())
}

/// Compare two runs of ASCII digits numerically without overflow.
fn cmp_digits(a: &str, b: &str) -> Ordering {
    let a = a.trim_start_matches('0');
    let b = b.trim_start_matches('0');
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ecosystem_names_map_to_schemes() {
        assert_eq!(Scheme::for_ecosystem("PyPI"), Some(Scheme::Pep440));
        assert_eq!(Scheme::for_ecosystem("Debian:12"), Some(Scheme::Debian));
        assert_eq!(Scheme::for_ecosystem("Alpine:v3.18"), Some(Scheme::Alpine));
        assert_eq!(Scheme::for_ecosystem("crates.io"), Some(Scheme::Semver));
        assert_eq!(Scheme::for_ecosystem("golang"), Some(Scheme::Go));
        assert_eq!(Scheme::for_ecosystem("no-such-thing"), None);
    }

    #[test]
    fn purl_types_map_to_schemes() {
        let expected = [
            ("npm", Scheme::Semver),
            ("cargo", Scheme::Semver),
            ("pypi", Scheme::Pep440),
            ("maven", Scheme::Maven),
            ("nuget", Scheme::NuGet),
            ("deb", Scheme::Debian),
            ("rpm", Scheme::Rpm),
            ("apk", Scheme::Alpine),
            ("golang", Scheme::Go),
            ("gem", Scheme::RubyGems),
            ("generic", Scheme::Generic),
        ];
        for (ty, scheme) in expected {
            assert_eq!(Scheme::for_ecosystem(ty), Some(scheme), "{ty}");
        }
    }

    #[test]
    fn fallible_sort_is_stable_and_stops_on_error() {
        let mut items = [(2, 'a'), (1, 'b'), (2, 'c'), (0, 'd')];
        let sorted: Result<(), ()> = try_sort_by(&mut items, |a, b| Ok(a.0.cmp(&b.0)));
        assert_eq!(sorted, Ok(()));
        assert_eq!(items, [(0, 'd'), (1, 'b'), (2, 'a'), (2, 'c')]);
        assert_eq!(try_sort_by(&mut [2, 1], |_, _| Err("no")), Err("no"));
    }

    #[test]
    fn digit_runs_compare_numerically() {
        assert_eq!(cmp_digits("10", "9"), Ordering::Greater);
        assert_eq!(cmp_digits("007", "7"), Ordering::Equal);
        assert_eq!(
            cmp_digits("99999999999999999999999", "1"),
            Ordering::Greater
        );
    }
}
