//! `harvester`: not built yet (see the open issues); the crate exists so the workspace has its final shape.
