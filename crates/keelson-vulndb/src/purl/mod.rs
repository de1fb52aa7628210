//! Package URLs (purl): parsing, type-specific normalisation, the canonical string and
//! package identity for matching advisories to components.

mod rules;

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::Error;
use crate::percent;
use rules::{Requirement, TypeRule};

/// Characters a canonical purl keeps unencoded in every component.
const KEEP: &str = ".-_~:";

/// A validated, normalised package URL. Two purls for the same thing compare equal:
/// `pkg:PYPI/Django_Package` and `pkg:pypi/django-package` are one value.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize, Serialize)]
#[serde(try_from = "String", into = "String")]
pub struct Purl {
    ty: String,
    namespace: Vec<String>,
    name: String,
    version: Option<String>,
    qualifiers: BTreeMap<String, String>,
    subpath: Vec<String>,
}

/// The decoded components of a purl, for building one from parts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PurlParts {
    /// Package type (`npm`, `maven`, ...).
    pub ty: String,
    /// Namespace, segments separated by `/`.
    pub namespace: Option<String>,
    /// Package name.
    pub name: String,
    /// Version, if any.
    pub version: Option<String>,
    /// Qualifiers; keys are lowercased, empty values dropped.
    pub qualifiers: BTreeMap<String, String>,
    /// Subpath inside the package, segments separated by `/`.
    pub subpath: Option<String>,
}

fn err(field: &'static str, reason: impl Into<String>) -> Error {
    Error::Purl {
        field,
        reason: reason.into(),
    }
}

fn decode(field: &'static str, text: &str) -> Result<String, Error> {
    percent::decode(text).ok_or_else(|| err(field, format!("bad percent-encoding in {text:?}")))
}

impl Purl {
    /// The package type, lowercased.
    pub fn ty(&self) -> &str {
        &self.ty
    }

    /// The namespace segments joined with `/`, if there is a namespace.
    pub fn namespace(&self) -> Option<String> {
        (!self.namespace.is_empty()).then(|| self.namespace.join("/"))
    }

    /// The package name after the type's normalisation.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The version, if any.
    pub fn version(&self) -> Option<&str> {
        self.version.as_deref()
    }

    /// The qualifiers, sorted by key.
    pub fn qualifiers(&self) -> &BTreeMap<String, String> {
        &self.qualifiers
    }

    /// The subpath segments joined with `/`, if there is a subpath.
    pub fn subpath(&self) -> Option<String> {
        (!self.subpath.is_empty()).then(|| self.subpath.join("/"))
    }

    /// The same purl without version, qualifiers and subpath.
    pub fn package(&self) -> Purl {
        Purl {
            version: None,
            qualifiers: BTreeMap::new(),
            subpath: Vec::new(),
            ..self.clone()
        }
    }

    /// Build a purl from decoded components, applying the same checks and normalisation
    /// as parsing.
    pub fn from_parts(parts: PurlParts) -> Result<Purl, Error> {
        let segments = |text: Option<String>| -> Vec<String> {
            let text = text.unwrap_or_default();
            text.split('/')
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect()
        };
        let qualifiers = parts
            .qualifiers
            .into_iter()
            .map(|(k, v)| check_qualifier(&k).map(|k| (k, v)))
            .collect::<Result<BTreeMap<_, _>, _>>()?;
        let raw = Purl {
            ty: check_type(&parts.ty)?,
            namespace: segments(parts.namespace),
            name: parts.name,
            version: parts.version.filter(|v| !v.is_empty()),
            qualifiers: qualifiers
                .into_iter()
                .filter(|(_, v)| !v.is_empty())
                .collect(),
            subpath: clean_subpath(segments(parts.subpath)),
        };
        raw.normalised()
    }

    /// Apply the type's rules: required and prohibited parts, case folding, renames.
    fn normalised(mut self) -> Result<Purl, Error> {
        let rule: TypeRule = rules::rule_for(&self.ty);
        self.check_required(&rule)?;

        if rule.lower_namespace {
            self.namespace
                .iter_mut()
                .for_each(|s| *s = s.to_lowercase());
        }
        if rule.lower_name {
            self.name = self.name.to_lowercase();
        }
        self.name = rules::normalise_name(&self.ty, &self.name, &self.qualifiers)
            .map_err(|why| err("name", why))?;

        if let Some(version) = self.version.as_mut() {
            if rule.lower_version {
                *version = version.to_lowercase();
            }
            rules::check_version(&self.ty, version).map_err(|why| err("version", why))?;
        }
        Ok(self)
    }

    /// Required and prohibited components; a git name path loses empty segments first.
    fn check_required(&mut self, rule: &TypeRule) -> Result<(), Error> {
        match (rule.namespace, self.namespace.is_empty()) {
            (Requirement::Required, true) => return Err(err("namespace", "required by type")),
            (Requirement::Prohibited, false) => return Err(err("namespace", "not allowed")),
            _ => {}
        }
        let qualifiers = &self.qualifiers;
        if let Some(missing) = rule
            .required_qualifiers
            .iter()
            .find(|q| !qualifiers.contains_key(**q))
        {
            return Err(err("qualifiers", format!("{missing} is required by type")));
        }
        if rule.name_is_path {
            let segments: Vec<&str> = self.name.split('/').filter(|s| !s.is_empty()).collect();
            self.name = segments.join("/");
        }
        if self.name.is_empty() {
            return Err(err("name", "a name is required"));
        }
        Ok(())
    }
}

/// A type starts with a letter and uses only letters, digits, `.`, `+` and `-`.
fn check_type(ty: &str) -> Result<String, Error> {
    let valid_char = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '+' | '-');
    if !ty.starts_with(|c: char| c.is_ascii_alphabetic()) || !ty.chars().all(valid_char) {
        return Err(err("type", format!("{ty:?} is not a valid type")));
    }
    Ok(ty.to_ascii_lowercase())
}

/// A qualifier key starts with a letter and uses letters, digits, `.`, `-` and `_`.
fn check_qualifier(key: &str) -> Result<String, Error> {
    let valid_char = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_');
    if !key.starts_with(|c: char| c.is_ascii_alphabetic()) || !key.chars().all(valid_char) {
        return Err(err("qualifiers", format!("{key:?} is not a valid key")));
    }
    Ok(key.to_ascii_lowercase())
}

/// `.` and `..` segments are dropped: a subpath never climbs out of its package.
fn clean_subpath(segments: Vec<String>) -> Vec<String> {
    segments
        .into_iter()
        .filter(|s| !s.is_empty() && s != "." && s != "..")
        .collect()
}

fn parse_qualifiers(text: &str) -> Result<BTreeMap<String, String>, Error> {
    let mut out = BTreeMap::new();
    for pair in text.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair
            .split_once('=')
            .ok_or_else(|| err("qualifiers", "missing ="))?;
        let key = check_qualifier(key)?;
        let value = decode("qualifiers", value)?;
        if value.is_empty() {
            continue;
        }
        if out.insert(key.clone(), value).is_some() {
            return Err(err("qualifiers", format!("duplicate key {key}")));
        }
    }
    Ok(out)
}

/// Split `name[@version]` at an `@` in the last path segment only, so that an npm scope
/// (`@babel/core`) is never read as a version.
fn split_version(rest: &str) -> (&str, Option<&str>) {
    let last_slash = rest.rfind('/').map_or(0, |i| i + 1);
    match rest.rfind('@').filter(|at| *at >= last_slash) {
        Some(at) => (rest.get(..at).unwrap_or(""), rest.get(at + 1..)),
        None => (rest, None),
    }
}

/// Split `namespace/name` into decoded namespace segments and the decoded name.
fn split_path(ty: &str, path: &str) -> Result<(Vec<String>, String), Error> {
    let split = if rules::rule_for(ty).name_is_path {
        path.split_once('/')
    } else {
        path.rsplit_once('/')
    };
    let (namespace, name) = split.unwrap_or(("", path));
    let namespace = namespace
        .split('/')
        .filter(|s| !s.is_empty())
        .map(|s| decode("namespace", s))
        .collect::<Result<_, _>>()?;
    let name = name
        .split('/')
        .map(|s| decode("name", s))
        .collect::<Result<Vec<_>, _>>()?;
    Ok((namespace, name.join("/")))
}

fn parse(text: &str) -> Result<Purl, Error> {
    let (rest, subpath) = match text.split_once('#') {
        Some((rest, sub)) => (rest, Some(sub)),
        None => (text, None),
    };
    let (scheme, rest) = rest
        .split_once(':')
        .ok_or_else(|| err("scheme", "missing pkg:"))?;
    if !scheme.eq_ignore_ascii_case("pkg") {
        return Err(err("scheme", "a purl starts with pkg:"));
    }
    let rest = rest.trim_start_matches('/');
    let (rest, qualifiers) = match rest.split_once('?') {
        Some((rest, q)) => (rest, parse_qualifiers(q)?),
        None => (rest, BTreeMap::new()),
    };

    let (ty, rest) = rest
        .split_once('/')
        .ok_or_else(|| err("name", "a name is required"))?;
    let ty = check_type(ty)?;
    let (path, version) = split_version(rest.trim_end_matches('/'));
    let (namespace, name) = split_path(&ty, path)?;
    let subpath = subpath
        .unwrap_or("")
        .split('/')
        .map(|s| decode("subpath", s))
        .collect::<Result<Vec<_>, _>>()?;

    let raw = Purl {
        ty,
        namespace,
        name,
        version: version
            .map(|v| decode("version", v))
            .transpose()?
            .filter(|v| !v.is_empty()),
        qualifiers,
        subpath: clean_subpath(subpath),
    };
    raw.normalised()
}

impl TryFrom<String> for Purl {
    type Error = Error;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        value.parse()
    }
}

impl From<Purl> for String {
    fn from(purl: Purl) -> String {
        purl.to_string()
    }
}

impl FromStr for Purl {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse(s.trim())
    }
}

/// The canonical form: lowercase type, encoded components, sorted qualifiers.
impl fmt::Display for Purl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "pkg:{}/", self.ty)?;
        for segment in &self.namespace {
            write!(f, "{}/", percent::encode(segment, KEEP))?;
        }
        if rules::rule_for(&self.ty).name_is_path {
            let name: Vec<String> = self
                .name
                .split('/')
                .map(|s| percent::encode(s, KEEP))
                .collect();
            f.write_str(&name.join("/"))?;
        } else {
            f.write_str(&percent::encode(&self.name, KEEP))?;
        }
        if let Some(version) = &self.version {
            write!(f, "@{}", percent::encode(version, KEEP))?;
        }
        for (i, (key, value)) in self.qualifiers.iter().enumerate() {
            let sep = if i == 0 { '?' } else { '&' };
            write!(f, "{sep}{key}={}", percent::encode(value, KEEP))?;
        }
        let encoded: Vec<String> = self
            .subpath
            .iter()
            .map(|s| percent::encode(s, KEEP))
            .collect();
        if !encoded.is_empty() {
            write!(f, "#{}", encoded.join("/"))?;
        }
        Ok(())
    }
}

/// A registry URL reduced to what identifies the registry: no scheme, no trailing `/`,
/// lowercase.
fn registry_key(url: &str) -> String {
    let lower = url.trim().to_lowercase();
    let bare = lower
        .strip_prefix("https://")
        .or_else(|| lower.strip_prefix("http://"));
    bare.unwrap_or(&lower).trim_end_matches('/').to_owned()
}

impl Purl {
    /// The registry this package comes from: `repository_url`, or the type's default.
    fn registry(&self, rule: &TypeRule) -> Option<String> {
        let url = self.qualifiers.get("repository_url").map(String::as_str);
        url.or(rule.default_repository).map(registry_key)
    }

    /// Whether `other` names the same package, whatever its version.
    ///
    /// Type, namespace and name must match after normalisation, and so must the
    /// qualifiers that change the package's identity: the registry (`repository_url`,
    /// where absence means the type's default registry, so a private mirror's package is
    /// not the public one of the same name), conan `user`/`channel`, julia `uuid`, swid
    /// `tag_id`. Qualifiers that pick a file or build (`arch`, `classifier`, ...) are
    /// ignored.
    pub fn matches_package(&self, other: &Purl) -> bool {
        if self.ty != other.ty || self.namespace != other.namespace || self.name != other.name {
            return false;
        }
        let rule = rules::rule_for(&self.ty);
        if self.registry(&rule) != other.registry(&rule) {
            return false;
        }
        rule.identity_qualifiers
            .iter()
            .all(|key| self.qualifiers.get(*key) == other.qualifiers.get(*key))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn purl(text: &str) -> Purl {
        text.parse().unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    #[test]
    fn plus_and_encoded_plus_are_one_purl() {
        let a = purl("pkg:generic/foo@1.0+build");
        let b = purl("pkg:generic/foo@1.0%2Bbuild");
        assert_eq!(a, b);
        assert_eq!(a.to_string(), "pkg:generic/foo@1.0%2Bbuild");
    }

    #[test]
    fn pypi_names_fold_case_and_underscores() {
        let a = purl("pkg:PYPI/Django_Package@1.0");
        assert_eq!(a.to_string(), "pkg:pypi/django-package@1.0");
        assert!(a.matches_package(&purl("pkg:pypi/django-package@2.0")));
    }

    #[test]
    fn npm_scope_is_not_a_version() {
        let a = purl("pkg:npm/@babel/core");
        assert_eq!(a.namespace().as_deref(), Some("@babel"));
        assert_eq!(a.version(), None);
        assert_eq!(a.to_string(), "pkg:npm/%40babel/core");
    }

    #[test]
    fn private_registry_is_another_package() {
        let public = purl("pkg:npm/left-pad@1.0.0");
        let explicit = purl("pkg:npm/left-pad@1.0.0?repository_url=https://registry.npmjs.org/");
        let private = purl("pkg:npm/left-pad@1.0.0?repository_url=https://npm.example.com");
        assert!(public.matches_package(&explicit));
        assert!(!public.matches_package(&private));
    }

    #[test]
    fn build_qualifiers_do_not_change_the_package() {
        let a = purl("pkg:deb/debian/curl@7.50.3-1?arch=i386&distro=jessie");
        assert!(a.matches_package(&purl("pkg:deb/debian/curl@7.74.0-1?arch=amd64")));
        assert!(!a.matches_package(&purl("pkg:deb/ubuntu/curl@7.50.3-1")));
    }

    #[test]
    fn git_name_path_has_no_empty_segments() {
        let a = purl("pkg:git/host/a//b/@");
        assert_eq!(a.name(), "a/b");
        assert_eq!(purl(&a.to_string()), a);
    }

    #[test]
    fn json_uses_the_canonical_string() {
        let a: Purl = serde_json::from_str(r#""pkg:PYPI/Django_Package@1.0""#).expect("valid");
        assert_eq!(
            serde_json::to_string(&a).ok().as_deref(),
            Some(r#""pkg:pypi/django-package@1.0""#)
        );
        assert!(serde_json::from_str::<Purl>(r#""not a purl""#).is_err());
    }

    #[test]
    fn subpath_cannot_climb() {
        let a = purl("pkg:golang/google.golang.org/genproto#/googleapis/%2E%2E/api/./x/");
        assert_eq!(a.subpath().as_deref(), Some("googleapis/api/x"));
    }
}
