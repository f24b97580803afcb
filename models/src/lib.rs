//! Face networks.
