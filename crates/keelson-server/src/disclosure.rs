//! The public disclosure intake without the HTTP: the per-client rate
//! limit and the check of a report before it becomes a case.
//!
//! The limit is GCRA (the `governor` crate) keyed by client address, IPv6
//! addresses by their /64 prefix (one host usually owns the whole prefix).
//! Its clock is a parameter, so tests move time by hand. Memory is bounded:
//! past [`MAX_TRACKED_CLIENTS`] addresses, those whose allowance has fully
//! recovered are forgotten, and while the table is still full every report
//! is refused with the retry delay of one period.

use std::net::{IpAddr, Ipv6Addr};
use std::num::NonZeroU32;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::middleware::NoOpMiddleware;
use governor::state::keyed::DefaultKeyedStateStore;
use governor::{Quota, RateLimiter};
use keelson_core::{Marking, Severity, Tlp};
use keelson_store::disclosures::NewDisclosure;
use serde::Deserialize;

/// How many client addresses the limiter tracks at most.
pub const MAX_TRACKED_CLIENTS: usize = 100_000;

/// The longest title and affected-product text.
const MAX_SHORT_CHARS: usize = 300;
/// The longest contact.
const MAX_CONTACT_CHARS: usize = 500;

/// Whether a client may send a report now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    Admitted,
    /// Try again after this long.
    Refused {
        retry_after: Duration,
    },
}

/// Reports per client address: `burst` at once, then one per period.
pub struct IntakeLimiter<C: Clock = DefaultClock> {
    limiter: RateLimiter<IpAddr, DefaultKeyedStateStore<IpAddr>, C, NoOpMiddleware<C::Instant>>,
    clock: C,
    period: Duration,
}

impl IntakeLimiter<DefaultClock> {
    /// `per_hour` reports an hour after a burst of `burst` (both at least 1).
    pub fn new(per_hour: u32, burst: u32) -> Self {
        Self::with_clock(per_hour, burst, DefaultClock::default())
    }
}

impl<C: Clock + Clone> IntakeLimiter<C> {
    pub fn with_clock(per_hour: u32, burst: u32, clock: C) -> Self {
        let period = Duration::from_secs(3600) / per_hour.max(1);
        let burst = NonZeroU32::new(burst.max(1)).unwrap_or(NonZeroU32::MIN);
        let quota = Quota::with_period(period)
            .unwrap_or_else(|| Quota::per_hour(NonZeroU32::MIN))
            .allow_burst(burst);
        let limiter = RateLimiter::new(quota, DefaultKeyedStateStore::default(), clock.clone());
        Self {
            limiter,
            clock,
            period,
        }
    }

    /// Counts one report from `client` and says whether it may go in.
    pub fn admit(&self, client: IpAddr) -> Admission {
        if self.limiter.len() >= MAX_TRACKED_CLIENTS {
            self.limiter.retain_recent();
            if self.limiter.len() >= MAX_TRACKED_CLIENTS {
                return Admission::Refused {
                    retry_after: self.period,
                };
            }
        }
        match self.limiter.check_key(&client_key(client)) {
            Ok(_) => Admission::Admitted,
            Err(not_until) => Admission::Refused {
                retry_after: not_until.wait_time_from(self.clock.now()),
            },
        }
    }
}

/// The key a client is counted under: IPv4 as is (also when mapped into
/// IPv6), IPv6 by its /64 prefix.
pub fn client_key(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V4(v4) => IpAddr::V4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let prefix = u128::from(v6) & !((1_u128 << 64) - 1);
                IpAddr::V6(Ipv6Addr::from(prefix))
            }
        },
    }
}

/// Whole seconds for `Retry-After`, never 0 (a client told 0 would retry at once).
pub fn retry_after_seconds(delay: Duration) -> u64 {
    let seconds = delay.as_secs() + u64::from(delay.subsec_nanos() > 0);
    seconds.max(1)
}

/// A report as a researcher sends it.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DisclosureReport {
    pub title: String,
    pub description: String,
    /// How to reach the reporter (mail address, URL); optional.
    #[serde(default)]
    pub reporter_contact: Option<String>,
    /// The product, ECU or version the report concerns, in the reporter's words.
    pub affected_product: String,
    /// A CVSS v2, v3.x or v4.0 vector; sets the case's provisional severity.
    #[serde(default)]
    pub cvss_vector: Option<String>,
}

/// A report that cannot be accepted: the field and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct ReportRejected {
    pub field: &'static str,
    pub reason: String,
}

/// The report checked and turned into what the store keeps. Without a
/// vector the case's severity is `medium`, so the SLA clock runs from
/// receipt until triage sets it.
pub fn check_report(report: DisclosureReport, tlp: Tlp) -> Result<NewDisclosure, ReportRejected> {
    let title = required("title", &report.title, Some(MAX_SHORT_CHARS))?;
    let description = required("description", &report.description, None)?;
    let affected_product = required(
        "affected_product",
        &report.affected_product,
        Some(MAX_SHORT_CHARS),
    )?;
    let reporter_contact = match report.reporter_contact.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(contact) => Some(required(
            "reporter_contact",
            contact,
            Some(MAX_CONTACT_CHARS),
        )?),
    };
    let (cvss_vector, severity) = match report.cvss_vector.as_deref().map(str::trim) {
        None | Some("") => (None, Severity::Medium),
        Some(vector) => scored(vector)?,
    };
    Ok(NewDisclosure {
        title,
        description,
        reporter_contact,
        affected_product,
        cvss_vector,
        severity,
        marking: Marking::new(tlp),
    })
}

fn required(
    field: &'static str,
    text: &str,
    max_chars: Option<usize>,
) -> Result<String, ReportRejected> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err(ReportRejected {
            field,
            reason: "must not be empty".to_owned(),
        });
    }
    if let Some(max) = max_chars.filter(|max| trimmed.chars().count() > *max) {
        return Err(ReportRejected {
            field,
            reason: format!("longer than {max} characters"),
        });
    }
    Ok(trimmed.to_owned())
}

/// The canonical vector and the severity its score rates.
fn scored(vector: &str) -> Result<(Option<String>, Severity), ReportRejected> {
    let rejected = |reason: String| ReportRejected {
        field: "cvss_vector",
        reason,
    };
    let assessment = keelson_cvss::assess(vector).map_err(|error| rejected(error.to_string()))?;
    let severity = assessment
        .severity
        .parse()
        .map_err(|error: keelson_core::severity::UnknownSeverity| rejected(error.to_string()))?;
    Ok((Some(assessment.vector), severity))
}

#[cfg(test)]
mod tests {
    use governor::clock::FakeRelativeClock;

    use super::*;

    fn address(text: &str) -> IpAddr {
        text.parse()
            .unwrap_or(IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED))
    }

    #[test]
    fn a_client_gets_its_burst_then_one_report_per_period() {
        let clock = FakeRelativeClock::default();
        // Two an hour: one every 30 minutes once the burst of 2 is spent.
        let limiter = IntakeLimiter::with_clock(2, 2, clock.clone());
        let client = address("192.0.2.7");
        assert_eq!(limiter.admit(client), Admission::Admitted);
        assert_eq!(limiter.admit(client), Admission::Admitted);
        let refused = limiter.admit(client);
        assert_eq!(
            refused,
            Admission::Refused {
                retry_after: Duration::from_secs(30 * 60)
            }
        );
        assert_eq!(limiter.admit(address("192.0.2.8")), Admission::Admitted);

        clock.advance(Duration::from_secs(10 * 60));
        assert_eq!(
            limiter.admit(client),
            Admission::Refused {
                retry_after: Duration::from_secs(20 * 60)
            }
        );
        clock.advance(Duration::from_secs(20 * 60));
        assert_eq!(limiter.admit(client), Admission::Admitted);
        assert!(matches!(limiter.admit(client), Admission::Refused { .. }));
    }

    #[test]
    fn ipv6_clients_are_counted_per_64_prefix() {
        assert_eq!(
            client_key(address("2001:db8:1:2:aaaa::1")),
            address("2001:db8:1:2::")
        );
        assert_eq!(
            client_key(address("::ffff:192.0.2.1")),
            address("192.0.2.1")
        );
        let limiter = IntakeLimiter::with_clock(1, 1, FakeRelativeClock::default());
        assert_eq!(limiter.admit(address("2001:db8::1")), Admission::Admitted);
        assert!(matches!(
            limiter.admit(address("2001:db8::2")),
            Admission::Refused { .. }
        ));
    }

    #[test]
    fn retry_after_rounds_up_and_is_never_zero() {
        assert_eq!(retry_after_seconds(Duration::from_millis(1500)), 2);
        assert_eq!(retry_after_seconds(Duration::ZERO), 1);
        assert_eq!(retry_after_seconds(Duration::from_secs(3600)), 3600);
    }

    fn report() -> DisclosureReport {
        DisclosureReport {
            title: " Head unit debug port open ".to_owned(),
            description: "adb listens on 5555 over Wi-Fi.".to_owned(),
            reporter_contact: Some(" ".to_owned()),
            affected_product: "IVI 3.2".to_owned(),
            cvss_vector: None,
        }
    }

    #[test]
    fn a_report_is_trimmed_and_marked() {
        let checked = check_report(report(), Tlp::Amber).expect("valid");
        assert_eq!(checked.title, "Head unit debug port open");
        assert_eq!(checked.reporter_contact, None);
        assert_eq!(checked.severity, Severity::Medium);
        assert_eq!(checked.marking.tlp, Tlp::Amber);
    }

    #[test]
    fn the_vector_sets_the_severity_and_a_bad_one_is_named() {
        let mut scored = report();
        // 9.8 in CVSS v3.1: critical (the specification's rating bands).
        scored.cvss_vector = Some("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H".to_owned());
        let checked = check_report(scored, Tlp::Amber).expect("valid");
        assert_eq!(checked.severity, Severity::Critical);

        let mut bad = report();
        bad.cvss_vector = Some("CVSS:3.1/AV:Q".to_owned());
        let rejected = check_report(bad, Tlp::Amber).map_err(|e| e.field);
        assert_eq!(rejected.err(), Some("cvss_vector"));

        let mut blank = report();
        blank.affected_product = "  ".to_owned();
        let rejected = check_report(blank, Tlp::Amber).map_err(|e| e.to_string());
        assert_eq!(
            rejected.err().as_deref(),
            Some("affected_product: must not be empty")
        );
    }
}
