//! Readers and writers of spectrum files (in progress).
