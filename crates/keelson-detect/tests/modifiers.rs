//! One test per Sigma modifier and condition form, through the public loader.
//!
//! Expected results are reasoned from the Sigma specification (rules and modifier
//! appendix) and written next to each case.

use keelson_detect::{RuleSet, load_rules};
use serde_json::{Value, json};

/// Loads one rule with the given detection body; panics with the report if it is not ok.
fn rule(detection: &str) -> RuleSet {
    let text =
        format!("title: t\nid: r1\nlogsource:\n    product: vehicle\ndetection:\n{detection}");
    let (set, reports) = load_rules(&[("test.yml", text.as_str())]);
    let report = reports
        .first()
        .map(|r| (r.status.as_str(), r.status.reason().map(String::from)));
    assert_eq!(
        report,
        Some(("ok", None)),
        "rule did not load:\n{detection}"
    );
    set
}

fn hits(set: &RuleSet, attributes: Value) -> bool {
    let event = json!({"event_id": "e1", "source": "ids", "attributes": attributes});
    !set.matching(&event).is_empty()
}

#[test]
fn map_is_and_list_is_or() {
    let set = rule(
        "    sel:
        a: x
        b:
            - y
            - z
    condition: sel
",
    );
    assert!(hits(&set, json!({"a": "x", "b": "z"})));
    assert!(!hits(&set, json!({"a": "x", "b": "w"})));
    assert!(!hits(&set, json!({"b": "y"})));
}

#[test]
fn list_of_maps_is_or_of_ands() {
    let set =
        rule("    sel:\n        - a: 1\n          b: 2\n        - c: 3\n    condition: sel\n");
    assert!(hits(&set, json!({"a": 1, "b": 2})));
    assert!(hits(&set, json!({"c": "3"})));
    assert!(!hits(&set, json!({"a": 1, "b": 3})));
}

#[test]
fn string_matching_is_case_insensitive_by_default() {
    let set = rule("    sel:\n        user: Root\n    condition: sel\n");
    assert!(hits(&set, json!({"user": "ROOT"})));
    assert!(!hits(&set, json!({"user": "rooty"})));
}

#[test]
fn wildcards_and_escapes() {
    let set = rule("    sel:\n        path: '/usr/*/t?p'\n    condition: sel\n");
    assert!(hits(&set, json!({"path": "/usr/local/bin/tmp"})));
    assert!(!hits(&set, json!({"path": "/usr/local/bin/tp"})));
    let lit = rule("    sel:\n        v: 'a\\*b'\n    condition: sel\n");
    assert!(hits(&lit, json!({"v": "a*b"})));
    assert!(!hits(&lit, json!({"v": "aXb"})));
}

#[test]
fn contains_startswith_endswith() {
    let c = rule("    sel:\n        m|contains: flash\n    condition: sel\n");
    assert!(hits(&c, json!({"m": "start FLASH write"})));
    let s = rule("    sel:\n        m|startswith: flash\n    condition: sel\n");
    assert!(hits(&s, json!({"m": "flash write"})));
    assert!(!hits(&s, json!({"m": "a flash"})));
    let e = rule("    sel:\n        m|endswith: .bin\n    condition: sel\n");
    assert!(hits(&e, json!({"m": "fw.BIN"})));
    assert!(!hits(&e, json!({"m": "fw.bin.sig"})));
}

#[test]
fn all_turns_a_value_list_into_and() {
    let set = rule(
        "    sel:
        cmd|contains|all:
            - '-i'
            - '-c'
    condition: sel
",
    );
    assert!(hits(&set, json!({"cmd": "tcpdump -i can0 -c 10"})));
    assert!(!hits(&set, json!({"cmd": "tcpdump -i can0"})));
}

#[test]
fn re_with_sub_modifiers() {
    let plain = rule("    sel:\n        m|re: '^ab+c$'\n    condition: sel\n");
    assert!(hits(&plain, json!({"m": "abbbc"})));
    // The specification: regex is case-sensitive unless `i` is given.
    assert!(!hits(&plain, json!({"m": "ABC"})));
    let i = rule("    sel:\n        m|re|i: '^abc$'\n    condition: sel\n");
    assert!(hits(&i, json!({"m": "ABC"})));
    let m = rule("    sel:\n        m|re|m: '^second$'\n    condition: sel\n");
    assert!(hits(&m, json!({"m": "first\nsecond"})));
    let s = rule("    sel:\n        m|re|s: 'a.b'\n    condition: sel\n");
    assert!(hits(&s, json!({"m": "a\nb"})));
    let no_s = rule("    sel:\n        m|re: 'a.b'\n    condition: sel\n");
    assert!(!hits(&no_s, json!({"m": "a\nb"})));
}

#[test]
fn cidr_v4_and_v6() {
    let set = rule(
        "    sel:
        ip|cidr:
            - 10.0.0.0/8
            - 'fd00::/8'
    condition: sel
",
    );
    assert!(hits(&set, json!({"ip": "10.20.30.40"})));
    assert!(hits(&set, json!({"ip": "fd12::1"})));
    assert!(!hits(&set, json!({"ip": "11.0.0.1"})));
    assert!(!hits(&set, json!({"ip": "not an ip"})));
}

#[test]
fn base64_and_base64offset() {
    // RFC 4648: base64("foobar") = "Zm9vYmFy".
    let b = rule("    sel:\n        p|base64: foobar\n    condition: sel\n");
    assert!(hits(&b, json!({"p": "Zm9vYmFy"})));
    // base64("xfoobar!") = "eGZvb2JhciE=": the offset-1 variant of "foobar" must be inside.
    let o = rule("    sel:\n        p|base64offset|contains: foobar\n    condition: sel\n");
    assert!(hits(&o, json!({"p": "eGZvb2JhciE="})));
    // base64("xyfoobar") = "eHlmb29iYXI=": offset 2.
    assert!(hits(&o, json!({"p": "eHlmb29iYXI="})));
    assert!(!hits(&o, json!({"p": "Zm9v"})));
}

#[test]
fn numeric_comparisons() {
    let set = rule("    sel:\n        speed|gt: 100\n        rpm|lte: 7000\n    condition: sel\n");
    assert!(hits(&set, json!({"speed": 101, "rpm": 7000})));
    assert!(!hits(&set, json!({"speed": 100, "rpm": 10})));
    assert!(!hits(&set, json!({"speed": 150, "rpm": 7001})));
    let ge = rule("    sel:\n        n|gte: 5\n        m|lt: 2.5\n    condition: sel\n");
    assert!(hits(&ge, json!({"n": "5", "m": 2.4})));
    assert!(!hits(&ge, json!({"n": 4.9, "m": 1})));
}

#[test]
fn exists_true_and_false() {
    let yes = rule("    sel:\n        dtc|exists: true\n    condition: sel\n");
    assert!(hits(&yes, json!({"dtc": null})));
    assert!(!hits(&yes, json!({"other": 1})));
    let no = rule("    sel:\n        dtc|exists: false\n    condition: sel\n");
    assert!(hits(&no, json!({"other": 1})));
}

#[test]
fn fieldref_compares_two_fields() {
    let set = rule("    sel:\n        src_ecu|fieldref: dst_ecu\n    condition: sel\n");
    assert!(hits(&set, json!({"src_ecu": "BCM", "dst_ecu": "bcm"})));
    assert!(!hits(&set, json!({"src_ecu": "BCM", "dst_ecu": "TCU"})));
    assert!(!hits(&set, json!({"src_ecu": "BCM"})));
}

#[test]
fn windash_swaps_dash_characters() {
    let set = rule("    sel:\n        cmd|windash|contains: ' -flash'\n    condition: sel\n");
    assert!(hits(&set, json!({"cmd": "tool /flash x"})));
    assert!(hits(&set, json!({"cmd": "tool \u{2013}flash x"})));
    assert!(hits(&set, json!({"cmd": "tool -flash"})));
    assert!(!hits(&set, json!({"cmd": "tool +flash"})));
}

#[test]
fn cased_requires_exact_case() {
    let set = rule("    sel:\n        m|cased: Diag\n    condition: sel\n");
    assert!(hits(&set, json!({"m": "Diag"})));
    assert!(!hits(&set, json!({"m": "diag"})));
}

#[test]
fn null_value_means_absent_or_null() {
    let set = rule("    sel:\n        a: x\n        b: null\n    condition: sel\n");
    assert!(hits(&set, json!({"a": "x"})));
    assert!(hits(&set, json!({"a": "x", "b": null})));
    assert!(!hits(&set, json!({"a": "x", "b": "y"})));
}

#[test]
fn keywords_search_every_string() {
    let set = rule(
        "    keywords:
        - 'stack smashing'
        - 'seed/key'
    condition: keywords
",
    );
    assert!(hits(
        &set,
        json!({"msg": "*** stack smashing detected ***"})
    ));
    assert!(hits(
        &set,
        json!({"nested": {"line": "bad SEED/KEY reply"}})
    ));
    assert!(!hits(&set, json!({"msg": "all fine"})));
}

#[test]
fn conditions_not_and_or_parentheses() {
    let set = rule(
        "    a:
        x: 1
    b:
        y: 1
    c:
        z: 1
    condition: a and not (b or c)
",
    );
    assert!(hits(&set, json!({"x": 1})));
    assert!(!hits(&set, json!({"x": 1, "y": 1})));
    assert!(!hits(&set, json!({"x": 1, "z": 1})));
    assert!(!hits(&set, json!({"y": 1})));
}

#[test]
fn one_of_and_all_of_patterns() {
    let body = "    sel_a:\n        x: 1\n    sel_b:\n        y: 1\n    other:\n        z: 1\n";
    let one = rule(&format!("{body}    condition: 1 of sel_*\n"));
    assert!(hits(&one, json!({"y": 1})));
    assert!(!hits(&one, json!({"z": 1})));
    let all = rule(&format!("{body}    condition: all of sel_*\n"));
    assert!(hits(&all, json!({"x": 1, "y": 1})));
    assert!(!hits(&all, json!({"x": 1, "z": 1})));
}

#[test]
fn one_of_them_and_all_of_them() {
    let body = "    a:\n        x: 1\n    b:\n        y: 1\n    _skip:\n        never: 1\n";
    let one = rule(&format!("{body}    condition: 1 of them\n"));
    assert!(hits(&one, json!({"y": 1})));
    // `them` leaves out identifiers starting with an underscore.
    let all = rule(&format!("{body}    condition: all of them\n"));
    assert!(hits(&all, json!({"x": 1, "y": 1})));
    assert!(!hits(&all, json!({"x": 1})));
}

#[test]
fn unknown_search_in_condition_is_an_error() {
    let text = "title: t
logsource:
    product: vehicle
detection:
    sel:
        a: 1
    condition: sel and missing
";
    let (_, reports) = load_rules(&[("bad.yml", text)]);
    assert_eq!(reports[0].status.as_str(), "error");
    assert!(
        reports[0]
            .status
            .reason()
            .unwrap_or_default()
            .contains("missing")
    );
}

#[test]
fn unquoted_hex_matches_numeric_can_id() {
    // YAML 1.2 reads an unquoted 0x7DF as the integer 2015; keelson-telemetry writes the
    // CAN identifier as a number, so the two compare equal.
    let set = rule("    sel:\n        id: 0x7DF\n    condition: sel\n");
    assert!(hits(&set, json!({"id": 2015})));
    let quoted = rule("    sel:\n        id: '0x7DF'\n    condition: sel\n");
    assert!(!hits(&quoted, json!({"id": 2015})));
}

#[test]
fn substring_prefilter_keeps_case_insensitive_and_non_ascii_matches() {
    // ASCII literals go through the substring index, which folds ASCII case.
    let ascii = rule(
        "    sel:\n        m|contains: Flash\n        n|startswith: ECU\n    condition: sel\n",
    );
    assert!(hits(&ascii, json!({"m": "xxFLASHxx", "n": "ecu_1"})));
    assert!(hits(&ascii, json!({"m": ["a", "flash"], "n": "Ecu"})));
    assert!(!hits(&ascii, json!({"m": "flas h", "n": "ecu"})));
    // Non-ASCII literals are not indexed; Unicode case folding still applies.
    let umlaut = rule("    sel:\n        m|contains: ÄRGER\n    condition: sel\n");
    assert!(hits(&umlaut, json!({"m": "viel ärger"})));
}
