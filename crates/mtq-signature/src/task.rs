//! A detection task of a study: the in-distribution test set against one unseen class. Plain
//! data, named by the scores' evaluations and by the study.

use serde::{Deserialize, Serialize};

/// A detection task: the test set (negatives) against one unseen class (positives).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Task {
    /// The unseen class, the positives.
    pub unseen: String,
}

impl std::fmt::Display for Task {
    /// `test vs 4`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "test vs {}", self.unseen)
    }
}
