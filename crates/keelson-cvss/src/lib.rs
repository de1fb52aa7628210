//! Keelson's CVSS library: parses CVSS v2.0, v3.0, v3.1 and v4.0 vector
//! strings, writes them back in canonical form, and scores them exactly as the
//! FIRST specifications define (base, temporal/threat, environmental).
//!
//! ```
//! let assessment = keelson_cvss::assess("CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:C/C:H/I:H/A:H")?;
//! assert_eq!(assessment.score, 9.9);
//! assert_eq!(assessment.severity, "Critical");
//! # Ok::<(), keelson_cvss::CvssError>(())
//! ```

mod catalogue;
mod error;
mod parse;
mod reference;
mod roundup;
mod v3;
mod vector;

pub use error::{CvssError, ErrorKind};
pub use roundup::{roundup_v30, roundup_v31};
pub use vector::{Assessment, Scores, Severity, Vector, Version, assess};
