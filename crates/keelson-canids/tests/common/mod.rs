//! Corpus loading shared by the integration tests.

#![allow(dead_code)]

use std::fs::File;
use std::io::BufReader;

use keelson_telemetry::{CanFrame, CsvLayout, Format};

/// The clean capture of each dataset and its attack captures, relative to the corpus.
pub struct Dataset {
    pub name: &'static str,
    pub clean: (&'static str, Format),
    pub attacks: &'static [(&'static str, Format, Goal)],
}

/// Whether a file's attacks are ones the detector must catch (DoS, fuzzing).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Goal {
    /// Recall and precision of at least 0.99 are the target.
    Target,
    /// Reported as measured.
    Measured,
}

const DAGA: Format = Format::Csv(CsvLayout::Daga);
const ROAD: Format = Format::Csv(CsvLayout::Road);
const J1939: Format = Format::Csv(CsvLayout::J1939);

pub const DATASETS: [Dataset; 3] = [
    Dataset {
        name: "daga-volvo-v40",
        clean: (
            "can/labelled/secloud-acs-daga/clean_V40_03.lines2-19001.csv",
            DAGA,
        ),
        attacks: &[
            (
                concat!(
                    "can/labelled/secloud-acs-daga/",
                    "DenialOfService_lowestID_V40_03.lines66360-77859.csv",
                ),
                DAGA,
                Goal::Target,
            ),
            (
                "can/labelled/secloud-acs-daga/MessageIDFuzzing_V40_03.lines64056-75555.csv",
                DAGA,
                Goal::Target,
            ),
            (
                "can/labelled/secloud-acs-daga/PayloadFuzzing_ID_2C5_V40_03.lines64136-75635.csv",
                DAGA,
                Goal::Target,
            ),
            (
                "can/labelled/secloud-acs-daga/SingleIDReplay_ID_2C5_V40_03.lines64136-75635.csv",
                DAGA,
                Goal::Measured,
            ),
            (
                concat!(
                    "can/labelled/secloud-acs-daga/",
                    "OrderedSequenceReplay_n_5_V40_03.lines64576-76075.csv",
                ),
                DAGA,
                Goal::Measured,
            ),
            (
                concat!(
                    "can/labelled/secloud-acs-daga/",
                    "ArbitrarySequenceReplay_n_5_V40_03.lines64576-76075.csv",
                ),
                DAGA,
                Goal::Measured,
            ),
        ],
    },
    Dataset {
        name: "road",
        clean: (
            concat!(
                "can/labelled/road-processed-csc429-lccde/",
                "max_engine_coolant_temp_attack.preattack_lines2-20001.csv",
            ),
            ROAD,
        ),
        attacks: &[(
            "can/labelled/road-processed-csc429-lccde/fuzzing_attack_1.lines9001-24000.csv",
            ROAD,
            Goal::Target,
        )],
    },
    Dataset {
        name: "j1939-truck",
        clean: (
            "can/labelled/systemscyber-j1939/normal.lines1-10000.log",
            Format::Candump,
        ),
        attacks: &[
            (
                "can/labelled/systemscyber-j1939/labeled_TSC1.lines8001-19000.csv",
                J1939,
                Goal::Measured,
            ),
            (
                "can/labelled/systemscyber-j1939/labeled_address_claim.lines7001-13000.csv",
                J1939,
                Goal::Measured,
            ),
        ],
    },
];

/// Every frame of a corpus file, or `None` (after saying so) when the corpus is absent.
///
/// # Panics
///
/// When the file cannot be opened or holds a malformed record: the corpus is known good.
pub fn load(relative: &str, format: Format) -> Option<Vec<CanFrame>> {
    let path = keelson_testkit::corpus_path(relative)?;
    let file = File::open(&path).unwrap_or_else(|error| panic!("{relative}: {error}"));
    let decoder = keelson_telemetry::frames(format, BufReader::new(file))
        .unwrap_or_else(|| panic!("{relative}: not a CAN format"));
    let frames = decoder
        .map(|item| item.unwrap_or_else(|error| panic!("{relative}: {error}")))
        .collect();
    Some(frames)
}

/// The file name after the last `/`.
pub fn file_name(relative: &str) -> &str {
    relative.rsplit('/').next().unwrap_or(relative)
}
