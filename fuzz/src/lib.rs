//! Shared pieces of the fuzz targets: a byte-splitting scheme for several inputs in one
//! fuzz case ([`records`]), a connected engine world for the datagram target
//! ([`world`]) and the capture of its seeds from a real exchange ([`capture`]).

pub mod capture;
pub mod records;
pub mod world;
