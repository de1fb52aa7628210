//! `/.well-known/security.txt` (RFC 9116) from the configuration: where
//! researchers report vulnerabilities, until when the file holds, the
//! disclosure policy, preferred languages and the file's canonical URIs.
//! The `[security_txt]` table is checked when the configuration is read,
//! so a served file always has the fields RFC 9116 requires.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// A checked security.txt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "RawSecurityTxt")]
pub struct SecurityTxt {
    /// `mailto:`, `tel:` or `https://` URIs, in order of preference.
    pub contact: Vec<String>,
    /// RFC 3339; after it the file is stale.
    pub expires: String,
    pub policy: Vec<String>,
    /// Language tags such as `en`, `de`.
    pub preferred_languages: Vec<String>,
    pub canonical: Vec<String>,
}

/// The table as written: one value or a list for the repeatable fields.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSecurityTxt {
    contact: OneOrMany,
    expires: String,
    #[serde(default)]
    policy: OneOrMany,
    #[serde(default)]
    preferred_languages: OneOrMany,
    #[serde(default)]
    canonical: OneOrMany,
}

#[derive(Debug, Default, Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    #[default]
    None,
    One(String),
    Many(Vec<String>),
}

impl OneOrMany {
    fn into_vec(self) -> Vec<String> {
        match self {
            OneOrMany::None => Vec::new(),
            OneOrMany::One(one) => vec![one],
            OneOrMany::Many(many) => many,
        }
    }
}

impl TryFrom<RawSecurityTxt> for SecurityTxt {
    type Error = String;

    fn try_from(raw: RawSecurityTxt) -> Result<Self, Self::Error> {
        let contact = raw.contact.into_vec();
        if contact.is_empty() {
            return Err("security_txt.contact: at least one contact URI is required".to_owned());
        }
        for uri in &contact {
            check_contact(uri)?;
        }
        let policy = raw.policy.into_vec();
        let canonical = raw.canonical.into_vec();
        for (field, uri) in policy
            .iter()
            .map(|u| ("policy", u))
            .chain(canonical.iter().map(|u| ("canonical", u)))
        {
            check_https(field, uri)?;
        }
        let preferred_languages: Vec<String> = raw
            .preferred_languages
            .into_vec()
            .iter()
            .flat_map(|text| text.split(','))
            .map(|tag| tag.trim().to_owned())
            .filter(|tag| !tag.is_empty())
            .collect();
        for tag in &preferred_languages {
            check_language_tag(tag)?;
        }
        Ok(Self {
            contact,
            expires: check_expires(&raw.expires)?,
            policy,
            preferred_languages,
            canonical,
        })
    }
}

/// RFC 9116 section 2.5.3: a URI; a web URI must be `https://`.
fn check_contact(uri: &str) -> Result<(), String> {
    let schemes = ["mailto:", "tel:", "https://"];
    if schemes
        .iter()
        .any(|scheme| uri.starts_with(scheme) && uri.len() > scheme.len())
    {
        return Ok(());
    }
    Err(format!(
        "security_txt.contact: {uri:?} must be a mailto:, tel: or https:// URI"
    ))
}

fn check_https(field: &str, uri: &str) -> Result<(), String> {
    if uri.starts_with("https://") && uri.len() > "https://".len() {
        return Ok(());
    }
    Err(format!(
        "security_txt.{field}: {uri:?} must be an https:// URI"
    ))
}

/// The internet date/time format (RFC 3339), written back normalised.
fn check_expires(text: &str) -> Result<String, String> {
    let at = OffsetDateTime::parse(text.trim(), &Rfc3339)
        .map_err(|_| format!("security_txt.expires: {text:?} is not an RFC 3339 date and time"))?;
    at.format(&Rfc3339)
        .map_err(|error| format!("security_txt.expires: {error}"))
}

/// The shape of a BCP 47 tag: letters, then subtags of letters or digits.
fn check_language_tag(tag: &str) -> Result<(), String> {
    let mut subtags = tag.split('-');
    let primary_ok = subtags.next().is_some_and(|primary| {
        (1..=8).contains(&primary.len()) && primary.chars().all(|c| c.is_ascii_alphabetic())
    });
    let rest_ok = subtags.all(|subtag| {
        (1..=8).contains(&subtag.len()) && subtag.chars().all(|c| c.is_ascii_alphanumeric())
    });
    if primary_ok && rest_ok {
        return Ok(());
    }
    Err(format!(
        "security_txt.preferred_languages: {tag:?} is not a language tag"
    ))
}

impl SecurityTxt {
    /// The file as RFC 9116 lays it out: one `Field: value` line each.
    pub fn render(&self) -> String {
        let mut lines = Vec::new();
        for uri in &self.contact {
            lines.push(format!("Contact: {uri}"));
        }
        lines.push(format!("Expires: {}", self.expires));
        for uri in &self.policy {
            lines.push(format!("Policy: {uri}"));
        }
        if !self.preferred_languages.is_empty() {
            lines.push(format!(
                "Preferred-Languages: {}",
                self.preferred_languages.join(", ")
            ));
        }
        for uri in &self.canonical {
            lines.push(format!("Canonical: {uri}"));
        }
        let mut text = lines.join("\n");
        text.push('\n');
        text
    }

    /// Whether `Expires` lies in the past.
    pub fn is_expired(&self, now: OffsetDateTime) -> bool {
        OffsetDateTime::parse(&self.expires, &Rfc3339).is_ok_and(|expires| expires <= now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(toml_text: &str) -> Result<SecurityTxt, String> {
        toml::from_str(toml_text).map_err(|error: toml::de::Error| error.message().to_owned())
    }

    #[test]
    fn a_full_table_renders_the_rfc_9116_fields_in_order() {
        let text = parsed(
            "contact = [\"mailto:psirt@example.com\", \"https://example.com/report\"]\n\
             expires = \"2027-06-30T23:59:59Z\"\n\
             policy = \"https://example.com/disclosure-policy\"\n\
             preferred_languages = \"en, de\"\n\
             canonical = \"https://example.com/.well-known/security.txt\"\n",
        );
        let expected = "Contact: mailto:psirt@example.com\n\
                        Contact: https://example.com/report\n\
                        Expires: 2027-06-30T23:59:59Z\n\
                        Policy: https://example.com/disclosure-policy\n\
                        Preferred-Languages: en, de\n\
                        Canonical: https://example.com/.well-known/security.txt\n";
        assert_eq!(text.map(|t| t.render()), Ok(expected.to_owned()));
    }

    #[test]
    fn required_fields_and_uri_schemes_are_checked() {
        assert!(
            parsed("expires = \"2027-01-01T00:00:00Z\"").is_err(),
            "no contact"
        );
        assert!(parsed("contact = \"mailto:a@b.c\"").is_err(), "no expires");
        let http = parsed("contact = \"http://example.com\"\nexpires = \"2027-01-01T00:00:00Z\"");
        assert!(http.is_err_and(|m| m.contains("https://")));
        let date = parsed("contact = \"mailto:a@b.c\"\nexpires = \"2027-01-01\"");
        assert!(date.is_err_and(|m| m.contains("RFC 3339")));
        let language = parsed(
            "contact = \"mailto:a@b.c\"\nexpires = \"2027-01-01T00:00:00Z\"\n\
             preferred_languages = \"en, deutsch-sprache!\"",
        );
        assert!(language.is_err());
    }

    #[test]
    fn expiry_is_compared_with_the_given_time() {
        let text = parsed("contact = \"mailto:a@b.c\"\nexpires = \"2027-01-01T00:00:00Z\"");
        let text = text.expect("valid");
        let before = OffsetDateTime::parse("2026-12-31T23:59:59Z", &Rfc3339).expect("time");
        let after = OffsetDateTime::parse("2027-01-01T00:00:01Z", &Rfc3339).expect("time");
        assert!(!text.is_expired(before));
        assert!(text.is_expired(after));
    }
}
