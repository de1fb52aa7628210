//! The simulated fleet: N vehicles spread over the catalogue's models and
//! their regions, each with the factory build on every ECU slot. The same
//! seed and size always give the same fleet, so the demo's inventory and
//! the traffic it receives describe the same vehicles.

use rand_chacha::ChaCha8Rng;
use rand_chacha::rand_core::SeedableRng;

use crate::catalogue::{MODELS, ModelSpec};
use crate::random::Draw;

/// One simulated vehicle as the inventory knows it at the start.
#[derive(Debug, Clone, PartialEq)]
pub struct SimVehicle {
    pub id: String,
    pub model: &'static ModelSpec,
    pub region: &'static str,
}

/// The vehicles of one simulation.
#[derive(Debug, Clone, PartialEq)]
pub struct Fleet {
    pub vehicles: Vec<SimVehicle>,
}

impl Fleet {
    /// `size` vehicles: models taken in turn (so every model is present once
    /// there are three vehicles), regions drawn from the model's list.
    pub fn new(seed: u64, size: usize) -> Fleet {
        let mut rng = ChaCha8Rng::seed_from_u64(seed ^ FLEET_STREAM);
        let vehicles = (0..size)
            .map(|index| {
                let model = &MODELS[index % MODELS.len()];
                SimVehicle {
                    id: format!("veh-{:04}", index + 1),
                    model,
                    region: rng.pick(model.regions),
                }
            })
            .collect();
        Fleet { vehicles }
    }

    pub fn len(&self) -> usize {
        self.vehicles.len()
    }

    pub fn is_empty(&self) -> bool {
        self.vehicles.is_empty()
    }
}

/// Keeps the fleet's draws apart from the traffic's for the same seed.
const FLEET_STREAM: u64 = 0x666c_6565_7400_0001;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_fleet_and_every_model_present() {
        let fleet = Fleet::new(7, 6);
        assert_eq!(fleet, Fleet::new(7, 6));
        for model in &MODELS {
            assert!(fleet.vehicles.iter().any(|v| v.model.id == model.id));
        }
        for vehicle in &fleet.vehicles {
            assert!(vehicle.model.regions.contains(&vehicle.region));
        }
    }
}
