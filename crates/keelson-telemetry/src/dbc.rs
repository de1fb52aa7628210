//! DBC signal decoding: databases parsed with `can-dbc`, opendbc's `CM_ "IMPORT x.dbc";`
//! generator includes expanded, and signals extracted from frames (Intel and Motorola bit
//! order, signed values, IEEE floats, factor and offset, simple and `SG_MUL_VAL_` multiplexing).

use std::collections::HashMap;

use can_dbc::{ByteOrder, Dbc, MessageId, MultiplexIndicator, SignalExtendedValueType, ValueType};

use crate::error::Error;
use crate::frame::CanFrame;

/// One decoded signal value.
#[derive(Debug, Clone, PartialEq)]
pub struct Signal {
    /// Signal name from the DBC.
    pub name: String,
    /// Physical value: raw times factor plus offset.
    pub value: f64,
    /// Unit from the DBC (may be empty).
    pub unit: String,
}

/// How a signal is laid out and scaled.
#[derive(Debug, Clone)]
struct SignalDef {
    name: String,
    start_bit: u32,
    size: u32,
    big_endian: bool,
    signed: bool,
    float: Option<SignalExtendedValueType>,
    factor: f64,
    offset: f64,
    unit: String,
    /// Whether other signals are selected by this one's raw value.
    is_switch: bool,
    when: Condition,
}

/// When a signal is present in a frame.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Condition {
    /// Always (plain signals and the top-level switch).
    Always,
    /// When the message's top-level switch has this raw value (simple multiplexing).
    Main(u64),
    /// When the named switch is present and its raw value lies in one of the ranges
    /// (`SG_MUL_VAL_`, which also expresses cascaded switches).
    Ranges {
        switch: String,
        ranges: Vec<(u64, u64)>,
    },
}

#[derive(Debug, Clone)]
struct MessageDef {
    name: String,
    signals: Vec<SignalDef>,
}

/// Decodes signals of known messages; built from one or more DBC texts.
#[derive(Debug, Clone, Default)]
pub struct SignalDecoder {
    messages: HashMap<(u32, bool), MessageDef>,
}

impl SignalDecoder {
    /// Parses each `(name, text)` DBC and merges their messages; a later definition of the
    /// same ID replaces an earlier one.
    pub fn from_dbc_texts(texts: &[(&str, &str)]) -> Result<SignalDecoder, Error> {
        let mut decoder = SignalDecoder::default();
        for (name, text) in texts {
            let dbc = Dbc::try_from(*text).map_err(|e| Error::Dbc {
                name: (*name).to_string(),
                reason: e.to_string(),
            })?;
            decoder.add(&dbc);
        }
        Ok(decoder)
    }

    fn add(&mut self, dbc: &Dbc) {
        for message in &dbc.messages {
            let (id, extended) = match message.id {
                MessageId::Standard(id) => (u32::from(id), false),
                MessageId::Extended(id) => (id, true),
            };
            let signals = message
                .signals
                .iter()
                .map(|signal| signal_def(dbc, message.id, signal))
                .collect();
            self.messages.insert(
                (id, extended),
                MessageDef {
                    name: message.name.clone(),
                    signals,
                },
            );
        }
    }

    /// How many messages are defined.
    pub fn message_count(&self) -> usize {
        self.messages.len()
    }

    /// Every defined `(id, extended)` pair, in no particular order.
    pub fn message_ids(&self) -> impl Iterator<Item = (u32, bool)> + '_ {
        self.messages.keys().copied()
    }

    /// The message name for an ID, when the DBC defines it.
    pub fn message_name(&self, id: u32, extended: bool) -> Option<&str> {
        self.messages.get(&(id, extended)).map(|m| m.name.as_str())
    }

    /// Every signal of the frame's message that the frame carries; empty for unknown IDs.
    /// Signals that do not fit in the payload, and multiplexed signals whose switch value
    /// differs, are left out.
    pub fn decode(&self, frame: &CanFrame) -> Vec<Signal> {
        let Some(message) = self.messages.get(&(frame.id, frame.extended)) else {
            return Vec::new();
        };
        let data = frame.data();
        let switches = active_switches(&message.signals, data);
        message
            .signals
            .iter()
            .filter(|s| is_present(s, &switches))
            .filter_map(|s| {
                let value = physical(raw_bits(data, s)?, s)?;
                Some(Signal {
                    name: s.name.clone(),
                    value,
                    unit: s.unit.clone(),
                })
            })
            .collect()
    }
}

/// The raw values of the switches present in `data`, top-level first; a switch counts only
/// when its own condition holds, so cascades resolve level by level.
fn active_switches<'a>(signals: &'a [SignalDef], data: &[u8]) -> Vec<(&'a str, u64)> {
    let mut active: Vec<(&str, u64)> = Vec::new();
    let switch_count = signals.iter().filter(|s| s.is_switch).count();
    for _ in 0..switch_count {
        let before = active.len();
        for signal in signals.iter().filter(|s| s.is_switch) {
            if active.iter().any(|(name, _)| *name == signal.name) || !is_present(signal, &active) {
                continue;
            }
            if let Some(raw) = raw_bits(data, signal) {
                active.push((&signal.name, raw));
            }
        }
        if active.len() == before {
            break;
        }
    }
    active
}

fn is_present(signal: &SignalDef, switches: &[(&str, u64)]) -> bool {
    match &signal.when {
        Condition::Always => true,
        // The top-level switch is the first one found, since it depends on no other.
        Condition::Main(value) => switches.first().is_some_and(|(_, raw)| raw == value),
        Condition::Ranges { switch, ranges } => switches
            .iter()
            .find(|(name, _)| name == switch)
            .is_some_and(|(_, raw)| ranges.iter().any(|(low, high)| (low..=high).contains(&raw))),
    }
}

fn signal_def(dbc: &Dbc, id: MessageId, signal: &can_dbc::Signal) -> SignalDef {
    let float = dbc
        .extended_value_type_for_signal(id, &signal.name)
        .copied()
        .filter(|t| *t != SignalExtendedValueType::SignedOrUnsignedInteger);
    let extended = dbc
        .extended_multiplex
        .iter()
        .find(|m| m.message_id == id && m.signal_name == signal.name);
    let (is_switch, main) = match signal.multiplexer_indicator {
        MultiplexIndicator::Plain => (false, None),
        MultiplexIndicator::Multiplexor => (true, None),
        MultiplexIndicator::MultiplexedSignal(value) => (false, Some(value)),
        MultiplexIndicator::MultiplexorAndMultiplexedSignal(value) => (true, Some(value)),
    };
    let when = match (extended, main) {
        (Some(m), _) => Condition::Ranges {
            switch: m.multiplexor_signal_name.clone(),
            ranges: m
                .mappings
                .iter()
                .map(|r| (r.min_value, r.max_value))
                .collect(),
        },
        (None, Some(value)) => Condition::Main(value),
        (None, None) => Condition::Always,
    };
    SignalDef {
        name: signal.name.clone(),
        start_bit: u32::try_from(signal.start_bit).unwrap_or(u32::MAX),
        size: u32::try_from(signal.size).unwrap_or(u32::MAX),
        big_endian: signal.byte_order == ByteOrder::BigEndian,
        signed: signal.value_type == ValueType::Signed,
        float,
        factor: signal.factor,
        offset: signal.offset,
        unit: signal.unit.clone(),
        is_switch,
        when,
    }
}

/// The signal's raw bits, `None` when they do not fit in `data` or exceed 64 bits.
fn raw_bits(data: &[u8], signal: &SignalDef) -> Option<u64> {
    if signal.size == 0 || signal.size > 64 {
        return None;
    }
    let bit = |position: u32| -> Option<u64> {
        let byte = data.get(usize::try_from(position / 8).ok()?)?;
        Some(u64::from(byte >> (position % 8) & 1))
    };
    let mut value = 0u64;
    if signal.big_endian {
        // Motorola: the start bit is the most significant one; walk down each byte's bits
        // from 7 to 0, then on to bit 7 of the next byte.
        let mut position = signal.start_bit;
        for index in 0..signal.size {
            value = value << 1 | bit(position)?;
            if index + 1 < signal.size {
                position = if position.is_multiple_of(8) {
                    position.checked_add(15)?
                } else {
                    position - 1
                };
            }
        }
    } else {
        for index in 0..signal.size {
            value |= bit(signal.start_bit.checked_add(index)?)? << index;
        }
    }
    Some(value)
}

fn physical(raw: u64, signal: &SignalDef) -> Option<f64> {
    let number = match signal.float {
        Some(SignalExtendedValueType::IEEEfloat32Bit) => {
            f64::from(f32::from_bits(u32::try_from(raw).ok()?))
        }
        Some(SignalExtendedValueType::IEEEdouble64bit) => f64::from_bits(raw),
        _ if signal.signed => sign_extend(raw, signal.size) as f64,
        _ => raw as f64,
    };
    Some(number * signal.factor + signal.offset)
}

fn sign_extend(raw: u64, size: u32) -> i64 {
    if size >= 64 {
        return raw as i64;
    }
    let shift = 64 - size;
    ((raw << shift) as i64) >> shift
}

/// Expands opendbc's generator includes the way its generator does: the text of every
/// `CM_ "IMPORT name.dbc";` file, in order, followed by the including file without those
/// lines. `resolve` returns the text of a named file from the same folder.
pub fn expand_imports(
    name: &str,
    text: &str,
    mut resolve: impl FnMut(&str) -> Option<String>,
) -> Result<String, Error> {
    let mut imported = String::new();
    let mut core = String::with_capacity(text.len());
    for line in text.lines() {
        match import_name(line) {
            Some(file) => {
                let body = resolve(file).ok_or_else(|| Error::Dbc {
                    name: name.to_string(),
                    reason: format!("import {file} not found"),
                })?;
                imported.push_str(&body);
                imported.push('\n');
            }
            None => {
                core.push_str(line);
                core.push('\n');
            }
        }
    }
    imported.push_str(&core);
    Ok(imported)
}

/// The file named by a `CM_ "IMPORT x.dbc";` line.
fn import_name(line: &str) -> Option<&str> {
    let inner = line
        .trim()
        .strip_prefix("CM_")?
        .trim_start()
        .strip_prefix("\"IMPORT ")?;
    let file = inner.strip_suffix("\";")?.trim();
    (!file.is_empty()).then_some(file)
}

/// DBC text from raw bytes: UTF-8 when valid, otherwise read as Latin-1 (DBC editors often
/// write Windows code pages).
pub fn dbc_text(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(text) => text.to_string(),
        Err(_) => bytes.iter().map(|&b| char::from(b)).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DBC: &str = r#"VERSION ""

NS_ :

BS_:

BU_: A

BO_ 100 M: 8 A
 SG_ LE : 0|12@1+ (0.5,10) [0|0] "u" A
 SG_ BE : 7|16@0- (1,0) [0|0] "" A
 SG_ MUX M : 63|1@1+ (1,0) [0|0] "" A
 SG_ A0 m0 : 32|8@1+ (1,0) [0|0] "" A
 SG_ A1 m1 : 32|8@1+ (2,0) [0|0] "" A
"#;

    fn frame(data: &[u8]) -> CanFrame {
        let mut frame = CanFrame::default();
        frame.id = 100;
        assert!(frame.set_data(data));
        frame
    }

    fn value(signals: &[Signal], name: &str) -> Option<f64> {
        signals.iter().find(|s| s.name == name).map(|s| s.value)
    }

    #[test]
    fn intel_motorola_signed_and_multiplexed_values() {
        let Ok(decoder) = SignalDecoder::from_dbc_texts(&[("t", DBC)]) else {
            panic!()
        };
        // LE: bits 0..12 of 0x0234 -> 0x234 = 564 -> 564 * 0.5 + 10 = 292.
        // BE: bytes 0..2 big-endian 0x3402 -> but 16 bits from bit 7: 0x3402 as i16 = 13314.
        let signals = decoder.decode(&frame(&[0x34, 0x02, 0, 0, 7, 0, 0, 0x80]));
        assert_eq!(value(&signals, "LE"), Some(292.0));
        assert_eq!(value(&signals, "BE"), Some(13314.0));
        assert_eq!(value(&signals, "A1"), Some(14.0));
        assert_eq!(value(&signals, "A0"), None);
        let negative = decoder.decode(&frame(&[0xFF, 0xFE, 0, 0, 7, 0, 0, 0]));
        assert_eq!(value(&negative, "BE"), Some(-2.0));
        assert_eq!(value(&negative, "A0"), Some(7.0));
    }

    #[test]
    fn short_payloads_drop_the_signals_that_do_not_fit() {
        let Ok(decoder) = SignalDecoder::from_dbc_texts(&[("t", DBC)]) else {
            panic!()
        };
        let signals = decoder.decode(&frame(&[0x34]));
        assert!(signals.is_empty(), "{signals:?}");
    }

    #[test]
    fn imports_are_inlined_before_the_including_file() {
        let text = "CM_ \"IMPORT _a.dbc\";\nBO_ 1 X: 8 A\n";
        let merged = expand_imports("main", text, |name| Some(format!("// from {name}")));
        assert_eq!(
            merged.ok().as_deref(),
            Some("// from _a.dbc\nBO_ 1 X: 8 A\n")
        );
        assert!(expand_imports("main", text, |_| None).is_err());
    }
}
