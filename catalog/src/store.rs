//! The dataset store (being written).
