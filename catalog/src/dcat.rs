//! DCAT-AP 3 export (being written).
