//! Signals on ingest: the DBC files a vehicle's model names, read from the
//! configured DBC folder (opendbc's `IMPORT` includes expanded), decode the
//! CAN frame events of that vehicle into named physical values.

use std::path::{Component, Path, PathBuf};

use keelson_store::Store;
use keelson_telemetry::dbc::{SignalDecoder, dbc_text, expand_imports};
use keelson_telemetry::{CanFrame, Event};
use serde_json::{Map, Value};

/// Why a vehicle's DBC files could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum SignalsError {
    #[error("dbc file {name:?} of model {model}: {reason}")]
    File {
        model: String,
        name: String,
        reason: String,
    },
    #[error(transparent)]
    Store(#[from] keelson_store::StoreError),
}

/// The decoder for a vehicle's model, or `None` when there is no DBC folder,
/// no such vehicle, no model or no DBC file named.
pub async fn decoder_for_vehicle(
    store: &Store,
    dbc_dir: Option<&Path>,
    vehicle_id: &str,
) -> Result<Option<SignalDecoder>, SignalsError> {
    let Some(dbc_dir) = dbc_dir else {
        return Ok(None);
    };
    let Some(model_id) = store.vehicle(vehicle_id).await?.and_then(|v| v.model_id) else {
        return Ok(None);
    };
    let Some(model) = store.vehicle_model(&model_id).await? else {
        return Ok(None);
    };
    if model.dbc_files.is_empty() {
        return Ok(None);
    }
    load(dbc_dir, &model.id, &model.dbc_files).map(Some)
}

/// Reads and parses the named files; a later file's message replaces an
/// earlier one with the same ID.
fn load(dbc_dir: &Path, model: &str, names: &[String]) -> Result<SignalDecoder, SignalsError> {
    let error = |name: &str, reason: String| SignalsError::File {
        model: model.to_owned(),
        name: name.to_owned(),
        reason,
    };
    let mut texts = Vec::with_capacity(names.len());
    for name in names {
        let path = inside(dbc_dir, name).ok_or_else(|| {
            error(
                name,
                "must be a relative path inside the DBC folder".to_owned(),
            )
        })?;
        let bytes = std::fs::read(&path).map_err(|e| error(name, e.to_string()))?;
        let folder = path.parent().unwrap_or(dbc_dir).to_owned();
        let resolve = |file: &str| {
            let imported = inside(&folder, file)?;
            std::fs::read(imported).ok().map(|b| dbc_text(&b))
        };
        let text = expand_imports(name, &dbc_text(&bytes), resolve)
            .map_err(|e| error(name, e.to_string()))?;
        texts.push((name.as_str(), text));
    }
    let borrowed: Vec<(&str, &str)> = texts.iter().map(|(n, t)| (*n, t.as_str())).collect();
    SignalDecoder::from_dbc_texts(&borrowed).map_err(|e| error(&names.join(", "), e.to_string()))
}

/// `name` under `folder`, refused when it is absolute or climbs out.
fn inside(folder: &Path, name: &str) -> Option<PathBuf> {
    let relative = Path::new(name);
    let plain = relative
        .components()
        .all(|part| matches!(part, Component::Normal(_) | Component::CurDir));
    plain.then(|| folder.join(relative))
}

/// Adds `signals: {NAME: {value, unit}}` to a `can.frame` event whose
/// message the decoder knows; other events are left as they are.
pub fn annotate(decoder: &SignalDecoder, event: &mut Event) {
    if event.kind != "can.frame" {
        return;
    }
    let Some(frame) = frame_of(&event.attributes) else {
        return;
    };
    let signals = decoder.decode(&frame);
    if signals.is_empty() {
        return;
    }
    let mut decoded = Map::new();
    for signal in signals {
        let mut entry = Map::new();
        entry.insert("value".into(), Value::from(signal.value));
        entry.insert("unit".into(), Value::from(signal.unit));
        decoded.insert(signal.name, Value::Object(entry));
    }
    event
        .attributes
        .insert("signals".into(), Value::Object(decoded));
}

/// The frame a `can.frame` event's attributes describe (ID, format, data).
fn frame_of(attributes: &Map<String, Value>) -> Option<CanFrame> {
    let id = u32::try_from(attributes.get("id")?.as_u64()?).ok()?;
    let data = hex::decode(attributes.get("data")?.as_str()?).ok()?;
    let mut frame = CanFrame::default();
    frame.id = id;
    frame.extended = attributes.get("extended")?.as_bool()?;
    frame.set_data(&data).then_some(frame)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dbc_names_may_not_leave_the_folder() {
        let folder = Path::new("/dbc");
        assert_eq!(
            inside(folder, "honda/a.dbc"),
            Some(PathBuf::from("/dbc/honda/a.dbc"))
        );
        assert_eq!(inside(folder, "../etc/passwd"), None);
        assert_eq!(inside(folder, "/etc/passwd"), None);
    }
}
