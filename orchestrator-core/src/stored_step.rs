//! [`StoredStep`]: a flow's step as it is kept between events, as JSON text.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::value::RawValue;
use serde_json::Value;
use std::fmt;

/// A step as a record keeps it between events: the step enum's serde form, as JSON text.
///
/// Text rather than a [`serde_json::Value`] tree: every map of a `Value` is a B-tree
/// whose nodes take 632 bytes however few entries they hold, so a step with data
/// (`{"AskHelp":{"name":"Ada"}}`) weighed two of them. A record is copied at every event
/// and a million of them may wait in memory; as text, a step is one allocation of its
/// length. Stores write it into the record's JSON as it is, not as a string.
///
/// ```
/// use orchestrator_core::StoredStep;
/// #[derive(serde::Serialize, serde::Deserialize, Debug, PartialEq)]
/// enum Onboarding {
///     AskName,
///     AskHelp { name: String },
/// }
/// let step = StoredStep::of(&Onboarding::AskHelp { name: "Ada".into() }).unwrap();
/// assert_eq!(step.as_json(), r#"{"AskHelp":{"name":"Ada"}}"#);
/// assert_eq!(step.decode::<Onboarding>().unwrap(), Onboarding::AskHelp { name: "Ada".into() });
/// assert_eq!(step, serde_json::json!({"AskHelp": {"name": "Ada"}}));
/// assert_eq!(serde_json::json!({"AskHelp": {"name": "Ada"}}), step);
/// assert_eq!(step.to_value()["AskHelp"]["name"], "Ada");
/// assert_eq!(StoredStep::from(serde_json::json!("AskName")).decode::<Onboarding>().unwrap(), Onboarding::AskName);
/// ```
#[derive(Clone)]
pub struct StoredStep(Box<RawValue>);

impl StoredStep {
    /// The stored form of `step`; an error only if it does not serialize to JSON (a map
    /// with keys that are not strings, say).
    ///
    /// ```
    /// use orchestrator_core::StoredStep;
    /// #[derive(serde::Serialize)]
    /// enum Steps { Ask { tries: u8 } }
    /// assert_eq!(StoredStep::of(&Steps::Ask { tries: 2 }).unwrap().as_json(), r#"{"Ask":{"tries":2}}"#);
    /// let keys_not_strings: std::collections::HashMap<(u8, u8), u8> = [((1, 2), 3)].into();
    /// assert!(StoredStep::of(&keys_not_strings).is_err());
    /// ```
    pub fn of<S: Serialize + ?Sized>(step: &S) -> Result<Self, serde_json::Error> {
        serde_json::value::to_raw_value(step).map(StoredStep)
    }

    /// Reads the step back as the flow's step type.
    ///
    /// ```
    /// use orchestrator_core::StoredStep;
    /// #[derive(Debug, PartialEq, serde::Deserialize)]
    /// enum Steps { Ask, Done }
    /// let stored = StoredStep::from(serde_json::json!("Done"));
    /// assert_eq!(stored.decode::<Steps>().unwrap(), Steps::Done);
    /// assert!(StoredStep::from(serde_json::json!("Gone")).decode::<Steps>().is_err(), "a step the enum no longer has");
    /// ```
    pub fn decode<S: DeserializeOwned>(&self) -> Result<S, serde_json::Error> {
        serde_json::from_str(self.0.get())
    }

    /// The JSON text.
    ///
    /// ```
    /// use orchestrator_core::StoredStep;
    /// assert_eq!(StoredStep::from(serde_json::json!({"Ask": {"n": 1}})).as_json(), r#"{"Ask":{"n":1}}"#);
    /// ```
    pub fn as_json(&self) -> &str {
        self.0.get()
    }

    /// The step as a JSON value (for a flow's `migrate` hook, or to look inside it).
    ///
    /// ```
    /// use orchestrator_core::StoredStep;
    /// let stored = StoredStep::from(serde_json::json!({"AskHelp": {"name": "Ada"}}));
    /// assert_eq!(stored.to_value()["AskHelp"]["name"], "Ada");
    /// ```
    pub fn to_value(&self) -> Value {
        // The text was written by serde_json or read by it, so it parses.
        serde_json::from_str(self.0.get()).unwrap_or(Value::Null)
    }
}

impl From<Value> for StoredStep {
    fn from(value: Value) -> Self {
        // A `Value` always serializes: its keys are strings and it holds no NaN.
        StoredStep::of(&value).expect("a JSON value serializes")
    }
}

impl PartialEq for StoredStep {
    /// The same JSON value, however it is spelled (`{"a":1}` is `{ "a": 1 }`).
    fn eq(&self, other: &Self) -> bool {
        self.as_json() == other.as_json() || self.to_value() == other.to_value()
    }
}

impl PartialEq<Value> for StoredStep {
    fn eq(&self, other: &Value) -> bool {
        self.to_value() == *other
    }
}

impl PartialEq<StoredStep> for Value {
    fn eq(&self, other: &StoredStep) -> bool {
        other == self
    }
}

impl fmt::Debug for StoredStep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_json())
    }
}

impl fmt::Display for StoredStep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_json())
    }
}

impl Serialize for StoredStep {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for StoredStep {
    /// The text as it is (from serde_json's reader, or written out from a `Value`).
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Box::<RawValue>::deserialize(deserializer).map(StoredStep)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_read_from_a_value_or_from_text_holds_the_same_step() {
        let json = r#"{"step":{"AskHelp":{"name":"Ada \"A\" L."}}}"#;
        #[derive(Deserialize)]
        struct Holder {
            step: StoredStep,
        }
        let from_text: Holder = serde_json::from_str(json).unwrap();
        let from_value: Holder = serde_json::from_value(serde_json::from_str(json).unwrap()).unwrap();
        assert_eq!(from_text.step.as_json(), r#"{"AskHelp":{"name":"Ada \"A\" L."}}"#);
        assert_eq!(from_text.step, from_value.step);
        assert_eq!(
            serde_json::to_string(&serde_json::json!({"step": from_text.step.to_value()})).unwrap(),
            json
        );
    }
}
