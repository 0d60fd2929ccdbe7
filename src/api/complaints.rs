//! Complaints.
