//! Physical signal values into CAN frame payloads, the inverse of DBC
//! decoding for the little-endian signals the demo DBC files use: raw =
//! round((value - offset) / factor), clamped to the signal's bit range.

use crate::catalogue::{MessageSpec, SignalSpec};

/// The payload of `message` with each named signal set to its physical
/// value; signals not named are zero.
pub fn encode(message: &MessageSpec, values: &[(&str, f64)]) -> Vec<u8> {
    let mut data = vec![0u8; usize::from(message.dlc)];
    for signal in message.signals {
        let Some((_, value)) = values.iter().find(|(name, _)| *name == signal.name) else {
            continue;
        };
        write_bits(
            &mut data,
            signal.start_bit,
            signal.length,
            raw_value(signal, *value),
        );
    }
    data
}

/// The raw bit pattern of a physical value, two's complement for signed
/// signals, saturated at the signal's range.
fn raw_value(signal: &SignalSpec, value: f64) -> u64 {
    let steps = ((value - signal.offset) / signal.factor).round();
    let length = signal.length.min(63);
    if signal.signed {
        let max = (1i64 << (length - 1)) - 1;
        let min = -(1i64 << (length - 1));
        let raw = (steps as i64).clamp(min, max);
        (raw as u64) & ((1u64 << length) - 1)
    } else {
        let max = (1u64 << length) - 1;
        (steps.max(0.0) as u64).min(max)
    }
}

/// Writes `length` bits of `raw`, least significant first, from `start_bit`
/// (Intel byte order: bit n is bit n % 8 of byte n / 8).
fn write_bits(data: &mut [u8], start_bit: u32, length: u32, raw: u64) {
    for bit in 0..length {
        let position = start_bit + bit;
        let Some(byte) = data.get_mut((position / 8) as usize) else {
            return;
        };
        if raw >> bit & 1 == 1 {
            *byte |= 1 << (position % 8);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogue::MODELS;

    #[test]
    fn signals_land_on_their_bits() {
        let drive = MODELS[0].message(200).expect("VCU_Drive");
        let data = encode(drive, &[("VehicleSpeed", 100.0), ("BrakePressed", 1.0)]);
        // 100 km/h / 0.01 = 10000 = 0x2710, little-endian in bytes 0 and 1.
        assert_eq!(&data[..2], &[0x10, 0x27]);
        assert_eq!(data[5], 0x01);
    }

    #[test]
    fn negative_values_are_twos_complement_and_ranges_saturate() {
        let pack = MODELS[0].message(496).expect("BMS_Pack");
        let data = encode(pack, &[("PackCurrent", -1.0), ("StateOfCharge", 400.0)]);
        assert_eq!(&data[3..5], &[0xF6, 0xFF]);
        assert_eq!(data[0], 0xFF);
    }
}
