//! Per-type purl rules taken from the purl type definitions: which components are
//! required or prohibited, which are case-insensitive, and type-specific normalisation.

use std::collections::BTreeMap;

/// Whether a purl type allows, demands or forbids a namespace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Requirement {
    Optional,
    Required,
    Prohibited,
}

/// The rules of one registered purl type.
#[derive(Debug, Clone, Copy)]
pub(super) struct TypeRule {
    pub name: &'static str,
    pub namespace: Requirement,
    pub lower_namespace: bool,
    pub lower_name: bool,
    pub lower_version: bool,
    pub required_qualifiers: &'static [&'static str],
    /// Qualifiers that change which package is meant, not which file or build of it.
    pub identity_qualifiers: &'static [&'static str],
    pub default_repository: Option<&'static str>,
    /// The name is a path (`pkg:git/codeberg.org/forgejo/forgejo`): the namespace is the
    /// first segment only.
    pub name_is_path: bool,
}

const fn rule(name: &'static str, namespace: Requirement) -> TypeRule {
    TypeRule {
        name,
        namespace,
        lower_namespace: false,
        lower_name: false,
        lower_version: false,
        required_qualifiers: &[],
        identity_qualifiers: &[],
        default_repository: None,
        name_is_path: false,
    }
}

const fn lower(mut r: TypeRule, namespace: bool, name: bool, version: bool) -> TypeRule {
    r.lower_namespace = namespace;
    r.lower_name = name;
    r.lower_version = version;
    r
}

const fn repo(mut r: TypeRule, url: &'static str) -> TypeRule {
    r.default_repository = Some(url);
    r
}

use Requirement::{Optional as Opt, Prohibited as No, Required as Req};

/// The registered types (purl-spec `types/*-definition.json`).
const RULES: &[TypeRule] = &[
    lower(rule("alpm", Req), true, true, false),
    lower(rule("apk", Req), true, true, false),
    repo(rule("bazel", No), "https://bcr.bazel.build"),
    repo(
        lower(rule("bitbucket", Req), true, true, false),
        "https://bitbucket.org",
    ),
    lower(rule("bitnami", No), false, true, false),
    repo(
        lower(rule("brew", Opt), true, true, false),
        "https://formulae.brew.sh",
    ),
    repo(rule("cargo", No), "https://crates.io"),
    repo(
        lower(rule("chrome-extension", No), false, true, false),
        "https://chromewebstore.google.com",
    ),
    repo(rule("cocoapods", No), "https://cdn.cocoapods.org"),
    repo(
        lower(rule("composer", Req), true, true, false),
        "https://packagist.org",
    ),
    TypeRule {
        identity_qualifiers: &["user", "channel"],
        ..rule("conan", Opt)
    },
    TypeRule {
        identity_qualifiers: &["channel"],
        ..rule("conda", No)
    },
    repo(rule("cpan", Opt), "https://www.cpan.org"),
    repo(rule("cran", No), "https://cran.r-project.org"),
    lower(rule("deb", Req), true, true, false),
    repo(rule("docker", Opt), "https://hub.docker.com"),
    repo(rule("gem", No), "https://rubygems.org"),
    rule("generic", Opt),
    // The git tests lowercase host and path although the definition calls them
    // case-sensitive; the tests are followed.
    TypeRule {
        name_is_path: true,
        ..lower(rule("git", Req), true, true, false)
    },
    repo(
        lower(rule("github", Req), true, true, false),
        "https://github.com",
    ),
    rule("golang", Req),
    repo(rule("hackage", No), "https://hackage.haskell.org"),
    repo(
        lower(rule("hex", Opt), true, true, false),
        "https://repo.hex.pm",
    ),
    lower(rule("huggingface", Req), false, false, true),
    TypeRule {
        required_qualifiers: &["uuid"],
        identity_qualifiers: &["uuid"],
        ..repo(
            rule("julia", No),
            "https://github.com/JuliaRegistries/General",
        )
    },
    lower(rule("luarocks", Opt), true, true, false),
    repo(rule("maven", Req), "https://repo.maven.apache.org/maven2"),
    rule("mlflow", No),
    repo(rule("npm", Opt), "https://registry.npmjs.org"),
    repo(rule("nuget", No), "https://www.nuget.org"),
    lower(rule("oci", No), false, true, true),
    repo(rule("opam", No), "https://opam.ocaml.org"),
    lower(rule("otp", No), false, true, false),
    repo(
        lower(rule("pub", No), false, true, false),
        "https://pub.dartlang.org",
    ),
    repo(
        lower(rule("pypi", No), false, true, true),
        "https://pypi.org",
    ),
    lower(rule("qpkg", Req), true, false, false),
    lower(rule("rpm", Req), true, false, false),
    TypeRule {
        required_qualifiers: &["tag_id"],
        identity_qualifiers: &["tag_id"],
        ..rule("swid", Opt)
    },
    rule("swift", Req),
    repo(rule("vcpkg", No), "https://github.com/microsoft/vcpkg"),
    repo(
        lower(rule("vscode-extension", Req), true, true, true),
        "https://marketplace.visualstudio.com/vscode-extension",
    ),
    lower(rule("yocto", Opt), true, false, false),
];

/// The rule of a registered type; unregistered types get the generic rule.
pub(super) fn rule_for(ty: &str) -> TypeRule {
    RULES
        .iter()
        .find(|r| r.name == ty)
        .copied()
        .unwrap_or(rule("", Opt))
}

/// Type-specific checks and rewrites beyond case folding. Returns the reason a purl
/// is refused, if it is.
pub(super) fn normalise_name(
    ty: &str,
    name: &str,
    qualifiers: &BTreeMap<String, String>,
) -> Result<String, &'static str> {
    match ty {
        "pypi" => Ok(name.replace('_', "-")),
        "cpan" if name.contains("::") => Err("a cpan distribution name never contains ::"),
        "chrome-extension"
            if name.len() != 32 || !name.bytes().all(|b| (b'a'..=b'p').contains(&b)) =>
        {
            Err("a chrome extension id is 32 letters a-p")
        }
        "pub" => Ok(name
            .chars()
            .map(|c| {
                if c.is_ascii_lowercase() || c.is_ascii_digit() {
                    c
                } else {
                    '_'
                }
            })
            .collect()),
        // Databricks model names are case-insensitive, Azure ML names are not.
        "mlflow"
            if qualifiers
                .get("repository_url")
                .is_some_and(|u| u.contains("azuredatabricks.net")) =>
        {
            Ok(name.to_lowercase())
        }
        _ => Ok(name.to_owned()),
    }
}

/// Type-specific version checks.
pub(super) fn check_version(ty: &str, version: &str) -> Result<(), &'static str> {
    if ty == "chrome-extension" {
        let parts: Vec<&str> = version.split('.').collect();
        let numeric = parts
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
        if parts.len() > 4 || !numeric {
            return Err("a chrome extension version is one to four dot-separated numbers");
        }
    }
    Ok(())
}
