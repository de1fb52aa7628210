//! Malformed records become error items that name their line (or byte offset), and the
//! stream goes on to decode the records after them.

use keelson_telemetry::{CsvLayout, Error, Format, Position, events, frames};

fn lines_of_errors(results: &[Result<impl Sized, Error>]) -> Vec<u64> {
    results
        .iter()
        .filter_map(|r| r.as_ref().err())
        .map(|e| match e.position() {
            Some(Position::Line(line)) => line,
            other => panic!("error without a line: {other:?}"),
        })
        .collect()
}

#[test]
fn candump_errors_carry_line_numbers_and_decoding_continues() {
    let input = "(1.000000) can0 123#0011\n\
                 (1.000100) can0 12G#00\n\
                 garbage line\n\
                 (1.000200) can0 456#001122334455667788\n\
                 \n\
                 (1.000300) can0 7FF#\n\
                 (1.000400) can0 1#0\n\
                 (1.000500) can0 18FEDF00#FF\n";
    let Some(decoder) = frames(Format::Candump, input.as_bytes()) else {
        panic!()
    };
    let results: Vec<_> = decoder.collect();
    assert_eq!(lines_of_errors(&results), vec![2, 3, 4, 7]);
    let ids: Vec<u32> = results
        .iter()
        .filter_map(|r| r.as_ref().ok())
        .map(|f| f.id)
        .collect();
    assert_eq!(ids, vec![0x123, 0x7FF, 0x18FE_DF00]);
    let reasons: Vec<String> = results
        .iter()
        .filter_map(|r| r.as_ref().err())
        .map(ToString::to_string)
        .collect();
    eprintln!("candump errors: {reasons:?}");
    assert!(reasons[0].starts_with("line 2: "), "{reasons:?}");
}

#[test]
fn csv_and_ndjson_errors_carry_line_numbers() {
    let csv = "timestamp,CAN_ID,DLC,PAYLOAD_HEX,PAYLOAD_BIN,ANOMALY\n\
               0.1,10,64,000000002FB031F8,0,False\n\
               0.2,zz,64,000000002FB031F8,0,False\n\
               0.3,10,64,00,0,False\n\
               0.4,10,64,000000002FB031F8,0,Maybe\n\
               0.5,10,64,000000002FB031F8,0,True\n";
    let results: Vec<_> = events(Format::Csv(CsvLayout::Daga), csv.as_bytes()).collect();
    assert_eq!(lines_of_errors(&results), vec![3, 4, 5]);
    assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 2);

    let ndjson = "{\"source\":\"can\",\"kind\":\"note\"}\n{\"source\":\"moon\",\"kind\":\"x\"}\n\
                  {\"source\":\"ota\",\"kind\":\"ota.install\",\"extra\":1}\n[1,2]\n\
                  {\"source\":\"ota\",\"kind\":\"ota.install\"}\n";
    let results: Vec<_> = events(Format::Ndjson, ndjson.as_bytes()).collect();
    assert_eq!(lines_of_errors(&results), vec![2, 3, 4]);
    assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 2);
}

#[test]
fn asc_and_trc_errors_carry_line_numbers() {
    let asc = "date Sam Sep 30 15:06:13.191 2017\nbase hex  timestamps absolute\n\
               1.0 1 123 Rx d 2 01 02\n1.1 1 123 Rx d 8 01\n1.2 1 1234567 Rx d 1 01\n\
               1.3 1 124 Rx d 1 0G\n1.4 1 125 Rx d 1 05\n";
    let results: Vec<_> = events(Format::Asc, asc.as_bytes()).collect();
    assert_eq!(lines_of_errors(&results), vec![4, 5, 6]);
    assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 2);

    let trc = ";$FILEVERSION=2.0\n1  10.0 DT 0300 Rx 2 01 02\n2  oops DT 0300 Rx 2 01 02\n\
               3  12.0 XX 0300 Rx 2 01 02\n4  13.0 DT 0300 Rx 2 01\n5  14.0 DT 0301 Rx 0\n";
    let results: Vec<_> = events(Format::Trc, trc.as_bytes()).collect();
    assert_eq!(lines_of_errors(&results), vec![3, 4, 5]);
    assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 2);
}

#[test]
fn damaged_dlt_bytes_are_skipped_to_the_next_message() {
    let Some(path) = keelson_testkit::corpus_path("can/dlt-daemon/tests/testfile.dlt") else {
        return;
    };
    let Ok(original) = std::fs::read(path) else {
        panic!("unreadable dlt file")
    };
    let clean = events(Format::Dlt, original.as_slice())
        .filter(Result::is_ok)
        .count();
    // Junk before the file and a broken magic on the second message.
    let second = original[4..]
        .windows(4)
        .position(|w| w == b"DLT\x01")
        .map(|at| at + 4);
    let Some(second) = second else {
        panic!("no second message")
    };
    let mut damaged = b"JUNK".to_vec();
    damaged.extend_from_slice(&original);
    damaged[4 + second] = b'X';
    let results: Vec<_> = events(Format::Dlt, damaged.as_slice()).collect();
    let errors: Vec<_> = results.iter().filter_map(|r| r.as_ref().err()).collect();
    eprintln!(
        "dlt errors: {:?}",
        errors.iter().map(ToString::to_string).collect::<Vec<_>>()
    );
    let offsets: Vec<_> = errors.iter().map(|e| e.position()).collect();
    assert_eq!(
        offsets,
        vec![
            Some(Position::Offset(0)),
            Some(Position::Offset(4 + second as u64))
        ]
    );
    assert_eq!(results.iter().filter(|r| r.is_ok()).count(), clean - 1);
}

#[test]
fn arbitrary_bytes_never_panic_any_decoder() {
    let mut seed = 0x2545_F491_4F6C_DD1Du64;
    let mut inputs = Vec::new();
    for length in [0usize, 1, 7, 64, 500, 5_000] {
        let bytes: Vec<u8> = (0..length)
            .map(|_| {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                b"(0123456789abcdefABCDEF#.,;$ \n\rRxTdDLT\x01\x02"[(seed % 40) as usize]
            })
            .collect();
        inputs.push(bytes);
    }
    for format in keelson_telemetry::decode::ALL {
        for input in &inputs {
            let count = events(format, input.as_slice()).count();
            assert!(count <= input.len() + 1, "{format:?}");
        }
    }
    eprintln!("fuzz-like inputs: {} per format", inputs.len());
}
