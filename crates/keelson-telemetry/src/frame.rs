//! The compact CAN frame used on the hot path, with its ground-truth label.

/// Largest payload of a CAN FD frame, in bytes.
pub const MAX_DATA: usize = 64;

/// How a frame's timestamp is to be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeBase {
    /// Microseconds since the Unix epoch (UTC).
    Epoch,
    /// Microseconds since an arbitrary start (capture start, or an obfuscated shift).
    Relative,
}

/// What a frame carries on the bus.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrameKind {
    /// A data frame (classic or FD).
    Data,
    /// A remote transmission request: no payload, only a requested length.
    Remote,
    /// An error frame reported by the controller.
    Error,
}

/// The attack class named by a labelled capture.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttackClass {
    /// The capture only says "attack" (HCRL `T`, DAGA `True`, similarity-IDS `1`).
    Unspecified,
    /// Random identifiers or payloads (ROAD `Fuzzing`).
    Fuzzing,
    /// Forged frames of an existing identifier (ROAD `Fabrication`).
    Fabrication,
    /// A suspended sender replaced by a forger (ROAD `Masquerade`).
    Masquerade,
    /// J1939 torque requests from a foreign source address.
    HighTorqueCommand,
    /// J1939 address claims sent while the vehicle moves.
    SpoofedAddressClaim,
    /// A class this crate does not name.
    Other,
}

impl AttackClass {
    /// The class as written in events (`attack_class` attribute).
    pub fn as_str(self) -> &'static str {
        match self {
            AttackClass::Unspecified => "unspecified",
            AttackClass::Fuzzing => "fuzzing",
            AttackClass::Fabrication => "fabrication",
            AttackClass::Masquerade => "masquerade",
            AttackClass::HighTorqueCommand => "high_torque_command",
            AttackClass::SpoofedAddressClaim => "spoofed_address_claim",
            AttackClass::Other => "other",
        }
    }

    /// Reads a class name from a labelled capture (case-insensitive).
    pub fn from_name(name: &[u8]) -> AttackClass {
        let known: [(&[u8], AttackClass); 5] = [
            (b"fuzzing", AttackClass::Fuzzing),
            (b"fabrication", AttackClass::Fabrication),
            (b"masquerade", AttackClass::Masquerade),
            (b"high_torque_command", AttackClass::HighTorqueCommand),
            (b"spoofed_address_claim", AttackClass::SpoofedAddressClaim),
        ];
        known
            .iter()
            .find(|(text, _)| text.eq_ignore_ascii_case(name))
            .map_or(AttackClass::Other, |(_, class)| *class)
    }
}

/// Ground truth for one frame of a labelled capture.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Label {
    /// Normal traffic.
    Normal,
    /// Injected or otherwise malicious traffic.
    Attack(AttackClass),
}

impl Label {
    /// Whether the frame is marked as an attack.
    pub fn is_attack(self) -> bool {
        matches!(self, Label::Attack(_))
    }
}

/// A short interface name (`can0`, `vcan1`, `2`) kept inline so frames stay `Copy`.
#[derive(Clone, Copy, PartialEq, Eq, Default)]
pub struct Channel {
    bytes: [u8; 15],
    len: u8,
}

impl Channel {
    /// A channel name, cut at 15 bytes (interface names are at most 15 on Linux).
    pub fn new(name: &[u8]) -> Channel {
        let mut bytes = [0u8; 15];
        let len = name.len().min(bytes.len());
        bytes[..len].copy_from_slice(&name[..len]);
        Channel {
            bytes,
            len: len as u8,
        }
    }

    /// The channel name as text (lossy for non-UTF-8 input).
    pub fn as_str(&self) -> std::borrow::Cow<'_, str> {
        String::from_utf8_lossy(&self.bytes[..usize::from(self.len)])
    }

    /// Whether no channel was named.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

impl std::fmt::Debug for Channel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}", self.as_str())
    }
}

/// One CAN or CAN FD frame, fixed-size so that decoding it allocates nothing.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CanFrame {
    /// Microseconds; see `time_base` for the origin.
    pub timestamp_us: i64,
    /// Origin of `timestamp_us`.
    pub time_base: TimeBase,
    /// Interface or channel the frame was seen on.
    pub channel: Channel,
    /// Arbitration ID (11 or 29 bits).
    pub id: u32,
    /// Whether `id` is a 29-bit extended identifier.
    pub extended: bool,
    /// Whether the frame is CAN FD.
    pub fd: bool,
    /// Data, remote or error frame.
    pub kind: FrameKind,
    /// Data length code as logged (for remote frames: the requested length).
    pub dlc: u8,
    data: [u8; MAX_DATA],
    len: u8,
    /// Ground truth, when the capture is labelled.
    pub label: Option<Label>,
}

impl Default for CanFrame {
    fn default() -> Self {
        CanFrame {
            timestamp_us: 0,
            time_base: TimeBase::Relative,
            channel: Channel::default(),
            id: 0,
            extended: false,
            fd: false,
            kind: FrameKind::Data,
            dlc: 0,
            data: [0; MAX_DATA],
            len: 0,
            label: None,
        }
    }
}

impl CanFrame {
    /// The payload bytes.
    pub fn data(&self) -> &[u8] {
        &self.data[..usize::from(self.len)]
    }

    /// Appends one payload byte; false when the frame is already full.
    pub fn push(&mut self, byte: u8) -> bool {
        let Some(slot) = self.data.get_mut(usize::from(self.len)) else {
            return false;
        };
        *slot = byte;
        self.len += 1;
        true
    }

    /// Replaces the payload; false (payload unchanged) when it exceeds 64 bytes.
    pub fn set_data(&mut self, bytes: &[u8]) -> bool {
        if bytes.len() > MAX_DATA {
            return false;
        }
        self.data[..bytes.len()].copy_from_slice(bytes);
        self.len = bytes.len() as u8;
        true
    }

    /// Clears the payload.
    pub fn clear_data(&mut self) {
        self.len = 0;
    }
}

/// Payload length for a CAN FD data length code (ISO 11898-1 table).
pub fn fd_dlc_to_len(dlc: u8) -> Option<usize> {
    const LENGTHS: [usize; 16] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 12, 16, 20, 24, 32, 48, 64];
    LENGTHS.get(usize::from(dlc)).copied()
}

/// The smallest CAN FD data length code that covers `len` bytes.
pub fn len_to_fd_dlc(len: usize) -> Option<u8> {
    (0u8..16).find(|&dlc| fd_dlc_to_len(dlc).is_some_and(|max| max >= len))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payload_is_capped_at_sixty_four_bytes() {
        let mut frame = CanFrame::default();
        assert!(frame.set_data(&[1; 64]));
        assert!(!frame.push(2));
        assert!(!frame.set_data(&[0; 65]));
        assert_eq!(frame.data().len(), 64);
    }

    #[test]
    fn fd_lengths_follow_the_dlc_table() {
        assert_eq!(fd_dlc_to_len(9), Some(12));
        assert_eq!(fd_dlc_to_len(15), Some(64));
        assert_eq!(fd_dlc_to_len(16), None);
        assert_eq!(len_to_fd_dlc(13), Some(10));
        assert_eq!(len_to_fd_dlc(65), None);
    }

    #[test]
    fn long_channel_names_are_cut() {
        let channel = Channel::new(b"a-very-long-interface-name");
        assert_eq!(channel.as_str(), "a-very-long-int");
    }
}
