//! Frames per second through `Detector::observe` on a real capture held in memory.

fn main() {}
