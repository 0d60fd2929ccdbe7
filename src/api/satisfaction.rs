//! Satisfaction.
